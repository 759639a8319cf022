/**
 * `report --format csv`: one row per stored key (AWSCURRENT included) with its secret's
 * schedule, policy and audit outcome, for spreadsheets. RFC 4180 quoting; cells that a
 * spreadsheet would run as a formula are neutralized.
 */
import type { KeyEvidence, SecretEvidence } from './evidence';

const COLUMNS = [
  'secret',
  'arn',
  'provider',
  'schedule',
  'revoke_policy',
  'overdue',
  'audit_passed',
  'rotations_in_period',
  'version_id',
  'labels',
  'created',
  'age_days',
  'key_fingerprint',
  'key_name',
  'at_vendor',
  'should_be_dead',
  'older_than_schedule_allows',
] as const;

/**
 * Renders the report as CSV: RFC 4180 fields, records ended by LF (the CLI's terminal guard
 * escapes CR, and spreadsheets read either).
 *
 * @example
 * ```ts
 * renderCsv(evidence).split('\r\n')[0]; // 'secret,arn,provider,…'
 * ```
 */
export function renderCsv(evidence: readonly SecretEvidence[]): string {
  const rows = evidence.flatMap((secret) =>
    [...(secret.current === null ? [] : [secret.current]), ...secret.storedKeys].map((key) =>
      row(secret, key),
    ),
  );
  return `${[[...COLUMNS], ...rows].map((cells) => cells.map(csvCell).join(',')).join('\n')}\n`;
}

function row(secret: SecretEvidence, key: KeyEvidence): string[] {
  return [
    secret.name,
    secret.arn,
    secret.provider ?? '',
    secret.schedule ?? '',
    secret.revokePolicy ?? '',
    String(secret.overdue),
    String(secret.audit.passed),
    String(secret.rotations.length),
    key.versionId,
    key.labels.join(' '),
    key.createdAt ?? '',
    key.ageDays === null ? '' : String(key.ageDays),
    key.key?.fingerprint ?? '',
    key.key?.keyName ?? '',
    key.status,
    String(key.shouldBeDead),
    String(key.overAge),
  ];
}

/**
 * One RFC 4180 field. Text a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR first) is
 * prefixed with `'` (OWASP "CSV injection"); a field with a comma, quote or line break is quoted.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
