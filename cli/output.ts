import Table from 'cli-table3';
import { describeKey } from '../lambda/shared/key-reference';
import type { Colors, CliIo } from './io';
import type { KeyVersion } from './secret-state';

/** Machine output: one JSON document on stdout. */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A plain table; colour, when any, comes from the caller's cells. `widths` caps columns that
 * hold free text (null: as wide as the content), which then wrap.
 */
export function renderTable(
  head: readonly string[],
  rows: readonly string[][],
  colors: Colors,
  widths: readonly (number | null)[] = [],
): string {
  const table = new Table({
    head: head.map((title) => colors.bold(title)),
    style: { head: [], border: [] },
    colWidths: [...widths],
    wordWrap: true,
  });
  table.push(...rows);
  return `${table.toString()}\n`;
}

/** `AWSCURRENT "Production A" (1a2b3c4d)`: a labelled version and the key it holds. */
export function describeKeyVersion(version: KeyVersion): string {
  return `${version.labels.join(',')} ${describeVersionKey(version)}`;
}

/** The key a version holds, or why it holds none. */
export function describeVersionKey(version: KeyVersion | undefined): string {
  if (version?.fingerprint === undefined) return `(${version?.problem ?? 'no key'})`;
  return describeKey({ fingerprint: version.fingerprint, keyName: version.keyName });
}

export function formatDate(date: Date | undefined): string {
  return date === undefined ? '-' : date.toISOString().replace('.000Z', 'Z');
}
