/**
 * End to end: the bundled rotation function (dist/lambda/rotation/index.js, built by
 * `npm run bundle`) run by the LambdaRunner for the AWS emulator, against the vendor simulators.
 */
import { CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startAwsEmulator, type AwsEmulator } from '../../../local/aws';
import { LambdaRunner } from '../../../local/aws/lambda-runner';
import {
  keyShapedStrings,
  startPoelisSimulator,
  startPolytomicSimulator,
  type PoelisSimulator,
  type PolytomicSimulator,
  type SimulatorBase,
} from '../../../local/vendors';
import { fingerprint } from '../../../lambda/shared/fingerprint';

const BUNDLE = join(__dirname, '..', '..', '..', 'dist', 'lambda', 'rotation', 'index.js');

let emulator: AwsEmulator;
let runner: LambdaRunner;
let polytomic: PolytomicSimulator;
let poelis: PoelisSimulator;
let sm: SecretsManagerClient;
let functionArn: string;
let topicArn: string;
let kmsKeyId: string;
let kms: KMSClient;
const functionLog: string[] = [];

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run bundle\` first.`);
  [emulator, polytomic, poelis] = await Promise.all([
    startAwsEmulator(),
    startPolytomicSimulator(),
    startPoelisSimulator(),
  ]);
  const config = {
    endpoint: emulator.url,
    region: emulator.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  sm = new SecretsManagerClient(config);
  kms = new KMSClient(config);
  const sns = new SNSClient(config);
  kmsKeyId = (await kms.send(new CreateKeyCommand({ Description: 'rotator' }))).KeyMetadata!.Arn!;
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'rotator-notices' }))).TopicArn!;
  sns.destroy();

  runner = new LambdaRunner({
    awsEndpointUrl: emulator.url,
    logSink: (line) => functionLog.push(line),
  });
  functionArn = runner.register('api-key-rotator-rotation', {
    kind: 'bundle',
    file: BUNDLE,
    timeoutMs: 30_000,
    environment: {
      ROTATOR_ALLOWED_ORIGINS: `${polytomic.url},${poelis.url}`,
      ROTATOR_ALLOW_LOOPBACK_HTTP: 'true',
      ROTATOR_REQUIRE_CUSTOMER_MANAGED_KEY: 'true',
      ROTATOR_NOTIFY_TOPIC_ARN: topicArn,
    },
  });
  emulator.setInvoker(runner);
});

afterAll(async () => {
  sm?.destroy();
  kms?.destroy();
  await runner?.close();
  await Promise.all([emulator?.close(), polytomic?.close(), poelis?.close()]);
});

async function createSecret(name: string, value: unknown, keyId = kmsKeyId): Promise<string> {
  const output = await sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: JSON.stringify(value),
      KmsKeyId: keyId,
    }),
  );
  return output.ARN!;
}

async function current(arn: string): Promise<Record<string, string>> {
  const output = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
  return JSON.parse(output.SecretString!) as Record<string, string>;
}

/** RotateSecret, then wait for the four steps; returns the rotation's outcome. */
async function rotate(
  arn: string,
): Promise<{ outcome: string; errorType?: string; errorMessage?: string }> {
  await sm.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: functionArn }));
  await emulator.waitForRotations(arn);
  const record = emulator.rotationHistory(arn).at(-1)!;
  const failed = record.steps.find((step) => !step.ok);
  return {
    outcome: record.outcome,
    errorType: failed?.errorType,
    errorMessage: failed?.errorMessage,
  };
}

/** Invariant 4: no key any simulator issued appears in the function's output. */
function expectNoIssuedKeyInLogs(simulator: SimulatorBase): void {
  expect(functionLog.join('\n')).toContain('rotation step succeeded');
  const leaked = keyShapedStrings(functionLog.join('\n')).filter((candidate) =>
    simulator.isIssuedKey(candidate),
  );
  expect(leaked).toEqual([]);
}

/** A Polytomic organization with two service users, a partner key and a secret on user A's key. */
async function polytomicSecret(
  name: string,
  fields: Record<string, unknown> = {},
  keyId = kmsKeyId,
) {
  const org = polytomic.admin.createOrganization(name).id;
  const userA = polytomic.admin.createUser(org, `svc-a@${name}.test`, 'admin').id;
  const userB = polytomic.admin.createUser(org, `svc-b@${name}.test`, 'admin').id;
  const partnerArn = await createSecret(`${name}/partner`, {
    partnerKey: polytomic.admin.createPartnerKey(),
  });
  const arn = await createSecret(
    `${name}/app`,
    {
      provider: 'polytomic',
      apiKey: polytomic.admin.issueUserKey(org, userA),
      organizationId: org,
      userId: userA,
      standbyUserId: userB,
      baseUrl: polytomic.url,
      partnerKeySecretId: partnerArn,
      owner: 'data-platform',
      ...fields,
    },
    keyId,
  );
  return { org, userA, userB, arn };
}

/** Live user keys of an organization that are not the one AWSCURRENT holds. */
function otherLiveKeys(org: string, currentKey: string): string[] {
  return polytomic
    .ledger()
    .filter((e) => e.kind === 'user' && e.organizationId === org && e.status === 'live')
    .map((e) => e.fingerprint)
    .filter((fp) => fp !== fingerprint(currentKey));
}

describe('Polytomic, two service users', () => {
  it('rotates twice with zero downtime, revoking each old key and leaving no orphan live key', async () => {
    const org = polytomic.admin.createOrganization('Acme').id;
    const userA = polytomic.admin.createUser(org, 'svc-a@acme.test', 'admin').id;
    const userB = polytomic.admin.createUser(org, 'svc-b@acme.test', 'admin').id;
    const partnerArn = await createSecret('polytomic/partner', {
      partnerKey: polytomic.admin.createPartnerKey(),
    });
    const arn = await createSecret('polytomic/app', {
      provider: 'polytomic',
      apiKey: polytomic.admin.issueUserKey(org, userA),
      organizationId: org,
      userId: userA,
      standbyUserId: userB,
      baseUrl: polytomic.url,
      partnerKeySecretId: partnerArn,
      owner: 'data-platform',
    });
    const stored = new Set<string>([(await current(arn)).apiKey]);

    for (const expectedUser of [userB, userA]) {
      const before = await current(arn);
      expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });

      const after = await current(arn);
      stored.add(after.apiKey);
      expect(after).toMatchObject({ userId: expectedUser, owner: 'data-platform' });
      expect(polytomic.admin.keyStatus(after.apiKey)).toBe('live');
      expect(polytomic.admin.keyStatus(before.apiKey)).toBe('revoked');
      // The only other live user key is the previous user's forced re-issue, which was never stored.
      const storedFingerprints = [...stored].map(fingerprint);
      const live = polytomic
        .ledger()
        .filter((entry) => entry.kind === 'user' && entry.status === 'live');
      expect(
        live
          .filter((entry) => storedFingerprints.includes(entry.fingerprint))
          .map((e) => e.fingerprint),
      ).toEqual([fingerprint(after.apiKey)]);
      expect(live.length).toBeLessThanOrEqual(2);
    }
    expectNoIssuedKeyInLogs(polytomic);
  });
});

describe('Polytomic under faults', () => {
  it('converges when the key issue commits but its answer is dropped', async () => {
    const { org, userB, arn } = await polytomicSecret('dropped');
    polytomic.injectFault({
      kind: 'commit-then-drop',
      method: 'POST',
      route: `/api/organizations/${org}/users/${userB}/keys`,
    });

    expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });

    const after = await current(arn);
    expect(polytomic.admin.keyStatus(after.apiKey)).toBe('live');
    expect(polytomic.admin.liveKeysOf(userB).map((e) => e.fingerprint)).toEqual([
      fingerprint(after.apiKey),
    ]);
    expectNoIssuedKeyInLogs(polytomic);
  });

  it('reports a failed revocation, keeps the new key, and the next rotation kills the old one', async () => {
    const { org, userA, arn } = await polytomicSecret('revocation');
    const firstKey = (await current(arn)).apiKey;
    polytomic.injectFault({
      kind: 'status',
      status: 503,
      method: 'POST',
      route: `/api/organizations/${org}/users/${userA}/keys`,
      times: 10,
    });

    const failed = await rotate(arn);
    polytomic.clearFaults();

    expect(failed).toMatchObject({ outcome: 'failed', errorType: 'RevocationFailedError' });
    expect(polytomic.admin.keyStatus((await current(arn)).apiKey)).toBe('live');
    expect(polytomic.admin.keyStatus(firstKey)).toBe('live');
    expect(emulator.publishedMessages(topicArn).at(-1)?.message).toContain(fingerprint(firstKey));

    // The failed rotation's version is already AWSCURRENT, so the next RotateSecret starts afresh.
    expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });
    expect(polytomic.admin.keyStatus(firstKey)).toBe('revoked');
    expect(otherLiveKeys(org, (await current(arn)).apiKey)).toHaveLength(1);
    expectNoIssuedKeyInLogs(polytomic);
  });

  it('refuses to rotate a secret whose KMS key is disabled, before calling the vendor', async () => {
    const keyId = (await kms.send(new CreateKeyCommand({ Description: 'soon disabled' })))
      .KeyMetadata!.Arn!;
    const { arn } = await polytomicSecret('disabled-key', {}, keyId);
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    const issuesBefore =
      polytomic.routeCounts()['POST /api/organizations/:org/users/:user/keys'] ?? 0;

    const outcome = await rotate(arn);

    expect(outcome).toMatchObject({ outcome: 'failed', errorType: 'KmsKeyUnusableError' });
    expect(outcome.errorMessage).toContain('is Disabled');
    expect(polytomic.routeCounts()['POST /api/organizations/:org/users/:user/keys'] ?? 0).toBe(
      issuesBefore,
    );
  });

  it('single-user mode: the rotation promotes a new key for the same user and the old one is dead', async () => {
    const { org, userA, arn } = await polytomicSecret('single', { standbyUserId: undefined });
    const firstKey = (await current(arn)).apiKey;

    expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });

    const after = await current(arn);
    expect(after.userId).toBe(userA);
    expect(polytomic.admin.keyStatus(firstKey)).toBe('revoked');
    expect(otherLiveKeys(org, after.apiKey)).toEqual([]);
  });
});

describe('Poelis, assisted rotation', () => {
  it('promotes the staged key, notifies which key to revoke, and fails with a reminder when nothing is staged', async () => {
    const org = poelis.admin.createOrganization('Acme').id;
    poelis.admin.createWorkspace(org, 'Engines');
    const firstKey = poelis.admin.createKey(org, 'Production A');
    const arn = await createSecret('poelis/app', {
      provider: 'poelis',
      apiKey: firstKey,
      keyName: 'Production A',
      baseUrl: poelis.url,
    });

    const secondKey = poelis.admin.createKey(org, 'Production B');
    await sm.send(
      new PutSecretValueCommand({
        SecretId: arn,
        SecretString: JSON.stringify({ apiKey: secondKey, keyName: 'Production B' }),
        VersionStages: ['STAGED'],
      }),
    );
    expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });

    expect(await current(arn)).toMatchObject({ apiKey: secondKey, keyName: 'Production B' });
    const notice = emulator.publishedMessages(topicArn).at(-1);
    expect(notice?.message).toContain(`"Production A" (${fingerprint(firstKey)})`);
    poelis.admin.revokeKey(org, 'Production A'); // the operator acts on the notice
    const live = poelis.ledger().filter((entry) => entry.status === 'live');
    expect(live.map((entry) => entry.fingerprint)).toEqual([fingerprint(secondKey)]);

    const reminder = await rotate(arn);
    expect(reminder).toMatchObject({ outcome: 'failed', errorType: 'NothingStagedError' });
    expect(reminder.errorMessage).toContain(`api-key-rotator stage ${arn}`);
    expect(poelis.admin.keyStatus((await current(arn)).apiKey)).toBe('live');
    expectNoIssuedKeyInLogs(poelis);
  });
});
