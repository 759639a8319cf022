/**
 * The deployed audit end to end: the stack of test/support/configs/e2e.json deployed into the
 * local world, its audit function (the template's asset: dist/lambda/audit, built by
 * `npm run bundle`) started by its EventBridge Scheduler schedule or from the console, after real
 * rotations by the deployed rotation function: silence when all is well; each drift found,
 * logged, counted, alarmed and notified on the stack's topic once a day until fixed.
 */
import { CreateKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_CHECKS, type AuditCheck, type AuditFinding } from '../../lambda/audit/checks';
import type { AuditRunResult } from '../../lambda/audit/handler';
import {
  AuditMetric,
  FunctionEnv,
  MANAGED_TAG,
  MANAGED_TAG_VALUE,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../../lambda/shared/contracts';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { constructIdFor } from '../../lib/construct-id';
import type { InvokeResult } from '../../local/aws/types';
import type { PublishedMessage } from '../../local/aws/sns';
import type { PoelisFixture, PolytomicFixture } from '../../local/scenarios';
import { LOCAL_ORIGINS } from '../../local/stack/synthesize';
import { formatProviderOrigins } from '../../lambda/http/origin-policy';
import { keyShapedStrings } from '../../local/vendors';
import { alarmNameOf } from '../support/configs';
import { DAY_MS, startAuditWorld, type AuditTestWorld } from './support/audit-world';
import { emfData, metricValue, type EmfDatum } from './support/emf';

const AUDIT_BUNDLE = join(__dirname, '..', '..', 'dist', 'lambda', 'audit', 'index.js');
const HOUR_MS = 3_600_000;
const TODAY = Math.floor(Date.now() / DAY_MS) * DAY_MS;

let t: AuditTestWorld;
/** Every managed secret's first key, put after the deploy, by secret name. */
const firstKeys = new Map<string, PolytomicFixture | PoelisFixture>();

beforeAll(async () => {
  if (!existsSync(AUDIT_BUNDLE)) {
    throw new Error(`${AUDIT_BUNDLE} is missing: run \`npm run bundle\` first.`);
  }
  t = await startAuditWorld();
  // Deploy step 3, for every secret of the stack.
  for (const secret of t.stack.config.secrets) {
    firstKeys.set(
      secret.name,
      secret.provider === 'polytomic'
        ? await t.putPolytomicKey(secret.name)
        : await t.putPoelisKey(secret.name),
    );
  }
}, 180_000);

afterAll(async () => {
  await t?.close();
});

afterEach(() => {
  // Invariant 7: the deployed stack is allowed every call it makes.
  expect(t.denials).toEqual([]);
});

interface AuditRun {
  readonly result: AuditRunResult;
  readonly metrics: EmfDatum[];
  /** Everything published to the stack's topic during the run. */
  readonly messages: PublishedMessage[];
  /** The audit's own notices among them. */
  readonly notices: PublishedMessage[];
  /** The alarm notifications among them. */
  readonly alarms: PublishedMessage[];
  readonly logs: string[];
}

/** Starts the deployed audit and collects what it returned, printed and published. */
async function runAudit(start: () => Promise<InvokeResult>): Promise<AuditRun> {
  const logsBefore = t.functionLog.length;
  const messagesBefore = t.world.aws.publishedMessages(t.stack.topicArn).length;
  const outcome = await start();
  if (!outcome.ok) throw new Error(`audit failed: ${outcome.errorType}: ${outcome.errorMessage}`);
  const logs = t.functionLog
    .slice(logsBefore)
    .filter((entry) => entry.functionName === t.auditFunctionName)
    .map((entry) => entry.line);
  const leaked = keyShapedStrings(logs.join('\n')).filter(
    (candidate) =>
      t.world.polytomic.isIssuedKey(candidate) || t.world.poelis.isIssuedKey(candidate),
  );
  expect(leaked).toEqual([]);
  const messages = t.world.aws.publishedMessages(t.stack.topicArn).slice(messagesBefore);
  return {
    result: outcome.payload as AuditRunResult,
    metrics: emfData(logs),
    messages,
    notices: messages.filter((message) => message.subject?.startsWith('api-key-rotator audit:')),
    alarms: messages.filter((message) => message.subject?.startsWith('ALARM: ')),
    logs,
  };
}

/** The schedule's run at `hour`:10 UTC, `dayOffset` days from today. */
function scheduled(dayOffset: number, hour = 0): () => Promise<InvokeResult> {
  const time = TODAY + dayOffset * DAY_MS + hour * HOUR_MS + 10 * 60_000;
  return () => t.runSchedule(new Date(time));
}

/** A run from the console (`{}`), which reports but never notifies. */
const onDemand = (): Promise<InvokeResult> => t.invokeAudit({});

function checkMetric(run: AuditRun, name: string, check: string): number | undefined {
  return metricValue(run.metrics, name, { service: SERVICE_NAME, check });
}

function summarize(findings: readonly AuditFinding[]): string[] {
  return findings.map((found) => `${found.secretName} ${found.check} ${found.outcome}`).sort();
}

/** The subject of the notification of the stack's alarm on `metric` for `check`. */
/**
 * The checks this world drifts. stored-keys-dead fails on an old key revived at the vendor, which
 * test/audit/stored-keys.test.ts proves; here the live old Poelis key is previous-key-revoked's.
 */
const DRIFTED_CHECKS = AUDIT_CHECKS.filter((check) => check !== 'stored-keys-dead');

function alarmSubject(metric: string, check: AuditCheck): string {
  const name = alarmNameOf(t.stack, `${metric}${constructIdFor(check)}`);
  return `ALARM: "${name}" in US East (N. Virginia)`;
}

function poelisKey(name: string): PoelisFixture {
  return firstKeys.get(name) as PoelisFixture;
}

function polytomicKey(name: string): PolytomicFixture {
  return firstKeys.get(name) as PolytomicFixture;
}

/** The operator stages `<name> #2`, and the administrator rotates onto it. */
async function rotatedPoelis(name: string): Promise<PoelisFixture> {
  const fixture = poelisKey(name);
  t.clock.advance(60_000);
  await t.stage(fixture, `${name} #2`);
  t.clock.advance(60_000);
  expect((await t.rotate(fixture.secretArn)).outcome).toBe('succeeded');
  return fixture;
}

describe('the deployed audit', () => {
  it("runs with the template's role and environment, on an hourly schedule", () => {
    const { stack } = t;
    const audit = t.world.aws.lambda.functions().find((fn) => fn.arn === stack.auditFunctionArn);
    expect(audit?.roleArn).toBe(stack.auditRoleArn);
    expect(audit?.environment).toEqual({
      [FunctionEnv.AllowedOrigins]: formatProviderOrigins(LOCAL_ORIGINS),
      [FunctionEnv.AllowLoopbackHttp]: 'true',
      [FunctionEnv.NotifyTopicArn]: stack.topicArn,
      [FunctionEnv.ExpectedKmsKeyArn]: stack.kmsKeyArn,
      [FunctionEnv.AuditContinuationTopicArn]: expect.stringMatching(
        /^arn:aws:sns:us-east-1:\d{12}:ApiKeyRotatorE2E-AuditFunctionContinuationTopic/,
      ) as string,
      // The config's rate(1 hour): only the run between 00:00 and 01:00 UTC notifies.
      [FunctionEnv.AuditIntervalMinutes]: '60',
      [FunctionEnv.AuditSecretNamePrefixes]: stack.config.secretNamePrefixes.join(','),
      [FunctionEnv.ServiceName]: SERVICE_NAME,
      [FunctionEnv.MetricsNamespace]: METRICS_NAMESPACE,
    });
    // Verifying keys takes no partner key, so the audit is not told where it is.
    expect(audit?.environment).not.toHaveProperty(FunctionEnv.PartnerKeySecretId);
    const [schedule] = t.world.aws.scheduler
      .schedules()
      .filter((candidate) => candidate.target.arn === stack.auditFunctionArn);
    expect(schedule).toMatchObject({ scheduleExpression: 'rate(1 hour)', state: 'ENABLED' });
    // The continuation topic delivers to the function.
    expect(
      t.world.aws.sns
        .subscriptions(audit?.environment[FunctionEnv.AuditContinuationTopicArn])
        .map((subscription) => [subscription.protocol, subscription.endpoint]),
    ).toEqual([['lambda', stack.auditFunctionArn]]);
  });
});

describe('the scheduled audit', () => {
  it('is silent when every managed secret is in sync', async () => {
    const managed = Object.keys(t.stack.secretArns).length;
    // Another stack's managed secret, outside this stack's prefixes: its policy may not read it.
    await t.admin.secrets.send(
      new CreateSecretCommand({
        Name: 'another-stack/polytomic',
        SecretString: '{}',
        Tags: [{ Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE }],
      }),
    );
    expect(t.stack.config.secretNamePrefixes.some((p) => 'another-stack/'.startsWith(p))).toBe(
      false,
    );
    const polytomic = polytomicKey('e2e/polytomic');
    expect((await t.rotate(polytomic.secretArn)).outcome).toBe('succeeded');
    const poelis = await rotatedPoelis('e2e/poelis');
    t.world.poelis.admin.revokeKey(poelis.organizationId, 'e2e/poelis #1');

    const run = await runAudit(scheduled(0));

    expect(run.result).toMatchObject({
      secretsAudited: managed,
      notifying: true,
      notified: 0,
      findings: [],
      continued: false,
    });
    expect(run.result.continuation).toBeUndefined();
    expect(run.messages).toEqual([]);
    for (const check of AUDIT_CHECKS) {
      expect(checkMetric(run, AuditMetric.CheckPassed, check)).toBe(managed);
      expect(checkMetric(run, AuditMetric.CheckFailed, check)).toBe(0);
      expect(checkMetric(run, AuditMetric.CheckErrored, check)).toBe(0);
    }
    expect(metricValue(run.metrics, AuditMetric.SecretsAudited, { service: SERVICE_NAME })).toBe(
      managed,
    );
    expect(run.metrics.every((datum) => datum.namespace === METRICS_NAMESPACE)).toBe(true);
  });

  it('finds each drift, counts it, alarms, and notifies each failure once a day until it is fixed', async () => {
    const managed = Object.keys(t.stack.secretArns).length;
    // AWSCURRENT revoked behind the rotator's back.
    const revoked = polytomicKey('e2e/revoked-current');
    const revokedKey = fingerprint((await t.current(revoked.secretArn)).apiKey);
    t.world.polytomic.admin.revokeKey(revokedKey);
    // A Poelis rotation whose old key the operator has not revoked yet.
    const reminder = await rotatedPoelis('e2e/poelis-reminder');
    const oldPoelisKey = t.world.poelis.admin
      .listKeys(reminder.organizationId)
      .find((entry) => entry.keyName === 'e2e/poelis-reminder #1')!.fingerprint;
    // A rotation that failed three days ago and left AWSPENDING behind.
    await t.inThePast(3 * DAY_MS, async () => {
      t.world.polytomic.injectFault({ kind: 'status', status: 401, route: '/api/me', times: 1 });
      expect((await t.rotate(t.secretArn('e2e/stuck'))).outcome).toBe('failed');
    });
    // A Poelis secret whose rotation was scheduled forty days ago (the stack's schedule, applied
    // again without rotating) and never happened.
    await t.inThePast(40 * DAY_MS, async () => {
      const overdue = t.secretArn('e2e/overdue');
      await t.admin.secrets.send(
        new RotateSecretCommand({ SecretId: overdue, RotateImmediately: false }),
      );
      await t.world.aws.waitForRotations(overdue);
    });
    // A secret moved to a key of its own (which, like the stack's, lets the audit describe it and
    // decrypt through Secrets Manager), and that key disabled.
    const disabledKeyArn = (
      await t.admin.kms.send(
        new CreateKeyCommand({
          Description: 'disabled later',
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'AccountAdministersKey',
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${t.world.aws.accountId}:root` },
                Action: 'kms:*',
                Resource: '*',
              },
              {
                Sid: 'AuditDescribesKey',
                Effect: 'Allow',
                Principal: { AWS: t.stack.auditRoleArn },
                Action: 'kms:DescribeKey',
                Resource: '*',
              },
              {
                Sid: 'AuditDecryptsThroughSecretsManager',
                Effect: 'Allow',
                Principal: { AWS: t.stack.auditRoleArn },
                Action: 'kms:Decrypt',
                Resource: '*',
                Condition: {
                  StringEquals: {
                    'kms:ViaService': `secretsmanager.${t.world.aws.region}.amazonaws.com`,
                  },
                },
              },
            ],
          }),
        }),
      )
    ).KeyMetadata!.Arn!;
    await t.admin.secrets.send(
      new UpdateSecretCommand({
        SecretId: t.secretArn('e2e/disabled-key'),
        KmsKeyId: disabledKeyArn,
      }),
    );
    await t.admin.kms.send(new DisableKeyCommand({ KeyId: disabledKeyArn }));

    const first = await runAudit(scheduled(1));

    // The deployed secret's AWSPREVIOUS is the stack's placeholder, which the disabled key cannot
    // decrypt either.
    const expectedFindings = [
      'e2e/disabled-key current-key-works error',
      'e2e/disabled-key encryption-key-ok fail',
      'e2e/disabled-key previous-key-revoked error',
      // AWSCURRENT cannot be read, so neither can its policy: which stored key may live is unknown.
      'e2e/disabled-key stored-keys-dead error',
      'e2e/overdue rotation-not-overdue fail',
      'e2e/poelis-reminder previous-key-revoked fail',
      'e2e/revoked-current current-key-works fail',
      'e2e/stuck no-stuck-pending fail',
    ];
    expect(first.result.secretsAudited).toBe(managed);
    expect(summarize(first.result.findings)).toEqual(expectedFindings);
    expect(first.result.notified).toBe(5);
    expect(first.notices.map((message) => message.subject).sort()).toEqual([
      'api-key-rotator audit: current-key-works failed for e2e/revoked-current',
      'api-key-rotator audit: encryption-key-ok failed for e2e/disabled-key',
      'api-key-rotator audit: no-stuck-pending failed for e2e/stuck',
      'api-key-rotator audit: previous-key-revoked failed for e2e/poelis-reminder',
      'api-key-rotator audit: rotation-not-overdue failed for e2e/overdue',
    ]);
    const poelisNotice = first.notices.find((message) =>
      message.subject?.endsWith('e2e/poelis-reminder'),
    )!;
    expect(poelisNotice.message).toContain(
      `Revoke "e2e/poelis-reminder #1" (${oldPoelisKey}) in the Poelis web app`,
    );
    expect(poelisNotice.message).toContain(`Secret: ${reminder.secretArn}`);
    const revokedNotice = first.notices.find((message) =>
      message.subject?.endsWith('e2e/revoked-current'),
    )!;
    expect(revokedNotice.message).toContain(`rejects the AWSCURRENT key ${revokedKey} with 401`);
    // The stack's alarms on the audit's metrics reach the topic: one per failing check, and one
    // per check that could not complete.
    expect(first.alarms.map((message) => message.subject).sort()).toEqual(
      [
        ...DRIFTED_CHECKS.map((check) => alarmSubject(AuditMetric.CheckFailed, check)),
        alarmSubject(AuditMetric.CheckErrored, 'current-key-works'),
        alarmSubject(AuditMetric.CheckErrored, 'previous-key-revoked'),
        alarmSubject(AuditMetric.CheckErrored, 'stored-keys-dead'),
      ].sort(),
    );
    expect(first.messages).toHaveLength(first.notices.length + first.alarms.length);

    // Each check failed for exactly one secret.
    for (const check of DRIFTED_CHECKS) {
      expect(checkMetric(first, AuditMetric.CheckFailed, check)).toBe(1);
    }
    expect(checkMetric(first, AuditMetric.CheckErrored, 'current-key-works')).toBe(1);
    expect(checkMetric(first, AuditMetric.CheckErrored, 'previous-key-revoked')).toBe(1);
    expect(checkMetric(first, AuditMetric.CheckPassed, 'current-key-works')).toBe(managed - 2);
    expect(checkMetric(first, AuditMetric.CheckPassed, 'encryption-key-ok')).toBe(managed - 1);
    const warnings = first.logs
      .filter((line) => line.includes('"audit check failed"'))
      .map((line) => JSON.parse(line) as { level: string; finding: AuditFinding });
    expect(warnings).toHaveLength(5);
    expect(warnings.every((line) => line.level === 'WARN')).toBe(true);
    expect(warnings.map((line) => line.finding.keyFingerprint)).toEqual(
      expect.arrayContaining([revokedKey, oldPoelisKey]),
    );

    // The same day: an on-demand run and a later scheduled run find the same, and stay quiet.
    const fromConsole = await runAudit(onDemand);
    expect(summarize(fromConsole.result.findings)).toEqual(expectedFindings);
    expect(fromConsole.result).toMatchObject({ notifying: false, notified: 0 });
    expect(fromConsole.messages).toEqual([]);
    const later = await runAudit(scheduled(1, 9));
    expect(later.result).toMatchObject({ notifying: false, notified: 0 });
    expect(later.messages).toEqual([]);
    expect(checkMetric(later, AuditMetric.CheckFailed, 'no-stuck-pending')).toBe(1);

    // The next day reminds again; once the operator revokes the Poelis key, that reminder stops.
    const nextDay = await runAudit(scheduled(2));
    expect(nextDay.notices).toHaveLength(5);
    t.world.poelis.admin.revokeKey(reminder.organizationId, 'e2e/poelis-reminder #1');
    const afterRevocation = await runAudit(scheduled(3));
    expect(afterRevocation.notices).toHaveLength(4);
    expect(afterRevocation.notices.some((m) => m.subject?.endsWith('e2e/poelis-reminder'))).toBe(
      false,
    );
    expect(checkMetric(afterRevocation, AuditMetric.CheckFailed, 'previous-key-revoked')).toBe(0);
    // Every scheduled run went through the schedule's role and succeeded.
    const runs = t.world.aws.scheduler.runs(t.world.aws.scheduler.schedules()[0].name);
    expect(runs.map((run) => run.outcome)).toEqual(Array(runs.length).fill('succeeded'));
  });
});
