/**
 * How a failed command is reported: plain `error:` and `hint:` lines on stderr, and with `--json`
 * the one document stdout carries, `{"ok":false,"error":{…}}`, unless the command already
 * printed its own.
 */
import type { CommanderError } from 'commander';
import { printableLines } from '../lambda/shared/printable';
import { CliError, jsonError } from './errors';
import { ExitCode } from './exit-codes';
import { colorsFor, type CliIo, type OutputStream } from './io';
import { writeJson } from './output';
import { safeUsageMessage } from './usage';

/** Stdout, remembering whether anything was written: a second JSON document must never follow. */
export interface WatchedOutput extends OutputStream {
  readonly written: boolean;
}

/**
 * `stream`, counting what is written through it.
 *
 * @example
 * ```ts
 * const stdout = watchOutput(io.stdout);
 * stdout.write('x');
 * stdout.written; // true
 * ```
 */
export function watchOutput(stream: OutputStream): WatchedOutput {
  let written = false;
  return {
    isTTY: stream.isTTY,
    get columns() {
      return stream.columns;
    },
    get written() {
      return written;
    },
    write(text: string) {
      written ||= text !== '';
      return stream.write(text);
    },
  };
}

/**
 * A usage error Commander raised, as a CliError; its text repeats the operator's input only when
 * it cannot be a key (see `safeUsageMessage`).
 */
export function usageError(error: CommanderError): CliError {
  const message = safeUsageMessage(`${error.message}\n`)
    .trim()
    .replace(/^error: /, '');
  return new CliError(message, ExitCode.Usage, {
    name: 'UsageError',
    cause: error,
    hint: 'Run with --help for usage.',
  });
}

/**
 * Prints `error` for the operator: `error: …` and `hint: …` on stderr (Commander has already
 * printed its own usage errors there), and the JSON error document on stdout when `json`.
 */
export function reportError(
  io: CliIo,
  env: NodeJS.ProcessEnv,
  error: CliError,
  options: { readonly json: boolean; readonly printed: boolean },
): void {
  if (!options.printed) {
    const colors = colorsFor(io.stderr, env);
    io.stderr.write(`${colors.red('error:')} ${printableLines(error.message)}\n`);
    if (error.hint !== undefined) {
      io.stderr.write(`${colors.yellow('hint:')} ${printableLines(error.hint)}\n`);
    }
  }
  if (options.json) writeJson(io, jsonError(error));
}

/**
 * Whether the command line asks for `--json`, read from the words before `--`: a usage error is
 * raised before any command sees its options, and must still answer in JSON.
 */
export function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}
