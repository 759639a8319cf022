import type { RotationRulesType } from '@aws-sdk/client-secrets-manager';
import type { SecretMetadata } from '../aws/secret-metadata';
import { AWSCURRENT, AWSPENDING } from '../aws/secrets';
import { MANAGED_TAG, parseRateExpression } from '../shared/contracts';
import { describeKey, type KeyReference } from '../shared/key-reference';
import { finding, type AuditFinding, type AuditSubject } from './findings';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** How long past NextRotationDate a rotation may still land before it counts as overdue. */
export const DEFAULT_OVERDUE_GRACE_MS = DAY_MS;

/**
 * The longest a rotation may take under the secret's rules: `Duration`, else, per the
 * RotationRulesType docs, one hour for a schedule in hours and the rest of the UTC day (at
 * most 24 hours) for a schedule in days.
 */
export function rotationWindowMs(rules: RotationRulesType | undefined): number {
  const duration = /^(\d+)h$/.exec(rules?.Duration ?? '');
  if (duration) return Number(duration[1]) * HOUR_MS;
  return scheduleInHours(rules?.ScheduleExpression) ? HOUR_MS : DAY_MS;
}

function scheduleInHours(expression: string | undefined): boolean {
  if (expression === undefined) return false;
  const rate = parseRateExpression(expression, { tolerateBlanks: true });
  if (rate !== undefined) return rate.unit === 'hour';
  // A cron expression that fires at more than one hour of the day is a schedule in hours.
  const hours = /^cron\(\s*\S+\s+(\S+)/.exec(expression.trim())?.[1];
  return hours !== undefined && /[*,/-]/.test(hours);
}

/**
 * no-stuck-pending: AWSPENDING on a version other than AWSCURRENT for longer than the
 * rotation window means a rotation started and never finished.
 */
export async function checkNoStuckPending(
  subject: AuditSubject,
  snapshot: SecretMetadata,
  now: number,
  pendingKey: (versionId: string) => Promise<KeyReference | undefined>,
): Promise<AuditFinding> {
  const check = 'no-stuck-pending';
  const pending = snapshot.versions.find(
    (version) => version.stages.includes(AWSPENDING) && !version.stages.includes(AWSCURRENT),
  );
  if (pending === undefined) return finding(subject, check, 'pass', 'No rotation is in progress.');
  const windowMs = rotationWindowMs(snapshot.rotationRules);
  const since = pending.createdAt === undefined ? 'an unknown time' : iso(pending.createdAt);
  if (pending.createdAt !== undefined && now - pending.createdAt <= windowMs) {
    return finding(
      subject,
      check,
      'pass',
      `A rotation is in progress (AWSPENDING on version ${pending.versionId} since ${since}), within its ${hours(windowMs)} window.`,
    );
  }
  const key = await pendingKey(pending.versionId).catch(() => undefined);
  const age = pending.createdAt === undefined ? '' : ` (${hours(now - pending.createdAt)} ago)`;
  return finding(
    subject,
    check,
    'fail',
    `AWSPENDING has been on version ${pending.versionId}${key ? ` (key ${describeKey(key)})` : ''} since ${since}${age}, longer than the ${hours(windowMs)} rotation window: the rotation is stuck. Read the rotation function's logs for this secret, fix the cause, then let Secrets Manager retry or run \`api-key-rotator recover ${subject.secretName}\`.`,
    key,
  );
}

/** rotation-not-overdue: rotation is on, and NextRotationDate is not past by more than a grace. */
export function checkRotationNotOverdue(
  subject: AuditSubject,
  snapshot: SecretMetadata,
  now: number,
  graceMs: number,
): AuditFinding {
  const check = 'rotation-not-overdue';
  if (!snapshot.rotationEnabled) {
    return finding(
      subject,
      check,
      'fail',
      `Rotation is not enabled for this managed secret, so its key never changes. Enable rotation (the stack configures it for every managed secret) or remove the ${MANAGED_TAG} tag.`,
    );
  }
  if (snapshot.nextRotationAt === undefined) {
    return finding(
      subject,
      check,
      'error',
      'Secrets Manager reports no NextRotationDate although rotation is enabled. Check the secret rotation schedule (RotationRules).',
    );
  }
  const last = snapshot.lastRotatedAt === undefined ? 'never' : iso(snapshot.lastRotatedAt);
  if (now - snapshot.nextRotationAt <= graceMs) {
    return finding(
      subject,
      check,
      'pass',
      `Next rotation due by ${iso(snapshot.nextRotationAt)}; last rotated ${last}.`,
    );
  }
  return finding(
    subject,
    check,
    'fail',
    `Rotation is overdue: it was due by ${iso(snapshot.nextRotationAt)} (${hours(now - snapshot.nextRotationAt)} ago); last rotated ${last}. Check the rotation function's logs and Secrets Manager's RotationFailed events; for Poelis, stage a new key (\`api-key-rotator stage ${subject.secretName}\`); then rotate (\`api-key-rotator rotate ${subject.secretName}\`).`,
  );
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function hours(ms: number): string {
  const value = ms / HOUR_MS;
  return `${Number.isInteger(value) ? value : value.toFixed(1)}h`;
}
