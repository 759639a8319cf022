/**
 * Hostile secret values for every registered vendor: each field of a valid value, replaced by
 * a number, null, an array, an object or an empty string, and the envelope's provider changed.
 * The rotation must refuse with a SecretFormatError naming the field, change nothing, call no
 * vendor, and print no key.
 */
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SafetyWorld, type SecretUnderTest } from '../support/safety-world';
import { VENDORS_UNDER_TEST } from './vendors';

jest.setTimeout(300_000);

let sw: SafetyWorld;

beforeAll(async () => {
  sw = await SafetyWorld.start({ attemptTimeoutMs: 300 });
});

afterAll(() => sw?.close());

const REPLACEMENTS: readonly [string, unknown][] = [
  ['a number', 42],
  ['null', null],
  ['an array', ['x']],
  ['an object', { value: 'x' }],
  ['an empty string', ''],
];

async function currentValue(secret: SecretUnderTest): Promise<string> {
  const output = await sw.clients.secrets.send(new GetSecretValueCommand({ SecretId: secret.arn }));
  return output.SecretString ?? '';
}

function vendorRequests(): number {
  return [...sw.vendors.values()]
    .flatMap(({ simulator }) => Object.values(simulator.routeCounts()))
    .reduce((sum, count) => sum + count, 0);
}

/** Puts `mutate(valid)` as AWSCURRENT of a fresh secret, rotates, and checks the refusal. */
async function expectRefused(
  provider: string,
  options: Readonly<Record<string, unknown>>,
  mutate: (valid: Record<string, unknown>) => Record<string, unknown>,
  field: string,
): Promise<void> {
  sw.scanner.reset();
  const secret = await sw.newSecret({ provider, options });
  const valid = JSON.parse(await currentValue(secret)) as Record<string, unknown>;
  await sw.clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: secret.arn,
      SecretString: JSON.stringify(mutate(valid)),
    }),
  );
  const before = await currentValue(secret);
  const requestsBefore = vendorRequests();
  const record = await sw.rotate(secret);
  const failed = record.steps.find((step) => !step.ok);
  expect(record.outcome).toBe('failed');
  expect(failed?.errorType).toBe('SecretFormatError');
  expect(failed?.errorMessage).toContain(`"${field}"`);
  expect(await currentValue(secret)).toBe(before);
  expect(vendorRequests()).toBe(requestsBefore);
  sw.collectOutputs();
  expect(sw.scanner.leaks()).toEqual([]);
  await sw.retire(secret);
}

describe.each(VENDORS_UNDER_TEST.map((vendor) => [vendor.provider.displayName, vendor] as const))(
  'hostile %s secret values',
  (_name, vendor) => {
    const provider = vendor.provider.name;
    const { options } = vendor.variants[0];
    let fields: string[] = [];

    beforeAll(async () => {
      const secret = await sw.newSecret({ provider, options });
      fields = Object.keys(JSON.parse(await currentValue(secret)) as object).filter(
        (field) => field !== 'provider',
      );
      await sw.retire(secret);
    });

    it('has fields to try besides the provider', () => {
      expect(fields).toContain('apiKey');
    });

    it.each(REPLACEMENTS)(
      'refuses each field replaced by %s, naming the field',
      async (_what, bad) => {
        for (const field of fields) {
          await expectRefused(provider, options, (valid) => ({ ...valid, [field]: bad }), field);
        }
      },
    );

    it('refuses an unknown or non-string provider', async () => {
      await expectRefused(
        provider,
        options,
        (valid) => ({ ...valid, provider: 'github' }),
        'provider',
      );
      await expectRefused(provider, options, (valid) => ({ ...valid, provider: 7 }), 'provider');
    });
  },
);
