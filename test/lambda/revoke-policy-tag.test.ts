/**
 * The revoke policy comes from the secret value's `revokePrevious`, else the stack's
 * `api-key-rotator:revoke-previous` tag (read from DescribeSecret), else `on-finish`.
 *
 * A hand-built world (SafetyWorld, whose callers act as the account's administrator): the
 * invariants replay each step through the traced in-process handler, and the tags are rewritten
 * to values the stack never writes. The tag the deployed stack sets is honoured end to end in
 * test/lambda/e2e/rotation.e2e.test.ts.
 */
import { GetSecretValueCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { builtInProviders } from '../../lambda/providers/registry';
import { resolveRevokePolicy, RevokePolicyTagError } from '../../lambda/shared/secret';
import { REVOKE_POLICY_TAG } from '../../lambda/shared/contracts';
import { expectInvariants } from '../support/invariants';
import { SafetyWorld, type SecretUnderTest } from '../support/safety-world';

const POELIS_KEY = `poelis_api_${'a'.repeat(43)}`;
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app';

describe('resolveRevokePolicy', () => {
  const secret = (fields: Record<string, unknown> = {}) =>
    builtInProviders.parseSecret(
      JSON.stringify({ provider: 'poelis', apiKey: POELIS_KEY, ...fields }),
    );

  it('prefers the value, then the tag, then on-finish', () => {
    const tag = { [REVOKE_POLICY_TAG]: 'next-rotation' };
    expect(resolveRevokePolicy(secret({ revokePrevious: 'on-finish' }), ARN, tag)).toBe(
      'on-finish',
    );
    expect(resolveRevokePolicy(secret(), ARN, tag)).toBe('next-rotation');
    expect(resolveRevokePolicy(secret(), ARN, { other: 'x' })).toBe('on-finish');
  });

  it('refuses a tag value that is not a policy, naming the tag and the secret', () => {
    expect(() => resolveRevokePolicy(secret(), ARN, { [REVOKE_POLICY_TAG]: 'never' })).toThrow(
      RevokePolicyTagError,
    );
    expect(() => resolveRevokePolicy(secret(), ARN, { [REVOKE_POLICY_TAG]: '' })).toThrow(
      new RegExp(`Tag "${REVOKE_POLICY_TAG}" of secret ${ARN} must be one of on-finish`),
    );
  });

  it('ignores the tag when the value sets the policy, even a bad tag', () => {
    const tags = { [REVOKE_POLICY_TAG]: 'never' };
    expect(resolveRevokePolicy(secret({ revokePrevious: 'next-rotation' }), ARN, tags)).toBe(
      'next-rotation',
    );
  });
});

describe('the tag in rotations', () => {
  let sw: SafetyWorld;

  beforeAll(async () => {
    sw = await SafetyWorld.start();
  });

  afterAll(() => sw?.close());

  async function apiKey(secret: SecretUnderTest, stage: string): Promise<string> {
    const output = await sw.clients.secrets.send(
      new GetSecretValueCommand({ SecretId: secret.arn, VersionStage: stage }),
    );
    return (JSON.parse(output.SecretString ?? '{}') as { apiKey: string }).apiKey;
  }

  it('next-rotation from the tag keeps the previous key live until the next rotation', async () => {
    const secret = await sw.newSecret({
      provider: 'polytomic',
      policy: 'next-rotation',
      policyIn: 'tag',
    });
    const first = await apiKey(secret, 'AWSCURRENT');
    expect((await sw.rotate(secret)).outcome).toBe('succeeded');
    expect(sw.world.polytomic.admin.keyStatus(first)).toBe('live');
    await expectInvariants(sw, secret);

    const second = await apiKey(secret, 'AWSCURRENT');
    expect((await sw.rotate(secret)).outcome).toBe('succeeded');
    expect(sw.world.polytomic.admin.keyStatus(first)).toBe('revoked');
    expect(sw.world.polytomic.admin.keyStatus(second)).toBe('live');
    await expectInvariants(sw, secret, { settled: true, idempotence: true });
  });

  it("the value's revokePrevious wins over the tag", async () => {
    const secret = await sw.newSecret({ provider: 'polytomic', policy: 'on-finish' });
    await sw.clients.secrets.send(
      new TagResourceCommand({
        SecretId: secret.arn,
        Tags: [{ Key: REVOKE_POLICY_TAG, Value: 'next-rotation' }],
      }),
    );
    const first = await apiKey(secret, 'AWSCURRENT');
    expect((await sw.rotate(secret)).outcome).toBe('succeeded');
    expect(sw.world.polytomic.admin.keyStatus(first)).toBe('revoked');
  });

  it('a bad tag fails createSecret before any key is issued, leaving AWSCURRENT alone', async () => {
    const secret = await sw.newSecret({ provider: 'polytomic' });
    await sw.clients.secrets.send(
      new TagResourceCommand({
        SecretId: secret.arn,
        Tags: [{ Key: REVOKE_POLICY_TAG, Value: 'on-rotation' }],
      }),
    );
    const before = await apiKey(secret, 'AWSCURRENT');
    const ledgerSize = sw.world.polytomic.ledger().length;

    const record = await sw.rotate(secret);
    expect(record.steps[0]).toMatchObject({
      step: 'createSecret',
      errorType: 'RevokePolicyTagError',
    });
    expect(sw.world.polytomic.ledger()).toHaveLength(ledgerSize);
    expect(await apiKey(secret, 'AWSCURRENT')).toBe(before);
  });
});
