import { printable } from '../../lambda/shared/printable';
import type { CliDependencies } from '../dependencies';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { listManagedSecrets } from '../managed-secrets';
import { writeJson } from '../output';
import { renderCsv } from '../report/csv';
import { gatherEvidence, type SecretEvidence } from '../report/evidence';
import { renderMarkdown, type ReportPeriod } from '../report/markdown';
import { parsePeriod } from '../report/period';
import { summarize } from '../report/summary';

export interface ReportOptions {
  /** `--since`, as written (e.g. `90d`). */
  readonly since: string;
  /** `md`, `csv` or `json` (`--json` is `json`). */
  readonly format: string;
}

const FORMATS = ['md', 'csv', 'json'] as const;
type ReportFormat = (typeof FORMATS)[number];

/**
 * `report [secret…]`: read-only evidence per secret and a fleet summary, for compliance
 * reviews. Exits 1 when the summary names a problem (overdue, over-age or live old keys, an
 * audit that did not pass), so a scheduled job can alert on it.
 */
export async function reportCommand(
  deps: CliDependencies,
  secretIds: readonly string[],
  options: ReportOptions,
): Promise<ExitCode> {
  const format = formatOf(options.format);
  const periodMs = parsePeriod(options.since);
  const now = deps.now();
  const secrets = secretIds.length > 0 ? secretIds : await listManagedSecrets(deps.secretsManager);
  const evidence: SecretEvidence[] = [];
  // One at a time: vendor rate limits (Poelis: 60 a minute) matter more than speed here.
  for (const secretId of secrets)
    evidence.push(await gatherEvidence(deps, secretId, now - periodMs));
  const summary = summarize(evidence);
  const period: ReportPeriod = {
    since: options.since,
    from: isoOf(now - periodMs),
    generatedAt: isoOf(now),
  };
  if (format === 'json') writeJson(deps.io, { ...period, summary, secrets: evidence });
  else if (format === 'csv') deps.io.stdout.write(renderCsv(evidence));
  else deps.io.stdout.write(renderMarkdown(period, evidence, summary));
  const problems =
    summary.overdue.length +
    summary.keysOverAge.length +
    summary.liveKeysThatShouldBeDead.length +
    summary.auditNotPassed.length;
  return problems === 0 ? ExitCode.Ok : ExitCode.Failed;
}

function formatOf(format: string): ReportFormat {
  const known = FORMATS.find((candidate) => candidate === format);
  if (known !== undefined) return known;
  throw new CliError(
    `--format ${JSON.stringify(printable(format.slice(0, 16)))} is not a report format.`,
    ExitCode.Usage,
    {
      name: 'InvalidFormatError',
      hint: 'Use --format md (Markdown), csv or json.',
    },
  );
}

function isoOf(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
