import Table from 'cli-table3';
import type { Colors, CliIo } from './io';
import type { KeyVersion } from './secret-state';

/** Machine output: one JSON document on stdout. */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain table; colour, when any, comes from the caller's cells. */
export function renderTable(head: readonly string[], rows: readonly string[][], colors: Colors): string {
  const table = new Table({
    head: head.map((title) => colors.bold(title)),
    style: { head: [], border: [] },
    wordWrap: true,
  });
  table.push(...rows);
  return `${table.toString()}\n`;
}

/** `AWSCURRENT 1a2b3c4d "Production A"`: how a key is named wherever the CLI shows one. */
export function describeKeyVersion(version: KeyVersion): string {
  const name = version.keyName === undefined ? '' : ` "${version.keyName}"`;
  const key = version.fingerprint === undefined ? `(${version.problem ?? 'unknown'})` : version.fingerprint;
  return `${version.labels.join(',')} ${key}${name}`;
}

/** A key named by fingerprint and, when it has one, its Poelis name. */
export function describeKey(key: { fingerprint?: string; keyName?: string }): string {
  const fp = key.fingerprint ?? '(no key)';
  return key.keyName === undefined ? fp : `"${key.keyName}" (${fp})`;
}

export function formatDate(date: Date | undefined): string {
  return date === undefined ? '-' : date.toISOString().replace('.000Z', 'Z');
}
