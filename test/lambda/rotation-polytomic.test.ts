import {
  IdentityMismatchError,
  KeyRejectedError,
  PartnerKeyMissingError,
} from '../../lambda/providers/errors';
import { RevocationFailedError } from '../../lambda/rotation/steps';
import { RotationMetric } from '../../lambda/shared/contracts';
import { createHarness, STEPS, type Harness } from './support/harness';
import { currentSecret, expectPolytomicInvariants } from './support/invariants';
import { PolytomicModel } from './support/vendors';

const TOKEN_1 = '11111111-1111-4111-8111-111111111111';
const TOKEN_2 = '22222222-2222-4222-8222-222222222222';

let h: Harness;
let model: PolytomicModel;
let partnerArn: string;

beforeEach(() => {
  h = createHarness();
  model = new PolytomicModel();
  model.install(h.agent);
  partnerArn = h.sm.addSecret(
    'polytomic/partner',
    JSON.stringify({ partnerKey: model.partnerKey }),
  );
});

afterEach(() => h.dispose());

function addSecret(fields: Record<string, unknown> = {}): string {
  return h.sm.addSecret(
    'polytomic/app',
    JSON.stringify({
      provider: 'polytomic',
      apiKey: model.seedKey('user-a'),
      organizationId: model.organizationId,
      userId: 'user-a',
      standbyUserId: 'user-b',
      partnerKeySecretId: partnerArn,
      team: { owner: 'data-platform' },
      ...fields,
    }),
  );
}

function issueRequests(userId: string): number {
  return model.requests.filter(
    (r) => r.method === 'POST' && r.path.includes(`/users/${userId}/keys`),
  ).length;
}

describe('Polytomic rotation with a standby user', () => {
  it('promotes a key for the standby user, swaps the users and revokes the old key', async () => {
    const arn = addSecret();
    const oldKey = currentSecret(h, arn).apiKey;

    await h.rotate(arn, TOKEN_1);

    const current = currentSecret(h, arn);
    expect(current).toMatchObject({
      userId: 'user-b',
      standbyUserId: 'user-a',
      team: { owner: 'data-platform' },
    });
    expect(current.apiKey).not.toBe(oldKey);
    expect(model.isLive(oldKey)).toBe(false);
    expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(TOKEN_1);
    expect(h.metricNames()).toEqual(
      expect.arrayContaining([
        RotationMetric.StepSucceeded,
        RotationMetric.Completed,
        RotationMetric.KeyRevoked,
      ]),
    );
    expect(h.metricNames().filter((name) => name === RotationMetric.StepSucceeded)).toHaveLength(4);
    expectPolytomicInvariants(h, model, arn);
  });

  it('sends the version header, force=true and the token as Idempotency-Key', async () => {
    const arn = addSecret({ apiVersion: '2022-12-12' });
    await h.rotate(arn, TOKEN_1);

    const [issue, revoke] = model.requests.filter((r) => r.method === 'POST');
    expect(issue).toMatchObject({
      path: `/api/organizations/${model.organizationId}/users/user-b/keys?force=true`,
    });
    expect(issue.headers['idempotency-key']).toBe(TOKEN_1);
    expect(issue.headers['x-polytomic-version']).toBe('2022-12-12');
    expect(revoke.path).toContain('/users/user-a/keys?force=true');
    expect(revoke.headers['idempotency-key']).toBe(`${TOKEN_1}-revoke`);
  });

  it('alternates between the two users over consecutive rotations', async () => {
    const arn = addSecret();
    await h.rotate(arn, TOKEN_1);
    await h.rotate(arn, TOKEN_2);

    expect(currentSecret(h, arn)).toMatchObject({ userId: 'user-a', standbyUserId: 'user-b' });
    expect(model.liveKeys.get('user-a')).toBe(currentSecret(h, arn).apiKey);
    expectPolytomicInvariants(h, model, arn);
  });

  it('makes 13 Secrets Manager calls per rotation: 11 on the secret, 2 for the partner key', async () => {
    const arn = addSecret();
    await h.rotate(arn, TOKEN_1);

    // finishSecret reads the pending value before promoting it.
    expect(h.sm.calls.filter((c) => c.secretId === arn)).toHaveLength(11);
    expect(h.sm.calls.filter((c) => c.secretId === partnerArn)).toHaveLength(2);
  });

  it('reads the partner key from ROTATOR_PARTNER_KEY_SECRET_ID when the secret names none', async () => {
    await h.dispose();
    const defaultPartner = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:polytomic/partner';
    h = createHarness({ defaultPartnerKeySecretId: defaultPartner });
    model.install(h.agent);
    h.sm.addSecret('polytomic/partner', model.partnerKey); // a plain-string partner key
    const arn = addSecret({ partnerKeySecretId: undefined });

    await h.rotate(arn, TOKEN_1);

    expect(currentSecret(h, arn).userId).toBe('user-b');
    expectPolytomicInvariants(h, model, arn);
  });

  it('fails createSecret with an actionable error when no partner key is configured', async () => {
    const arn = addSecret({ partnerKeySecretId: undefined });
    h.sm.startRotation(arn, TOKEN_1);

    await expect(h.invoke('createSecret', arn, TOKEN_1)).rejects.toThrow(PartnerKeyMissingError);
    expect(h.sm.valueOf(arn, 'AWSPENDING')).toBeUndefined();
    expect(h.metricNames()).toContain(RotationMetric.StepFailed);
  });

  it('names a rejected partner key by fingerprint', async () => {
    const wrongPartner = h.sm.addSecret(
      'polytomic/other-partner',
      JSON.stringify({ partnerKey: 'not-the-partner-key' }),
    );
    const arn = addSecret({ partnerKeySecretId: wrongPartner });
    h.sm.startRotation(arn, TOKEN_1);

    const error = await h.invoke('createSecret', arn, TOKEN_1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyRejectedError);
    expect((error as Error).message).toMatch(/partner key [0-9a-f]{8} with 401/);
    expect((error as Error).message).not.toContain('not-the-partner-key');
  });
});

describe('Polytomic retries and failures', () => {
  it('gets the same key back when the issue committed but its answer was lost', async () => {
    const arn = addSecret();
    model.injectFault('/users/user-b/keys', 'commit-then-fail');

    await h.rotate(arn, TOKEN_1);

    const issuedForB = model.issued.filter((key) => key === model.liveKeys.get('user-b'));
    expect(issuedForB).toHaveLength(1);
    expect(issueRequests('user-b')).toBe(2);
    expect(model.issued).toHaveLength(3); // seed, the replayed issue, the revocation re-issue
    expectPolytomicInvariants(h, model, arn);
  });

  it('recovers when createSecret dies after the issue, before PutSecretValue', async () => {
    const arn = addSecret();
    h.sm.startRotation(arn, TOKEN_1);
    h.sm.failNext('PutSecretValueCommand', new Error('Rate exceeded'));

    await expect(h.invoke('createSecret', arn, TOKEN_1)).rejects.toThrow('Rate exceeded');
    const orphan = model.liveKeys.get('user-b');
    for (const step of STEPS) await h.invoke(step, arn, TOKEN_1);

    expect(currentSecret(h, arn).apiKey).toBe(orphan);
    expectPolytomicInvariants(h, model, arn);
  });

  it('ends in the same state when every step runs twice', async () => {
    const arn = addSecret();
    h.sm.startRotation(arn, TOKEN_1);
    for (const step of STEPS) {
      await h.invoke(step, arn, TOKEN_1);
      await h.invoke(step, arn, TOKEN_1);
    }

    expect(issueRequests('user-b')).toBe(1);
    // A repeated finishSecret finds the replaced key rejected already: nothing to re-issue.
    expect(issueRequests('user-a')).toBe(1);
    expect(model.issued).toHaveLength(3); // seed, the new key, the revocation re-issue
    expect(currentSecret(h, arn).userId).toBe('user-b');
    expectPolytomicInvariants(h, model, arn);
  });

  it.each([
    [
      [
        'createSecret',
        'setSecret',
        'createSecret',
        'testSecret',
        'setSecret',
        'finishSecret',
        'testSecret',
        'createSecret',
        'finishSecret',
      ],
    ],
    [
      [
        'createSecret',
        'testSecret',
        'createSecret',
        'setSecret',
        'testSecret',
        'finishSecret',
        'setSecret',
      ],
    ],
  ] as const)('converges under the retry order %j', async (order) => {
    const arn = addSecret();
    h.sm.startRotation(arn, TOKEN_1);
    for (const step of order) await h.invoke(step, arn, TOKEN_1);

    expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(TOKEN_1);
    expect(issueRequests('user-b')).toBe(1);
    expect(issueRequests('user-a')).toBe(1);
    expectPolytomicInvariants(h, model, arn);
  });

  it('fails testSecret when the pending key authenticates as another user', async () => {
    const arn = addSecret();
    const userAKey = currentSecret(h, arn).apiKey;
    h.sm.startRotation(arn, TOKEN_1);
    await h.sm.client.send(
      // A pending version whose key belongs to user-a but claims user-b.
      new (await import('@aws-sdk/client-secrets-manager')).PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: TOKEN_1,
        SecretString: JSON.stringify({
          ...currentSecret(h, arn),
          userId: 'user-b',
          standbyUserId: 'user-a',
          apiKey: userAKey,
        }),
        VersionStages: ['AWSPENDING'],
      }),
    );

    const error = await h.invoke('testSecret', arn, TOKEN_1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityMismatchError);
    expect((error as Error).message).toContain('authenticates as user user-a');
    expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).not.toBe(TOKEN_1);
    expectPolytomicInvariants(h, model, arn);
  });

  it('reports a failed revocation loudly, keeps the promotion, and the next rotation revokes the key', async () => {
    const arn = addSecret();
    const oldKey = currentSecret(h, arn).apiKey;
    for (let i = 0; i < 4; i++) model.injectFault('/users/user-a/keys', { status: 503 });
    h.sm.startRotation(arn, TOKEN_1);
    for (const step of STEPS.slice(0, 3)) await h.invoke(step, arn, TOKEN_1);

    const error = await h.invoke('finishSecret', arn, TOKEN_1).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RevocationFailedError);
    expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(TOKEN_1);
    expect(model.isLive(oldKey)).toBe(true);
    expect(h.metricNames()).toEqual(
      expect.arrayContaining([
        RotationMetric.Completed,
        RotationMetric.RevocationFailed,
        RotationMetric.StepFailed,
      ]),
    );
    expect(h.notifier.sent).toHaveLength(1);
    expect(h.notifier.sent[0].message).toContain(
      String((error as Error).message.match(/key ([0-9a-f]{8})/)?.[1]),
    );
    await h.invoke('finishSecret', arn, TOKEN_1); // a retry finds the version already current

    await h.rotate(arn, TOKEN_2);
    expect(model.isLive(oldKey)).toBe(false);
    expectPolytomicInvariants(h, model, arn);
  });

  it('kills the key of an abandoned rotation when the next one issues for the same user', async () => {
    const arn = addSecret();
    model.injectFault('/api/me', { status: 401 });
    await expect(h.rotate(arn, TOKEN_1)).rejects.toThrow(KeyRejectedError);
    const abandoned = model.liveKeys.get('user-b')!;

    await h.rotate(arn, TOKEN_2);

    expect(model.isLive(abandoned)).toBe(false);
    expect(currentSecret(h, arn).userId).toBe('user-b');
    expectPolytomicInvariants(h, model, arn);
  });
});

describe('Polytomic revocation policies and single-user mode', () => {
  it('keeps the previous key under next-rotation until the next rotation replaces it', async () => {
    const arn = addSecret({ revokePrevious: 'next-rotation' });
    const firstKey = currentSecret(h, arn).apiKey;

    await h.rotate(arn, TOKEN_1);
    expect(model.isLive(firstKey)).toBe(true);
    expect(issueRequests('user-a')).toBe(0);
    expectPolytomicInvariants(h, model, arn, { keptPrevious: true });

    const secondKey = currentSecret(h, arn).apiKey;
    await h.rotate(arn, TOKEN_2);
    expect(model.isLive(firstKey)).toBe(false);
    expect(model.isLive(secondKey)).toBe(true);
    expect(h.metricNames()).not.toContain(RotationMetric.KeyRevoked);
    expectPolytomicInvariants(h, model, arn, { keptPrevious: true });
  });

  it('single-user mode: the old key dies at createSecret and the new one is promoted at finish', async () => {
    const arn = addSecret({ standbyUserId: undefined });
    const oldKey = currentSecret(h, arn).apiKey;
    h.sm.startRotation(arn, TOKEN_1);

    await h.invoke('createSecret', arn, TOKEN_1);
    expect(model.isLive(oldKey)).toBe(false); // the documented downtime window opens
    expectPolytomicInvariants(h, model, arn, { downtime: true });

    for (const step of STEPS.slice(1)) await h.invoke(step, arn, TOKEN_1);
    expect(currentSecret(h, arn)).toMatchObject({ userId: 'user-a' });
    expect(currentSecret(h, arn).standbyUserId).toBeUndefined();
    expect(issueRequests('user-a')).toBe(1);
    expectPolytomicInvariants(h, model, arn);
  });
});
