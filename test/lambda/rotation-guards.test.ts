import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { CustomerManagedKeyRequiredError, KmsKeyUnusableError } from '../../lambda/aws/kms';
import { InvalidRotationEventError } from '../../lambda/rotation/event';
import {
  RotationNotEnabledError,
  UnexpectedVersionError,
} from '../../lambda/rotation/version-stages';
import { RotationMetric } from '../../lambda/shared/contracts';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { SecretFormatError } from '../../lambda/shared/secret';
import { createHarness, lambdaContext, type Harness } from './support/harness';
import { PoelisModel } from './support/vendors';

const TOKEN = '11111111-1111-4111-8111-111111111111';
const KEY_ID = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let h: Harness;
let model: PoelisModel;

beforeEach(() => {
  h = createHarness();
  model = new PoelisModel();
  model.install(h.agent);
});

afterEach(() => h.dispose());

function addSecret(options: { rotationEnabled?: boolean; kmsKeyId?: string } = {}): string {
  return h.sm.addSecret(
    'poelis/app',
    JSON.stringify({ provider: 'poelis', apiKey: model.createKey() }),
    options,
  );
}

describe('rotation event validation', () => {
  it.each([
    ['not an object', 'createSecret', /the event is not an object/],
    [{ SecretId: 'a', ClientRequestToken: 't' }, 'no step', /"Step" must be one of/],
    [
      { Step: 'dropSecret', SecretId: 'a', ClientRequestToken: 't' },
      'unknown step',
      /"Step" must be one of/,
    ],
    [
      { Step: 'createSecret', ClientRequestToken: 't' },
      'no secret',
      /"SecretId" must be a non-empty string/,
    ],
    [
      { Step: 'createSecret', SecretId: 'a', ClientRequestToken: '' },
      'empty token',
      /"ClientRequestToken"/,
    ],
    [
      { Step: 'createSecret', SecretId: 'a', ClientRequestToken: 't', RotationToken: 5 },
      'bad rotation token',
      /"RotationToken"/,
    ],
  ])('rejects %j (%s)', async (event, _case, message) => {
    await expect(h.handler(event, lambdaContext())).rejects.toThrow(InvalidRotationEventError);
    await expect(h.handler(event, lambdaContext())).rejects.toThrow(message);
    expect(h.metricNames()).toContain(RotationMetric.StepFailed);
    expect(h.sm.calls).toHaveLength(0);
  });
});

describe('version stage checks before every step', () => {
  it('refuses a secret with rotation disabled', async () => {
    const arn = addSecret({ rotationEnabled: false });
    h.sm.startRotation(arn, TOKEN);
    await expect(h.invoke('createSecret', arn, TOKEN)).rejects.toThrow(RotationNotEnabledError);
  });

  it('refuses a token that is not a version of the secret', async () => {
    const arn = addSecret();
    await expect(h.invoke('createSecret', arn, TOKEN)).rejects.toThrow(UnexpectedVersionError);
    await expect(h.invoke('createSecret', arn, TOKEN)).rejects.toThrow(/does not exist/);
  });

  it('refuses a token that is a version but not AWSPENDING', async () => {
    const arn = addSecret();
    const staged = h.sm.stage(arn, JSON.stringify({ apiKey: model.createKey() }));
    await expect(h.invoke('testSecret', arn, staged)).rejects.toThrow(/is not AWSPENDING/);
  });

  it.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const)(
    '%s returns at once for a token already AWSCURRENT',
    async (step) => {
      const arn = addSecret();
      const currentId = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
      await h.invoke(step, arn, currentId);
      expect(h.sm.calls.map((c) => c.command)).toEqual(['DescribeSecretCommand']);
      expect(h.kms.calls).toBe(0);
      expect(h.metricNames()).toEqual([RotationMetric.StepSucceeded]);
    },
  );

  it('passes the RotationToken on to PutSecretValue', async () => {
    const arn = addSecret();
    h.sm.stage(arn, JSON.stringify({ apiKey: model.createKey() }));
    h.sm.startRotation(arn, TOKEN);
    await h.handler(
      { Step: 'createSecret', SecretId: arn, ClientRequestToken: TOKEN, RotationToken: 'rot-123' },
      lambdaContext(),
    );
    const put = h.sm.calls.find((c) => c.command === 'PutSecretValueCommand');
    expect(put?.input).toMatchObject({
      ClientRequestToken: TOKEN,
      VersionStages: ['AWSPENDING'],
      RotationToken: 'rot-123',
    });
  });

  it('names the bad field of a malformed secret without echoing any value', async () => {
    const apiKey = model.createKey();
    const arn = h.sm.addSecret(
      'poelis/bad',
      JSON.stringify({ provider: 'poelis', apiKey, revokePrevious: 'never' }),
    );
    h.sm.startRotation(arn, TOKEN);

    const error = await h.invoke('createSecret', arn, TOKEN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as Error).message).toContain('"revokePrevious"');
    expect((error as Error).message).not.toContain('never');
    expect(h.output()).not.toContain(apiKey);
  });
});

describe('KMS key checks before touching the vendor', () => {
  /** Runs createSecret on a staged Poelis secret encrypted with `kmsKey` (the AWS managed key when absent). */
  async function createWith(
    config: { requireCustomerManagedKey?: boolean },
    kmsKey?: { KeyState: string; KeyManager: string },
  ): Promise<unknown> {
    await h.dispose();
    h = createHarness(config);
    model.install(h.agent);
    if (kmsKey !== undefined) h.kms.keys.set(KEY_ID, kmsKey);
    const arn = addSecret(kmsKey === undefined ? {} : { kmsKeyId: KEY_ID });
    h.sm.stage(arn, JSON.stringify({ apiKey: model.createKey() }));
    h.sm.startRotation(arn, TOKEN);
    return h.invoke('createSecret', arn, TOKEN).then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it.each([
    ['Disabled', /is Disabled/],
    ['PendingDeletion', /is PendingDeletion.*cancel its deletion/],
  ])('fails, before any other call, when the key is %s', async (state, message) => {
    const error = await createWith({}, { KeyState: state, KeyManager: 'CUSTOMER' });
    expect(error).toBeInstanceOf(KmsKeyUnusableError);
    expect((error as Error).message).toMatch(message);
    expect(h.sm.calls.map((c) => c.command)).toEqual(['DescribeSecretCommand']);
  });

  it('fails a secret on the AWS managed key when a customer-managed key is required', async () => {
    const error = await createWith({ requireCustomerManagedKey: true });
    expect(error).toBeInstanceOf(CustomerManagedKeyRequiredError);
    expect((error as Error).message).toContain('aws/secretsmanager');
  });

  it('fails a key whose KeyManager is AWS when a customer-managed key is required', async () => {
    const error = await createWith(
      { requireCustomerManagedKey: true },
      { KeyState: 'Enabled', KeyManager: 'AWS' },
    );
    expect(error).toBeInstanceOf(CustomerManagedKeyRequiredError);
  });

  it('accepts the AWS managed key when no customer-managed key is required', async () => {
    expect(await createWith({})).toBeUndefined();
    expect(h.kms.calls).toBe(0);
  });

  it('accepts an enabled customer-managed key', async () => {
    const error = await createWith(
      { requireCustomerManagedKey: true },
      { KeyState: 'Enabled', KeyManager: 'CUSTOMER' },
    );
    expect(error).toBeUndefined();
    expect(h.kms.calls).toBe(1);
  });
});

describe('logs', () => {
  it('carry secret, token, step, provider, fingerprints and vendor request ids, never a key', async () => {
    const arn = addSecret();
    const oldKey = (JSON.parse(h.sm.valueOf(arn, 'AWSCURRENT')!) as { apiKey: string }).apiKey;
    const newKey = model.createKey();
    h.sm.stage(arn, JSON.stringify({ apiKey: newKey, keyName: 'B' }));
    h.sm.startRotation(arn, TOKEN);
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await h.invoke(step, arn, TOKEN);
    }
    // A later failing call must not leak either.
    await h.sm.client.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: 'x'.repeat(32),
        SecretString: '{"provider":"poelis","apiKey":"' + oldKey + '","bad":1}',
        VersionStages: ['AWSPENDING'],
      }),
    );
    await h.invoke('testSecret', arn, 'x'.repeat(32)).catch(() => undefined);

    const lines = h.logLines();
    const created = lines.find((line) => line.message === 'new key stored as AWSPENDING');
    expect(created).toMatchObject({
      secretArn: arn,
      token: TOKEN,
      step: 'createSecret',
      provider: 'poelis',
      currentKey: { fingerprint: fingerprint(oldKey) },
      pendingKey: { fingerprint: fingerprint(newKey), keyName: 'B' },
    });
    const request = lines.find((line) => line.message === 'vendor request');
    expect(request).toMatchObject({
      status: 200,
      vendorRequestId: expect.any(String) as string,
      durationMs: expect.any(Number) as number,
    });
    expect(lines.some((line) => line.message === 'rotation step succeeded')).toBe(true);
    expect(h.output()).not.toContain(oldKey);
    expect(h.output()).not.toContain(newKey);
  });
});
