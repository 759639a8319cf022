import type { ProviderRegistry } from '../providers/registry';
import {
  ConfigurationError,
  readMatching,
  readSetting,
  readSharedFunctionConfig,
  type SharedFunctionConfig,
} from '../rotation/config';
import { FunctionEnv, MAX_SECRET_NAME_PREFIXES, SECRET_NAME_PREFIX } from '../shared/contracts';
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
  /**
   * ROTATOR_AUDIT_SECRET_NAME_PREFIXES: the name prefixes (each ending in `/`) whose managed
   * secrets are audited; unset, every managed secret of the account and region.
   */
  readonly secretNamePrefixes?: readonly string[];
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/**
 * Reads the audit function's settings; throws {@link ConfigurationError} naming a bad variable.
 * @param providers the providers whose origins ROTATOR_ALLOWED_ORIGINS may name (and default)
 */
export function readAuditConfig(env: NodeJS.ProcessEnv, providers?: ProviderRegistry): AuditConfig {
  return {
    rotator: readSharedFunctionConfig(env, providers),
    expectedKmsKeyArn: readMatching(
      env,
      FunctionEnv.ExpectedKmsKeyArn,
      KMS_KEY_ARN,
      'a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)',
    ),
    continuationTopicArn: readMatching(
      env,
      FunctionEnv.AuditContinuationTopicArn,
      SNS_TOPIC_ARN,
      'an SNS topic ARN',
    ),
    scheduleIntervalMs:
      readWholeNumber(env, FunctionEnv.AuditIntervalMinutes, 24 * 60, 366 * 24 * 60) * MINUTE_MS,
    concurrency: readWholeNumber(env, FunctionEnv.AuditConcurrency, 4, 64),
    vendorConcurrency: readWholeNumber(env, FunctionEnv.AuditVendorConcurrency, 1, 16),
    overdueGraceMs:
      readWholeNumber(
        env,
        FunctionEnv.AuditOverdueGraceHours,
        DEFAULT_OVERDUE_GRACE_MS / HOUR_MS,
        366 * 24,
      ) * HOUR_MS,
    secretNamePrefixes: readNamePrefixes(env, FunctionEnv.AuditSecretNamePrefixes),
  };
}

function readNamePrefixes(env: NodeJS.ProcessEnv, variable: string): string[] | undefined {
  const expected = `1 to ${MAX_SECRET_NAME_PREFIXES} secret name prefixes, comma-separated, each ending in "/" (e.g. "prod/,payments/")`;
  const text = readSetting(env, variable, expected);
  if (text === undefined) return undefined;
  const prefixes = text.split(',');
  if (
    prefixes.length > MAX_SECRET_NAME_PREFIXES ||
    !prefixes.every((prefix) => SECRET_NAME_PREFIX.test(prefix))
  ) {
    throw new ConfigurationError(variable, expected);
  }
  return prefixes;
}

/** A whole number from 1 to `max`, in plain decimal digits (no sign, exponent or hex). */
function readWholeNumber(
  env: NodeJS.ProcessEnv,
  variable: string,
  fallback: number,
  max: number,
): number {
  const expected = `a whole number from 1 to ${max}`;
  const text = readSetting(env, variable, expected);
  if (text === undefined) return fallback;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= max)) throw new ConfigurationError(variable, expected);
  return value;
}
