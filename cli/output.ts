import Table from 'cli-table3';
import { describeKey } from '../lambda/shared/key-reference';
import { printable } from '../lambda/shared/printable';
import type { Colors, CliIo } from './io';
import type { KeyVersion } from './secret-state';

/**
 * Machine output: one JSON document on stdout. JSON escapes C0 controls itself; DEL, C1 and bidi
 * controls are escaped too (`\u202e`), so the document survives the terminal guard unchanged.
 */
export function writeJson(io: CliIo, value: unknown): void {
  const json = JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  io.stdout.write(`${json}\n`);
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
  if (version?.fingerprint === undefined) return `(${printable(version?.problem ?? 'no key')})`;
  return describeKey({ fingerprint: version.fingerprint, keyName: version.keyName });
}

export function formatDate(date: Date | undefined): string {
  return date === undefined ? '-' : date.toISOString().replace('.000Z', 'Z');
}
