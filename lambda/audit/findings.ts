import { describeError } from '../shared/errors';
import type { KeyReference } from '../shared/key-reference';

/** The six things the audit proves about each managed secret. */
export type AuditCheck =
  | 'current-key-works'
  | 'previous-key-revoked'
  | 'stored-keys-dead'
  | 'no-stuck-pending'
  | 'rotation-not-overdue'
  | 'encryption-key-ok';

/** Every check, in the order findings are reported. */
export const AUDIT_CHECKS: readonly AuditCheck[] = [
  'current-key-works',
  'previous-key-revoked',
  'stored-keys-dead',
  'no-stuck-pending',
  'rotation-not-overdue',
  'encryption-key-ok',
];

/** `error`: the check could not be completed (e.g. the vendor is down); the message says what to do. */
export type AuditOutcome = 'pass' | 'fail' | 'error';

/** The result of one check on one secret. Keys appear by fingerprint and name only. */
export interface AuditFinding {
  readonly check: AuditCheck;
  readonly secretArn: string;
  readonly secretName: string;
  readonly outcome: AuditOutcome;
  readonly message: string;
  readonly keyFingerprint?: string;
  readonly keyName?: string;
}

/** The secret a finding is about. */
export interface AuditSubject {
  readonly secretArn: string;
  readonly secretName: string;
}

export function finding(
  subject: AuditSubject,
  check: AuditCheck,
  outcome: AuditOutcome,
  message: string,
  key?: KeyReference,
): AuditFinding {
  return {
    check,
    secretArn: subject.secretArn,
    secretName: subject.secretName,
    outcome,
    message,
    ...(key === undefined ? {} : { keyFingerprint: key.fingerprint }),
    ...(key?.keyName === undefined ? {} : { keyName: key.keyName }),
  };
}

/** A check that could not be completed; our errors and the SDK's never carry key values. */
export function checkNotCompleted(
  subject: AuditSubject,
  check: AuditCheck,
  attempted: string,
  error: unknown,
  key?: KeyReference,
): AuditFinding {
  const { name, message } = describeError(error);
  return finding(
    subject,
    check,
    'error',
    `Could not ${attempted}: ${name}: ${message} The audit checks again on its next run; if this persists, fix the cause named here.`,
    key,
  );
}
