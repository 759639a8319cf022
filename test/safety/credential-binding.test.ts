/**
 * Credentials bound to their vendor: a secret whose baseUrl names another vendor's origin (one
 * the function may call for that other vendor) is refused before any request, so its key — and
 * Polytomic's partner key or Acme's admin key — never reaches the other vendor. Checked for every
 * ordered pair of vendors under test, in the rotation and in the audit.
 */
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { VENDORS_UNDER_TEST } from '../conformance/vendors';
import { SafetyWorld, type SecretUnderTest } from '../support/safety-world';

jest.setTimeout(120_000);

let sw: SafetyWorld;

beforeAll(async () => {
  sw = await SafetyWorld.start({ attemptTimeoutMs: 300 });
});

afterAll(() => sw?.close());

afterEach(() => sw.clearFaults());

async function currentValue(secret: SecretUnderTest): Promise<string | undefined> {
  const output = await sw.clients.secrets.send(new GetSecretValueCommand({ SecretId: secret.arn }));
  return output.SecretString;
}

/** Every simulator's request counts, by provider: a request anywhere changes them. */
function requestCounts(): Record<string, Record<string, number>> {
  return Object.fromEntries(
    [...sw.vendors].map(([provider, { simulator }]) => [provider, simulator.routeCounts()]),
  );
}

/** A provisioned secret of `owner` whose AWSCURRENT now names `target`'s simulator as baseUrl. */
async function secretAimedAt(owner: string, target: string): Promise<SecretUnderTest> {
  const { vendor } = sw.vendorOf(owner);
  const secret = await sw.newSecret({ provider: owner, options: vendor.variants[0].options });
  const valid = JSON.parse((await currentValue(secret)) ?? '{}') as Record<string, unknown>;
  await sw.clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: secret.arn,
      SecretString: JSON.stringify({ ...valid, baseUrl: sw.vendorOf(target).simulator.url }),
    }),
  );
  // Versions are told apart by their creation time, as on AWS: let a minute pass.
  sw.clock.advance(60_000);
  // Assisted vendors rotate a staged key in, then test it at the secret's baseUrl.
  await sw.stage(secret);
  return secret;
}

const names = VENDORS_UNDER_TEST.map((vendor) => vendor.provider.name);
const pairs = names.flatMap((owner) =>
  names.filter((target) => target !== owner).map((target) => [owner, target] as const),
);

describe.each(pairs)('a %s secret whose baseUrl is the %s simulator', (owner, target) => {
  it('is refused by the rotation before any request, AWSCURRENT unchanged', async () => {
    sw.scanner.reset();
    const secret = await secretAimedAt(owner, target);
    const before = await currentValue(secret);
    const counts = requestCounts();

    const record = await sw.rotate(secret);

    const failed = record.steps.find((step) => !step.ok);
    expect(record.outcome).toBe('failed');
    expect(failed?.errorType).toBe('OriginNotAllowedError');
    expect(failed?.errorMessage).toContain(`not one of ${owner}'s origins`);
    // No simulator saw a request: neither the key nor a partner or admin key reached the other vendor.
    expect(requestCounts()).toEqual(counts);
    expect(await currentValue(secret)).toBe(before);
    sw.collectOutputs();
    expect(sw.scanner.leaks()).toEqual([]);
  });

  it('is refused by the audit before any request', async () => {
    const secret = await secretAimedAt(owner, target);
    const counts = requestCounts();

    const findings = await sw.audit(secret.arn);

    const current = findings.find((finding) => finding.check === 'current-key-works');
    expect(current?.outcome).toBe('error');
    expect(current?.message).toContain(`not one of ${owner}'s origins`);
    expect(requestCounts()).toEqual(counts);
  });
});

describe('the binding lets each vendor reach its own simulator', () => {
  it.each(names)('rotates a %s secret at its own simulator', async (provider) => {
    const { vendor, simulator } = sw.vendorOf(provider);
    const secret = await sw.newSecret({ provider, options: vendor.variants[0].options });
    sw.clock.advance(60_000);
    await sw.stage(secret);
    const before = Object.values(simulator.routeCounts()).reduce((sum, n) => sum + n, 0);
    expect((await sw.rotate(secret)).outcome).toBe('succeeded');
    const after = Object.values(simulator.routeCounts()).reduce((sum, n) => sum + n, 0);
    expect(after).toBeGreaterThan(before);
    sw.actOnReminders(secret);
  });
});
