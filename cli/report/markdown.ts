/** `report --format md`: Markdown that reads well pasted into a ticket. */
import { describeKey, type KeyReference } from '../../lambda/shared/key-reference';
import { printable } from '../../lambda/shared/printable';
import type { KeyEvidence, SecretEvidence } from './evidence';
import type { FleetSummary, SummarizedKey } from './summary';

/** What a report covers, besides its secrets. */
export interface ReportPeriod {
  /** As the operator wrote it, e.g. `90d`. */
  readonly since: string;
  /** ISO-8601. */
  readonly from: string;
  /** ISO-8601. */
  readonly generatedAt: string;
}

/**
 * Renders the report as Markdown: the fleet summary, then one section per secret.
 *
 * @example
 * ```ts
 * io.stdout.write(renderMarkdown(period, evidence, summarize(evidence)));
 * ```
 */
export function renderMarkdown(
  period: ReportPeriod,
  evidence: readonly SecretEvidence[],
  summary: FleetSummary,
): string {
  const lines = [
    '# API key rotation report',
    '',
    `Rotations since ${period.from} (${md(period.since)}), generated ${period.generatedAt}, ${summary.secrets} secret(s).`,
    '',
    '## Fleet summary',
    '',
    ...table(
      ['finding', 'count', 'where'],
      [
        ['overdue rotations', String(summary.overdue.length), names(summary.overdue)],
        [
          'keys older than the schedule allows',
          String(summary.keysOverAge.length),
          keys(summary.keysOverAge),
        ],
        [
          'keys still live that should be dead',
          String(summary.liveKeysThatShouldBeDead.length),
          keys(summary.liveKeysThatShouldBeDead),
        ],
        [
          'secrets whose audit did not pass',
          String(summary.auditNotPassed.length),
          names(summary.auditNotPassed),
        ],
      ],
    ),
    ...evidence.flatMap((secret) => section(secret, period)),
  ];
  return `${lines.join('\n')}\n`;
}

function section(secret: SecretEvidence, period: ReportPeriod): string[] {
  const passed = secret.audit.findings.filter((found) => found.outcome === 'pass').length;
  const current = secret.current;
  return [
    '',
    `## ${md(secret.name)}`,
    '',
    ...table(
      ['', ''],
      [
        ['ARN', code(secret.arn)],
        ['provider', md(secret.provider ?? 'unknown (AWSCURRENT does not parse)')],
        [
          'schedule',
          secret.rotationEnabled
            ? `${md(secret.schedule ?? 'none')}${secret.rotationWindow === null ? '' : `, window ${md(secret.rotationWindow)}`}`
            : 'rotation is off',
        ],
        ['revoke policy', md(secret.revokePolicy ?? 'unknown')],
        ['last rotated', secret.lastRotatedAt ?? 'never'],
        [
          'next rotation',
          `${secret.nextRotationAt ?? 'none'} (${secret.overdue ? '**overdue**' : 'on time'})`,
        ],
        [
          'current key',
          current === null
            ? 'none readable'
            : `${keyText(current.key)}, version ${code(current.versionId)}, ${age(current)}${current.overAge ? ' **older than the schedule allows**' : ''}`,
        ],
        [
          'audit (run now)',
          `${secret.audit.passed ? 'passed' : '**did not pass**'}: ${passed} of ${secret.audit.findings.length} checks`,
        ],
      ],
    ),
    ...secret.audit.findings
      .filter((found) => found.outcome !== 'pass')
      .map((found) => `- ${found.outcome.toUpperCase()} ${found.check}: ${md(found.message)}`),
    '',
    `Rotations since ${period.from}: ${secret.rotations.length}`,
    ...(secret.rotations.length === 0
      ? []
      : [
          '',
          ...table(
            ['rotated at', 'version', 'new key', 'labels now'],
            secret.rotations.map((rotation) => [
              rotation.rotatedAt,
              code(rotation.versionId),
              keyText(rotation.key),
              labels(rotation.labels),
            ]),
          ),
        ]),
    '',
    `Other stored versions, their keys as the vendor answers now: ${secret.storedKeys.length}${secret.storedKeysNotProbed === 0 ? '' : ` (${secret.storedKeysNotProbed} older not probed)`}`,
    ...(secret.storedKeys.length === 0
      ? []
      : [
          '',
          ...table(
            ['version', 'labels', 'created', 'age', 'key', 'at the vendor'],
            secret.storedKeys.map((key) => [
              code(key.versionId),
              labels(key.labels),
              key.createdAt ?? '-',
              age(key),
              keyText(key.key),
              key.shouldBeDead || key.overAge ? `**${key.status}**` : key.status,
            ]),
          ),
        ]),
  ];
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

function age(key: KeyEvidence): string {
  return key.ageDays === null ? 'age unknown' : `${key.ageDays} day(s) old`;
}

function labels(stages: readonly string[]): string {
  return stages.length === 0 ? '-' : stages.map(md).join(', ');
}

function keyText(key: KeyReference | null): string {
  return key === null ? 'unreadable' : md(describeKey(key));
}

function names(list: readonly string[]): string {
  return list.length === 0 ? '-' : list.map(md).join(', ');
}

function keys(list: readonly SummarizedKey[]): string {
  return list.length === 0
    ? '-'
    : list.map((key) => `${md(key.secret)} ${keyText(key.key)}`).join(', ');
}

/** Inline code; a backtick in the text ends it early, so it is escaped as text instead. */
function code(text: string): string {
  return text.includes('`') ? md(text) : `\`${printable(text)}\``;
}

/**
 * Text from secret and key names and vendor messages, escaped so it cannot break a table or add
 * markup (emphasis, links, HTML); `#` and `>` only matter at a line's start, where none is put.
 */
function md(text: string): string {
  return printable(text).replace(/[\\`*_[\]<|]/g, (char) => `\\${char}`);
}
