/**
 * The bundled audit function (dist/lambda/audit/index.js, built by `npm run bundle`) run by the
 * local world's LambdaRunner, after real rotations by the bundled rotation function: silence
 * when all is well; each drift found, logged, counted and notified once a day until fixed.
 */
import { CreateKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_CHECKS, type AuditFinding } from '../../lambda/audit/checks';
import type { AuditRunResult } from '../../lambda/audit/handler';
import { AuditMetric } from '../../lambda/audit/reporting';
import { fingerprint } from '../../lambda/shared/fingerprint';
import type { PublishedMessage } from '../../local/aws/sns';
import {
  provisionPoelisSecret,
  provisionPolytomicSecret,
  stagePoelisKey,
  type LocalClients,
} from '../../local/scenarios';
import { keyShapedStrings } from '../../local/vendors';
import { DAY_MS, startAuditWorld, type AuditTestWorld } from './support/audit-world';
import { emfData, metricValue, type EmfDatum } from './support/emf';

const AUDIT_BUNDLE = join(__dirname, '..', '..', 'dist', 'lambda', 'audit', 'index.js');
const AUDIT_FUNCTION = 'api-key-rotator-audit';
const SERVICE = 'api-key-rotator';
const HOUR_MS = 3_600_000;
const TODAY = Math.floor(Date.now() / DAY_MS) * DAY_MS;

let t: AuditTestWorld;

beforeAll(async () => {
  if (!existsSync(AUDIT_BUNDLE)) {
    throw new Error(`${AUDIT_BUNDLE} is missing: run \`npm run bundle\` first.`);
  }
  t = await startAuditWorld();
  t.world.runner.register(AUDIT_FUNCTION, {
    kind: 'bundle',
    file: AUDIT_BUNDLE,
    timeoutMs: 120_000,
    environment: t.world.rotationEnvironment({
      ROTATOR_NOTIFY_TOPIC_ARN: t.topicArn,
      ROTATOR_EXPECTED_KMS_KEY_ARN: t.kmsKeyArn,
      // An hourly schedule: only the run between 00:00 and 01:00 UTC notifies.
      ROTATOR_AUDIT_INTERVAL_MINUTES: '60',
    }),
  });
});

afterAll(async () => {
  await t?.close();
});

interface AuditRun {
  readonly result: AuditRunResult;
  readonly metrics: EmfDatum[];
  readonly messages: PublishedMessage[];
  readonly logs: string[];
}

/** Invokes the bundled audit and collects what it returned, printed and published. */
async function runAudit(event: unknown): Promise<AuditRun> {
  const logsBefore = t.functionLog.length;
  const messagesBefore = t.world.aws.publishedMessages(t.topicArn).length;
  const outcome = await t.world.runner.invoke(AUDIT_FUNCTION, event);
  if (!outcome.ok) throw new Error(`audit failed: ${outcome.errorType}: ${outcome.errorMessage}`);
  const logs = t.functionLog
    .slice(logsBefore)
    .filter((entry) => entry.functionName === AUDIT_FUNCTION)
    .map((entry) => entry.line);
  const leaked = keyShapedStrings(logs.join('\n')).filter(
    (candidate) =>
      t.world.polytomic.isIssuedKey(candidate) || t.world.poelis.isIssuedKey(candidate),
  );
  expect(leaked).toEqual([]);
  return {
    result: outcome.payload as AuditRunResult,
    metrics: emfData(logs),
    messages: t.world.aws.publishedMessages(t.topicArn).slice(messagesBefore),
    logs,
  };
}

function scheduled(dayOffset: number, hour = 0): { scheduledTime: string } {
  const time = TODAY + dayOffset * DAY_MS + hour * HOUR_MS + 10 * 60_000;
  return { scheduledTime: new Date(time).toISOString() };
}

function checkMetric(run: AuditRun, name: string, check: string): number | undefined {
  return metricValue(run.metrics, name, { service: SERVICE, check });
}

function summarize(findings: readonly AuditFinding[]): string[] {
  return findings.map((found) => `${found.secretName} ${found.check} ${found.outcome}`).sort();
}

async function rotatedPoelis(clients: LocalClients, name: string) {
  const fixture = await provisionPoelisSecret(t.world, clients, { name, kmsKeyId: t.kmsKeyArn });
  await t.enableRotation(fixture.secretArn);
  t.clock.advance(60_000);
  await stagePoelisKey(t.world, clients, fixture, `${name} #2`);
  t.clock.advance(60_000);
  expect((await t.rotate(fixture.secretArn)).outcome).toBe('succeeded');
  return fixture;
}

describe('the scheduled audit', () => {
  it('is silent when every managed secret is in sync', async () => {
    const polytomic = await provisionPolytomicSecret(t.world, t.clients, {
      name: 'e2e/polytomic',
      kmsKeyId: t.kmsKeyArn,
    });
    await t.enableRotation(polytomic.secretArn);
    expect((await t.rotate(polytomic.secretArn)).outcome).toBe('succeeded');
    const poelis = await rotatedPoelis(t.clients, 'e2e/poelis');
    t.world.poelis.admin.revokeKey(poelis.organizationId, 'e2e/poelis #1');

    const run = await runAudit(scheduled(0));

    expect(run.result).toMatchObject({
      secretsAudited: 2,
      notifying: true,
      notified: 0,
      findings: [],
      continued: false,
    });
    expect(run.result.continuation).toBeUndefined();
    expect(run.messages).toEqual([]);
    for (const check of AUDIT_CHECKS) {
      expect(checkMetric(run, AuditMetric.CheckPassed, check)).toBe(2);
      expect(checkMetric(run, AuditMetric.CheckFailed, check)).toBe(0);
      expect(checkMetric(run, AuditMetric.CheckErrored, check)).toBe(0);
    }
    expect(metricValue(run.metrics, AuditMetric.SecretsAudited, { service: SERVICE })).toBe(2);
    expect(run.metrics.every((datum) => datum.namespace === 'ApiKeyRotator')).toBe(true);
  });

  it('finds each drift, counts it, and notifies each failure once a day until it is fixed', async () => {
    // AWSCURRENT revoked behind the rotator's back.
    const revoked = await provisionPolytomicSecret(t.world, t.clients, {
      name: 'e2e/revoked-current',
      kmsKeyId: t.kmsKeyArn,
    });
    await t.enableRotation(revoked.secretArn);
    const revokedKey = fingerprint((await t.current(revoked.secretArn)).apiKey);
    t.world.polytomic.admin.revokeKey(revokedKey);
    // A Poelis rotation whose old key the operator has not revoked yet.
    const reminder = await rotatedPoelis(t.clients, 'e2e/poelis-reminder');
    const oldPoelisKey = t.world.poelis.admin
      .listKeys(reminder.organizationId)
      .find((entry) => entry.keyName === 'e2e/poelis-reminder #1')!.fingerprint;
    // A rotation that failed three days ago and left AWSPENDING behind.
    await t.inThePast(3 * DAY_MS, async () => {
      const stuck = await provisionPolytomicSecret(t.world, t.clients, {
        name: 'e2e/stuck',
        kmsKeyId: t.kmsKeyArn,
      });
      await t.enableRotation(stuck.secretArn);
      t.world.polytomic.injectFault({ kind: 'status', status: 401, route: '/api/me', times: 1 });
      expect((await t.rotate(stuck.secretArn)).outcome).toBe('failed');
    });
    // A Poelis secret whose rotation was scheduled forty days ago and never happened.
    await t.inThePast(40 * DAY_MS, async () => {
      const overdue = await provisionPoelisSecret(t.world, t.clients, {
        name: 'e2e/overdue',
        kmsKeyId: t.kmsKeyArn,
      });
      await t.enableRotation(overdue.secretArn);
    });
    // A secret whose KMS key was disabled.
    const disabledKeyArn = (
      await t.clients.kms.send(new CreateKeyCommand({ Description: 'disabled later' }))
    ).KeyMetadata!.Arn!;
    const disabled = await provisionPolytomicSecret(t.world, t.clients, {
      name: 'e2e/disabled-key',
      kmsKeyId: disabledKeyArn,
    });
    await t.enableRotation(disabled.secretArn);
    await t.clients.kms.send(new DisableKeyCommand({ KeyId: disabledKeyArn }));

    const first = await runAudit(scheduled(1));

    const expectedFindings = [
      'e2e/disabled-key current-key-works error',
      'e2e/disabled-key encryption-key-ok fail',
      'e2e/overdue rotation-not-overdue fail',
      'e2e/poelis-reminder previous-key-revoked fail',
      'e2e/revoked-current current-key-works fail',
      'e2e/stuck no-stuck-pending fail',
    ];
    expect(first.result.secretsAudited).toBe(7);
    expect(summarize(first.result.findings)).toEqual(expectedFindings);
    expect(first.result.notified).toBe(5);
    expect(first.messages.map((message) => message.subject).sort()).toEqual([
      'api-key-rotator audit: current-key-works failed for e2e/revoked-current',
      'api-key-rotator audit: encryption-key-ok failed for e2e/disabled-key',
      'api-key-rotator audit: no-stuck-pending failed for e2e/stuck',
      'api-key-rotator audit: previous-key-revoked failed for e2e/poelis-reminder',
      'api-key-rotator audit: rotation-not-overdue failed for e2e/overdue',
    ]);
    const poelisNotice = first.messages.find((message) =>
      message.subject?.endsWith('e2e/poelis-reminder'),
    )!;
    expect(poelisNotice.message).toContain(
      `Revoke "e2e/poelis-reminder #1" (${oldPoelisKey}) in the Poelis web app`,
    );
    expect(poelisNotice.message).toContain(`Secret: ${reminder.secretArn}`);
    const revokedNotice = first.messages.find((message) =>
      message.subject?.endsWith('e2e/revoked-current'),
    )!;
    expect(revokedNotice.message).toContain(`rejects the AWSCURRENT key ${revokedKey} with 401`);

    // Each check failed for exactly one secret.
    for (const check of AUDIT_CHECKS) {
      expect(checkMetric(first, AuditMetric.CheckFailed, check)).toBe(1);
    }
    expect(checkMetric(first, AuditMetric.CheckErrored, 'current-key-works')).toBe(1);
    expect(checkMetric(first, AuditMetric.CheckPassed, 'current-key-works')).toBe(5);
    expect(checkMetric(first, AuditMetric.CheckPassed, 'encryption-key-ok')).toBe(6);
    const warnings = first.logs
      .filter((line) => line.includes('"audit check failed"'))
      .map((line) => JSON.parse(line) as { level: string; finding: AuditFinding });
    expect(warnings).toHaveLength(5);
    expect(warnings.every((line) => line.level === 'WARN')).toBe(true);
    expect(warnings.map((line) => line.finding.keyFingerprint)).toEqual(
      expect.arrayContaining([revokedKey, oldPoelisKey]),
    );

    // The same day: an on-demand run and a later scheduled run find the same, and stay quiet.
    const onDemand = await runAudit({});
    expect(summarize(onDemand.result.findings)).toEqual(expectedFindings);
    expect(onDemand.result).toMatchObject({ notifying: false, notified: 0 });
    expect(onDemand.messages).toEqual([]);
    const later = await runAudit(scheduled(1, 9));
    expect(later.result).toMatchObject({ notifying: false, notified: 0 });
    expect(later.messages).toEqual([]);
    expect(checkMetric(later, AuditMetric.CheckFailed, 'no-stuck-pending')).toBe(1);

    // The next day reminds again; once the operator revokes the Poelis key, that reminder stops.
    const nextDay = await runAudit(scheduled(2));
    expect(nextDay.messages).toHaveLength(5);
    t.world.poelis.admin.revokeKey(reminder.organizationId, 'e2e/poelis-reminder #1');
    const afterRevocation = await runAudit(scheduled(3));
    expect(afterRevocation.messages).toHaveLength(4);
    expect(afterRevocation.messages.some((m) => m.subject?.endsWith('e2e/poelis-reminder'))).toBe(
      false,
    );
    expect(checkMetric(afterRevocation, AuditMetric.CheckFailed, 'previous-key-revoked')).toBe(0);
  });
});
