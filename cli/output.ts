import Table from 'cli-table3';
import { describeKey } from '../lambda/shared/key-reference';
import { printable } from '../lambda/shared/printable';
import type { Colors, CliIo, OutputStream } from './io';
import type { KeyVersion } from './secret-state';

/** The width output is laid out for when stdout is no terminal and COLUMNS says nothing. */
export const DEFAULT_COLUMNS = 80;

/**
 * Machine output: one JSON document on stdout. JSON escapes C0 controls itself; DEL, C1 and bidi
 * controls are escaped too (`\u202e`), so the document survives the terminal guard unchanged.
 *
 * @example
 * ```ts
 * writeJson(deps.io, { secretId, outcome: 'started' }); // {\n  "secretId": …\n}\n on stdout
 * ```
 */
export function writeJson(io: CliIo, value: unknown): void {
  const json = JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  io.stdout.write(`${json}\n`);
}

/**
 * The width to lay `stream` out for: a terminal's own width, else COLUMNS when it is a positive
 * integer, else {@link DEFAULT_COLUMNS}.
 *
 * @example
 * ```ts
 * outputWidth({ write: () => true }, { COLUMNS: '100' }); // 100
 * outputWidth({ write: () => true }, {}); // 80
 * ```
 */
export function outputWidth(stream: OutputStream, env: NodeJS.ProcessEnv): number {
  if (stream.isTTY === true && stream.columns !== undefined && stream.columns > 0) {
    return stream.columns;
  }
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : DEFAULT_COLUMNS;
}

/**
 * Rows as a table when it fits in `width` columns, otherwise as one block per row (its first
 * cell as the heading, then one `label  value` line per other cell). Nothing is ever cut: a word
 * longer than the width (an ARN, a command) gets a line of its own.
 *
 * @example
 * ```ts
 * renderFitted(['Secret', 'Provider'], [['prod/a', 'poelis']], colors, 80);
 * // a two-column table; at width 10, "prod/a\n  Provider  poelis\n"
 * ```
 */
export function renderFitted(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  colors: Colors,
  width: number,
): string {
  const table = renderTable(head, rows, colors);
  if (textWidth(table) <= width) return table;
  return renderRecords(head, rows, colors, width);
}

/** A plain table, as wide as its content; colour, when any, comes from the caller's cells. */
export function renderTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  colors: Colors,
): string {
  const table = new Table({
    head: head.map((title) => colors.bold(title)),
    style: { head: [], border: [] },
  });
  table.push(...rows.map((row) => [...row]));
  return `${table.toString()}\n`;
}

/** One block per row: the first cell as the heading, each other cell under its column's label. */
export function renderRecords(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  colors: Colors,
  width: number,
): string {
  const labels = head.slice(1);
  const labelWidth = Math.max(0, ...labels.map((label) => label.length));
  const indent = 2;
  const valueWidth = Math.max(20, width - indent - labelWidth - 2);
  const blocks = rows.map((row) => {
    const lines = [colors.bold(row[0] ?? '')];
    labels.forEach((label, index) => {
      const values = (row[index + 1] ?? '')
        .split('\n')
        .flatMap((line) => wrapText(line, valueWidth));
      values.forEach((value, line) => {
        const title = line === 0 ? label : '';
        lines.push(`${' '.repeat(indent)}${title.padEnd(labelWidth)}  ${value}`.trimEnd());
      });
    });
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

/** An SGR sequence, the only escape the CLI writes. */
// eslint-disable-next-line no-control-regex -- ESC starts the sequence it matches
const SGR = /\u001b\[[0-9;]*m/g;
/** A cell painted in one colour as a whole: its lines are painted one by one once wrapped. */
// eslint-disable-next-line no-control-regex -- ESC starts the sequences it matches
const PAINTED = /^(\u001b\[[0-9;]*m)([^\u001b]*)(\u001b\[[0-9;]*m)$/;

/**
 * `text` in lines of at most `width` columns, broken at spaces; a word longer than `width` stays
 * whole on its own line, so a command or an ARN can still be copied. A cell painted in one
 * colour stays painted on every line.
 *
 * @example
 * ```ts
 * wrapText('run `api-key-rotator recover prod/x` now', 20);
 * // ['run `api-key-rotator', 'recover prod/x` now']
 * ```
 */
export function wrapText(text: string, width: number): string[] {
  const painted = PAINTED.exec(text);
  if (painted !== null) {
    const [, open, inner, close] = painted;
    return wrapText(inner, width).map((line) => `${open}${line}${close}`);
  }
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (line !== '' && textWidth(candidate) > width) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  lines.push(line);
  return lines;
}

/** Columns the widest line of `text` takes, colour codes not counted. */
export function textWidth(text: string): number {
  return Math.max(0, ...text.split('\n').map((line) => [...line.replace(SGR, '')].length));
}

/** A secret name or ARN as a shell word: quoted only when the shell would split or expand it. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9/_+=.@:,%-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
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
