/**
 * Secrets Manager's configuration test: with RotateImmediately=false (and CloudFormation's
 * RotateImmediatelyOnUpdate=false) it runs only testSecret, on an AWSPENDING version without a
 * value. testSecret then checks what it can and changes nothing.
 *
 * A hand-built world (SafetyWorld, whose callers act as the account's administrator): the
 * in-process handler's output is scanned, and the secrets hold values, tags and keys of their own
 * that the stack never writes. The stack's own configuration test, at deploy, is in
 * test/lib/synth.test.ts.
 */
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { REVOKE_POLICY_TAG } from '../../lambda/shared/contracts';
import { SafetyWorld } from '../support/safety-world';

let sw: SafetyWorld;

beforeAll(async () => {
  sw = await SafetyWorld.start();
});

afterAll(() => sw?.close());

beforeEach(() => sw.scanner.reset());

function logLines(): { level?: string; message?: string; secretArn?: string }[] {
  return sw.scanner
    .textOf('stdout')
    .split('\n')
    .filter((line) => line.startsWith('{') && !line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as { level?: string; message?: string });
}

describe('the configuration test (testSecret alone, pending version without a value)', () => {
  it('verifies the current key, leaves no version behind and changes nothing', async () => {
    const secret = await sw.newSecret({ provider: 'polytomic' });
    const record = sw.lastRotation(secret);

    expect(record.outcome).toBe('succeeded');
    expect(record.steps.map((step) => step.step)).toEqual(['testSecret']);
    expect(Object.values(await sw.versionStages(secret))).toEqual([['AWSCURRENT']]);
    expect(logLines().map((line) => line.message)).toContain(
      'configuration test passed: the current key is verified',
    );
    expect(sw.world.polytomic.routeCounts()['GET /api/me']).toBeGreaterThan(0);
    sw.collectOutputs();
    expect(sw.scanner.leaks()).toEqual([]);
  });

  it('passes a Poelis secret by checking its current key', async () => {
    const secret = await sw.newSecret({ provider: 'poelis' });
    expect(sw.lastRotation(secret).outcome).toBe('succeeded');
  });

  it("passes the stack's placeholder with a warning that the first key is not put yet", async () => {
    const { arn } = await sw.newRawSecret('{"provider":"polytomic"}');
    const record = await sw.configureRotation(arn);

    expect(record.outcome).toBe('succeeded');
    const warning = logLines().find((line) => line.level === 'WARN');
    expect(warning?.message).toMatch(/first key has not been put yet/);
    expect(warning?.message).toMatch(/put-secret-value/);
  });

  it('fails when the current key is rejected, naming it by fingerprint', async () => {
    const secret = await sw.newSecret({ provider: 'poelis' });
    const { admin } = sw.world.poelis;
    admin.revokeKey(secret.organizationId, `safety/${secret.label} #1`);

    const record = await sw.configureRotation(secret.arn);
    expect(record.outcome).toBe('failed');
    expect(record.steps[0]).toMatchObject({ step: 'testSecret', errorType: 'KeyRejectedError' });
    expect(Object.values(await sw.versionStages(secret))).toEqual([['AWSCURRENT']]);
  });

  it('fails when the KMS key is disabled', async () => {
    const secret = await sw.newSecret({ provider: 'polytomic' });
    await sw.setKeyEnabled(secret, false);
    const record = await sw.configureRotation(secret.arn);
    await sw.setKeyEnabled(secret, true);

    expect(record.steps[0]).toMatchObject({ ok: false, errorType: 'KmsKeyUnusableError' });
  });

  it('fails on a malformed current value, and on a bad revoke-policy tag', async () => {
    const malformed = await sw.newRawSecret('{"provider":"polytomic","apiKey":42}');
    expect((await sw.configureRotation(malformed.arn)).steps[0]).toMatchObject({
      errorType: 'SecretFormatError',
    });
    const tagged = await sw.newRawSecret(
      JSON.stringify({ provider: 'poelis', apiKey: `poelis_api_${'a'.repeat(43)}` }),
      { [REVOKE_POLICY_TAG]: 'whenever' },
    );
    expect((await sw.configureRotation(tagged.arn)).steps[0]).toMatchObject({
      errorType: 'RevokePolicyTagError',
    });
  });
});

describe('a real rotation of the placeholder', () => {
  it('fails createSecret with FirstKeyMissingError telling the operator to put the first key', async () => {
    const { arn } = await sw.newRawSecret('{"provider":"poelis"}');
    await sw.configureRotation(arn);
    await sw.clients.secrets.send(new RotateSecretCommand({ SecretId: arn }));
    await sw.world.aws.waitForRotations(arn);

    const record = sw.world.aws.rotationHistory(arn).at(-1);
    expect(record?.outcome).toBe('failed');
    expect(record?.steps[0]).toMatchObject({
      step: 'createSecret',
      errorType: 'FirstKeyMissingError',
    });
    expect(record?.steps[0].errorMessage).toContain('aws secretsmanager put-secret-value');
  });
});
