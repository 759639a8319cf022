import {
  ConfigurationError,
  readSharedFunctionConfig,
  type SharedFunctionConfig,
} from '../rotation/config';
import { FunctionEnv } from '../shared/contracts';
import { DEFAULT_OVERDUE_GRACE_MS } from './schedule-checks';

/** The audit function's settings: those it shares with the rotation function, plus its own. */
export interface AuditConfig {
  /**
   * Allowed origins and notification topic, read as the rotation function reads them. No
   * partner key: the audit only verifies keys, which takes the audited key alone.
   */
  readonly rotator: SharedFunctionConfig;
  /** ROTATOR_EXPECTED_KMS_KEY_ARN: every managed secret must use this key. */
  readonly expectedKmsKeyArn: string | undefined;
  /** ROTATOR_AUDIT_CONTINUATION_TOPIC_ARN: where a run that ran out of time posts its cursor. */
  readonly continuationTopicArn: string | undefined;
  /** ROTATOR_AUDIT_INTERVAL_MINUTES: how often the schedule fires (default daily). */
  readonly scheduleIntervalMs: number;
  /** ROTATOR_AUDIT_CONCURRENCY: secrets audited at once (default 4). */
  readonly concurrency: number;
  /** ROTATOR_AUDIT_VENDOR_CONCURRENCY: vendor calls in flight per origin (default 1). */
  readonly vendorConcurrency: number;
  /** ROTATOR_AUDIT_OVERDUE_GRACE_HOURS: how late a rotation may be (default 24). */
  readonly overdueGraceMs: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export function readAuditConfig(env: NodeJS.ProcessEnv): AuditConfig {
  return {
    rotator: readSharedFunctionConfig(env),
    expectedKmsKeyArn: readOptional(env[FunctionEnv.ExpectedKmsKeyArn]),
    continuationTopicArn: readOptional(env[FunctionEnv.AuditContinuationTopicArn]),
    scheduleIntervalMs:
      readPositiveInteger(env, FunctionEnv.AuditIntervalMinutes, 24 * 60) * MINUTE_MS,
    concurrency: readPositiveInteger(env, FunctionEnv.AuditConcurrency, 4),
    vendorConcurrency: readPositiveInteger(env, FunctionEnv.AuditVendorConcurrency, 1),
    overdueGraceMs:
      readPositiveInteger(
        env,
        FunctionEnv.AuditOverdueGraceHours,
        DEFAULT_OVERDUE_GRACE_MS / HOUR_MS,
      ) * HOUR_MS,
  };
}

function readPositiveInteger(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const text = readOptional(env[variable]);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(variable, 'a positive whole number');
  }
  return value;
}

function readOptional(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
