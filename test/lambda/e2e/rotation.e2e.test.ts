/**
 * End to end on the deployed stack: the template synthesized from test/support/configs/e2e.json,
 * deployed into the local world. Rotations start as on AWS (an administrator's RotateSecret);
 * Secrets Manager invokes the template's rotation function (its asset: dist/lambda/rotation,
 * built by `npm run bundle`) as secretsmanager.amazonaws.com, which runs with the template's
 * environment and a session of its execution role against the vendor simulators. Applications
 * read the key with their own role; every call is authorized by the template's policies.
 */
import { DisableKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  FunctionEnv,
  METRICS_NAMESPACE,
  REVOKE_POLICY_TAG,
  RotationMetric,
  SERVICE_NAME,
} from '../../../lambda/shared/contracts';
import { fingerprint } from '../../../lambda/shared/fingerprint';
import type { PublishedMessage } from '../../../local/aws/sns';
import type { LocalClients } from '../../../local/scenarios';
import { LOCAL_ORIGINS } from '../../../local/stack/synthesize';
import { formatProviderOrigins } from '../../../lambda/http/origin-policy';
import { startDeployedWorld, type DeployedWorld } from '../../../local/stack/world';
import type { LocalWorld } from '../../../local/world';
import { keyShapedStrings, type SimulatorBase } from '../../../local/vendors';
import { alarmNameOf, appRoleArn, deployedSecretArn, E2E_CONFIG } from '../../support/configs';

const BUNDLE = join(__dirname, '..', '..', '..', 'dist', 'lambda', 'rotation', 'index.js');

let deployed: DeployedWorld;
let world: LocalWorld;
/** The account administrator: puts first keys, presses "Rotate secret immediately". */
let admin: LocalClients;
/** The operator of the README's policy: stages Poelis keys. */
let operator: LocalClients;
/** The application: reads AWSCURRENT with its own role. */
let app: LocalClients;
const functionLog: string[] = [];
/** Every call the world's IAM evaluator refused. */
const denials: string[] = [];

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run bundle\` first.`);
  deployed = await startDeployedWorld({
    configPath: E2E_CONFIG,
    logSink: (line) => functionLog.push(line),
    authorizationLog: (line) => denials.push(line),
  });
  world = deployed.world;
  admin = deployed.clientsAs();
  operator = deployed.clientsAs(deployed.stack.operatorRoleArn, 'operator');
  app = deployed.clientsAs(appRoleArn(deployed.stack), 'app');
  // Deploy step 3: the partner key that issues the Polytomic user keys.
  await admin.secrets.send(
    new PutSecretValueCommand({
      SecretId: deployed.stack.partnerKeySecretArn,
      SecretString: JSON.stringify({ partnerKey: world.polytomic.admin.createPartnerKey() }),
    }),
  );
}, 180_000);

afterAll(async () => {
  await deployed?.close();
});

afterEach(() => {
  // Invariant 7: the deployed stack is allowed every call it makes.
  expect(denials).toEqual([]);
});

const secretArn = (name: string): string => deployedSecretArn(deployed.stack, name);

async function current(arn: string): Promise<Record<string, string>> {
  const output = await app.secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  return JSON.parse(output.SecretString!) as Record<string, string>;
}

/** RotateSecret by the administrator, then wait for the four steps; returns the outcome. */
async function rotate(
  arn: string,
): Promise<{ outcome: string; errorType?: string; errorMessage?: string }> {
  await admin.secrets.send(new RotateSecretCommand({ SecretId: arn }));
  await world.aws.waitForRotations(arn);
  // The alarms the rotation's metrics moved have notified.
  await world.aws.cloudwatch.settled();
  const record = world.aws.rotationHistory(arn).at(-1)!;
  const failed = record.steps.find((step) => !step.ok);
  return {
    outcome: record.outcome,
    errorType: failed?.errorType,
    errorMessage: failed?.errorMessage,
  };
}

/** What the functions published to the stack's topic (alarm notifications left out). */
function notices(): PublishedMessage[] {
  return world.aws
    .publishedMessages(deployed.stack.topicArn)
    .filter(
      (message) =>
        message.subject !== undefined && !/^(ALARM|OK|INSUFFICIENT_DATA): /.test(message.subject),
    );
}

/** Invariant 4: no key any simulator issued appears in the function's output. */
function expectNoIssuedKeyInLogs(simulator: SimulatorBase): void {
  expect(functionLog.join('\n')).toContain('rotation step succeeded');
  const leaked = keyShapedStrings(functionLog.join('\n')).filter((candidate) =>
    simulator.isIssuedKey(candidate),
  );
  expect(leaked).toEqual([]);
}

/**
 * Deploy step 3 for the deployed Polytomic secret `name`: an organization with two service users
 * and the first key of user A, put by the administrator; unknown fields are the owner's.
 */
async function putPolytomicKey(name: string, fields: Record<string, unknown> = {}) {
  const label = name.replace(/[^a-z0-9]+/g, '-');
  const org = world.polytomic.admin.createOrganization(name).id;
  const userA = world.polytomic.admin.createUser(org, `svc-a@${label}.test`, 'admin').id;
  const userB = world.polytomic.admin.createUser(org, `svc-b@${label}.test`, 'admin').id;
  const arn = secretArn(name);
  await admin.secrets.send(
    new PutSecretValueCommand({
      SecretId: arn,
      SecretString: JSON.stringify({
        provider: 'polytomic',
        apiKey: world.polytomic.admin.issueUserKey(org, userA),
        organizationId: org,
        userId: userA,
        standbyUserId: userB,
        baseUrl: world.urls.polytomic,
        partnerKeySecretId: deployed.stack.partnerKeySecretArn,
        owner: 'data-platform',
        ...fields,
      }),
    }),
  );
  return { org, userA, userB, arn };
}

/** Live user keys of an organization that are not the one AWSCURRENT holds. */
function otherLiveKeys(org: string, currentKey: string): string[] {
  return world.polytomic
    .ledger()
    .filter((e) => e.kind === 'user' && e.organizationId === org && e.status === 'live')
    .map((e) => e.fingerprint)
    .filter((fp) => fp !== fingerprint(currentKey));
}

/** The physical name of the stack's resource of `type` whose logical id starts with `prefix`. */
function resourceNamed(type: string, prefix: string): string {
  const found = [...deployed.stack.deployed.resources].find(
    ([logicalId, resource]) => resource.type === type && logicalId.startsWith(prefix),
  );
  if (found === undefined) throw new Error(`The deployed stack has no ${type} ${prefix}…`);
  return found[1].physicalId;
}

/** Waits until `condition` holds (for work the world does after answering), at most 5 s. */
async function eventually(condition: () => boolean): Promise<void> {
  for (const started = Date.now(); !condition();) {
    if (Date.now() - started > 5_000) throw new Error('timed out waiting for the world');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The state of the stack's alarm `alarmId`, its notifications on the topic, and its history. */
function alarmOf(alarmId: string) {
  const name = alarmNameOf(deployed.stack, alarmId);
  return {
    name,
    state: () => world.aws.cloudwatch.alarm(name)?.state,
    config: () => world.aws.cloudwatch.alarm(name)?.config,
    notifications: () =>
      world.aws
        .publishedMessages(deployed.stack.topicArn)
        .filter((message) => message.subject === `ALARM: "${name}" in US East (N. Virginia)`),
    history: () => world.aws.cloudwatch.alarmHistory(name),
  };
}

describe('Polytomic, two service users', () => {
  it('rotates twice with zero downtime, revoking each old key and leaving no orphan live key', async () => {
    const { org, userA, userB, arn } = await putPolytomicKey('rotation/polytomic');
    const stored = new Set<string>([(await current(arn)).apiKey]);

    for (const expectedUser of [userB, userA]) {
      const before = await current(arn);
      expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });

      const after = await current(arn);
      stored.add(after.apiKey);
      expect(after).toMatchObject({ userId: expectedUser, owner: 'data-platform' });
      expect(world.polytomic.admin.keyStatus(after.apiKey)).toBe('live');
      expect(world.polytomic.admin.keyStatus(before.apiKey)).toBe('revoked');
      // The only other live user key is the previous user's forced re-issue, which was never stored.
      const storedFingerprints = [...stored].map(fingerprint);
      const live = world.polytomic
        .ledger()
        .filter(
          (entry) =>
            entry.kind === 'user' && entry.organizationId === org && entry.status === 'live',
        );
      expect(
        live
          .filter((entry) => storedFingerprints.includes(entry.fingerprint))
          .map((e) => e.fingerprint),
      ).toEqual([fingerprint(after.apiKey)]);
      expect(live.length).toBeLessThanOrEqual(2);
    }
    expectNoIssuedKeyInLogs(world.polytomic);
  });
});

describe('Polytomic under faults', () => {
  it('converges when the key issue commits but its answer is dropped', async () => {
    const { org, userB, arn } = await putPolytomicKey('rotation/dropped-answer');
    world.polytomic.injectFault({
      kind: 'commit-then-drop',
      method: 'POST',
      route: `/api/organizations/${org}/users/${userB}/keys`,
    });

    expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });

    const after = await current(arn);
    expect(world.polytomic.admin.keyStatus(after.apiKey)).toBe('live');
    expect(world.polytomic.admin.liveKeysOf(userB).map((e) => e.fingerprint)).toEqual([
      fingerprint(after.apiKey),
    ]);
    expectNoIssuedKeyInLogs(world.polytomic);
  });

  it('reports a failed revocation, keeps the new key, and the next rotation kills the old one', async () => {
    const { org, userA, arn } = await putPolytomicKey('rotation/failed-revocation');
    const firstKey = (await current(arn)).apiKey;
    const stepFailed = alarmOf(RotationMetric.StepFailed);
    const revocationFailed = alarmOf(RotationMetric.RevocationFailed);
    const failuresBefore = world.aws.cloudwatch.metricSum(
      METRICS_NAMESPACE,
      RotationMetric.StepFailed,
      { service: SERVICE_NAME },
    );
    world.polytomic.injectFault({
      kind: 'status',
      status: 503,
      method: 'POST',
      route: `/api/organizations/${org}/users/${userA}/keys`,
      times: 10,
    });

    const failed = await rotate(arn);
    world.polytomic.clearFaults();

    expect(failed).toMatchObject({ outcome: 'failed', errorType: 'RevocationFailedError' });
    expect(world.polytomic.admin.keyStatus((await current(arn)).apiKey)).toBe('live');
    expect(world.polytomic.admin.keyStatus(firstKey)).toBe('live');
    expect(notices().at(-1)?.message).toContain(fingerprint(firstKey));

    // The failed step is counted under the metric the stack's alarm watches, which notifies the topic.
    expect(
      world.aws.cloudwatch.metricSum(METRICS_NAMESPACE, RotationMetric.StepFailed, {
        service: SERVICE_NAME,
      }),
    ).toBeGreaterThan(failuresBefore);
    for (const alarm of [stepFailed, revocationFailed]) {
      expect(alarm.state()).toBe('ALARM');
      expect(alarm.notifications()).toHaveLength(1);
      expect(alarm.history().map((item) => item.historySummary)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^Alarm updated from (INSUFFICIENT_DATA|OK) to ALARM$/),
          `Successfully executed action ${deployed.stack.topicArn}`,
        ]),
      );
    }

    // Secrets Manager's RotationFailed event reaches the topic through the stack's rule, and the
    // rule's alarm notifies too.
    const rule = resourceNamed('AWS::Events::Rule', 'MonitoringRotationFailureRule');
    await eventually(() => world.aws.events.deliveries(rule).length > 0);
    await world.aws.cloudwatch.settled();
    expect(
      world.aws.events.deliveries(rule).map((delivery) => [delivery.ok, delivery.targetArn]),
    ).toEqual([[true, deployed.stack.topicArn]]);
    const event = world.aws
      .publishedMessages(deployed.stack.topicArn)
      .filter((message) => message.message.startsWith('{"version"'))
      .map((message) => JSON.parse(message.message) as { detail?: Record<string, unknown> })
      .find((message) => message.detail?.eventName === 'RotationFailed');
    expect(event?.detail).toMatchObject({ additionalEventData: { SecretId: arn } });
    const failureEvents = alarmOf('SecretsManagerRotationFailures');
    expect(failureEvents.state()).toBe('ALARM');
    expect(failureEvents.notifications()).toHaveLength(1);

    // The failed rotation's version is already AWSCURRENT, so the next RotateSecret starts afresh.
    expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });
    expect(world.polytomic.admin.keyStatus(firstKey)).toBe('revoked');
    expect(otherLiveKeys(org, (await current(arn)).apiKey)).toHaveLength(1);
    expectNoIssuedKeyInLogs(world.polytomic);
  });

  it("refuses to rotate a secret whose KMS key (the stack's) is disabled, before calling the vendor", async () => {
    const { arn } = await putPolytomicKey('rotation/disabled-key');
    const keyId = deployed.stack.kmsKeyArn;
    await admin.kms.send(new DisableKeyCommand({ KeyId: keyId }));
    const issuesBefore =
      world.polytomic.routeCounts()['POST /api/organizations/:org/users/:user/keys'] ?? 0;

    let outcome: Awaited<ReturnType<typeof rotate>>;
    try {
      outcome = await rotate(arn);
    } finally {
      await admin.kms.send(new EnableKeyCommand({ KeyId: keyId }));
    }

    expect(outcome).toMatchObject({ outcome: 'failed', errorType: 'KmsKeyUnusableError' });
    expect(outcome.errorMessage).toContain('is Disabled');
    expect(
      world.polytomic.routeCounts()['POST /api/organizations/:org/users/:user/keys'] ?? 0,
    ).toBe(issuesBefore);
  });

  it('single-user mode: the rotation promotes a new key for the same user and the old one is dead', async () => {
    const { org, userA, arn } = await putPolytomicKey('rotation/single-user', {
      standbyUserId: undefined,
    });
    const firstKey = (await current(arn)).apiKey;

    expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });

    const after = await current(arn);
    expect(after.userId).toBe(userA);
    expect(world.polytomic.admin.keyStatus(firstKey)).toBe('revoked');
    expect(otherLiveKeys(org, after.apiKey)).toEqual([]);
  });
});

describe('Poelis, assisted rotation', () => {
  it('promotes the staged key, notifies which key to revoke, and fails with a reminder when nothing is staged', async () => {
    const arn = secretArn('rotation/poelis');
    const org = world.poelis.admin.createOrganization('Acme').id;
    world.poelis.admin.createWorkspace(org, 'Engines');
    const firstKey = world.poelis.admin.createKey(org, 'Production A');
    await admin.secrets.send(
      new PutSecretValueCommand({
        SecretId: arn,
        SecretString: JSON.stringify({
          provider: 'poelis',
          apiKey: firstKey,
          keyName: 'Production A',
          baseUrl: world.urls.poelis,
        }),
      }),
    );
    const manualRevocation = alarmOf(RotationMetric.ManualRevocationRequired);

    // The operator stages the key they created in the web app.
    const secondKey = world.poelis.admin.createKey(org, 'Production B');
    await operator.secrets.send(
      new PutSecretValueCommand({
        SecretId: arn,
        SecretString: JSON.stringify({ apiKey: secondKey, keyName: 'Production B' }),
        VersionStages: ['STAGED'],
      }),
    );
    expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });

    expect(await current(arn)).toMatchObject({ apiKey: secondKey, keyName: 'Production B' });
    const notice = notices().at(-1);
    expect(notice?.message).toContain(`"Production A" (${fingerprint(firstKey)})`);
    expect(manualRevocation.state()).toBe('ALARM');
    expect(manualRevocation.notifications()).toHaveLength(1);
    world.poelis.admin.revokeKey(org, 'Production A'); // the operator acts on the notice
    const live = world.poelis
      .ledger()
      .filter((entry) => entry.organizationId === org && entry.status === 'live');
    expect(live.map((entry) => entry.fingerprint)).toEqual([fingerprint(secondKey)]);

    const reminder = await rotate(arn);
    expect(reminder).toMatchObject({ outcome: 'failed', errorType: 'NothingStagedError' });
    expect(reminder.errorMessage).toContain(`api-key-rotator stage ${arn}`);
    expect(world.poelis.admin.keyStatus((await current(arn)).apiKey)).toBe('live');
    expectNoIssuedKeyInLogs(world.poelis);
  });
});

describe('what the template gives the function', () => {
  it("runs the rotation function with the template's role and environment", () => {
    const { stack } = deployed;
    const rotation = world.aws.lambda
      .functions()
      .find((fn) => fn.arn === stack.rotationFunctionArn);
    expect(rotation).toMatchObject({ roleArn: stack.rotationRoleArn, reservedConcurrency: 2 });
    expect(rotation?.environment).toEqual({
      // The config's origins, replaced by the local world's simulators (on any loopback port).
      [FunctionEnv.AllowedOrigins]: formatProviderOrigins(LOCAL_ORIGINS),
      [FunctionEnv.AllowLoopbackHttp]: 'true',
      [FunctionEnv.RequireCustomerManagedKey]: 'true',
      [FunctionEnv.NotifyTopicArn]: stack.topicArn,
      [FunctionEnv.PartnerKeySecretId]: stack.partnerKeySecretArn,
      [FunctionEnv.ServiceName]: SERVICE_NAME,
      [FunctionEnv.MetricsNamespace]: METRICS_NAMESPACE,
    });
    // Its alarms watch the metric names the function publishes.
    for (const metricName of [
      RotationMetric.StepFailed,
      RotationMetric.RevocationFailed,
      RotationMetric.ManualRevocationRequired,
    ]) {
      expect(alarmOf(metricName).config()).toMatchObject({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensions: [{ name: 'service', value: SERVICE_NAME }],
      });
    }
  });

  it('honours the next-rotation policy the stack sets as a tag: the previous key lives until the next rotation', async () => {
    // The value does not set revokePrevious: only the stack's tag does.
    const { org, arn } = await putPolytomicKey('rotation/next-rotation');
    const { Tags: tags } = await admin.secrets.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(tags).toContainEqual({ Key: REVOKE_POLICY_TAG, Value: 'next-rotation' });
    expect(await current(arn)).not.toHaveProperty('revokePrevious');
    const first = (await current(arn)).apiKey;

    expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });
    expect(world.polytomic.admin.keyStatus(first)).toBe('live');
    const second = (await current(arn)).apiKey;

    expect(await rotate(arn)).toEqual({ outcome: 'succeeded' });
    expect(world.polytomic.admin.keyStatus(first)).toBe('revoked');
    expect(world.polytomic.admin.keyStatus(second)).toBe('live');
    // Besides AWSCURRENT, only the kept AWSPREVIOUS is live.
    expect(otherLiveKeys(org, (await current(arn)).apiKey)).toEqual([fingerprint(second)]);
  });

  it("lets Secrets Manager invoke the function for the stack's secrets only", () => {
    const { Statement: statements } = world.aws.lambda.getPolicy(
      deployed.stack.rotationFunctionArn,
    );
    const callers = statements.map((statement) => ({
      principal: statement.Principal,
      sourceArn: statement.Condition?.ArnLike?.['AWS:SourceArn'],
      sourceAccount: statement.Condition?.StringEquals?.['AWS:SourceAccount'],
    }));
    // One statement per name prefix (however many secrets), from this account only.
    const under = (prefix: string): string =>
      `arn:aws:secretsmanager:${world.aws.region}:${world.aws.accountId}:secret:${prefix}`;
    const prefixes = [...deployed.stack.config.secretNamePrefixes].sort();
    expect(callers.sort((a, b) => (String(a.sourceArn) < String(b.sourceArn) ? -1 : 1))).toEqual(
      prefixes.map((prefix) => ({
        principal: { Service: 'secretsmanager.amazonaws.com' },
        sourceArn: `${under(prefix)}*`,
        sourceAccount: world.aws.accountId,
      })),
    );
    // Every secret of the stack is under one of them.
    for (const arn of Object.values(deployed.stack.secretArns)) {
      expect(prefixes.some((prefix) => arn.startsWith(under(prefix)))).toBe(true);
    }
  });
});
