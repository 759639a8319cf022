import pc from 'picocolors';
import { printableLines } from '../lambda/shared/printable';

/** Where a command writes: the process streams in the binary, buffers in tests. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** A terminal's width; output is laid out for it (see `outputWidth`). */
  readonly columns?: number;
}

/** Where a command reads operator input (a staged key, a confirmation). */
export interface InputStream extends AsyncIterable<string | Buffer> {
  readonly isTTY?: boolean;
  /** Present on a terminal: raw mode turns echo off while a key is typed. */
  setRawMode?(mode: boolean): unknown;
}

export interface CliIo {
  readonly stdin: InputStream;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
}

export type Colors = ReturnType<typeof pc.createColors>;

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorsFor(stream: OutputStream, env: NodeJS.ProcessEnv): Colors {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return pc.createColors(stream.isTTY === true && !noColor);
}

/** An SGR sequence, the only escape picocolors writes. */
// eslint-disable-next-line no-control-regex -- ESC starts the sequence it matches
const SGR = /(\u001b\[[0-9;]*m)/;

/**
 * `io` whose writers escape control characters (see `printableLines`) in everything written,
 * keeping line breaks and tabs, and the colour sequences `colorsFor` emits only on a stream it
 * colours. Names and messages are also made printable where they are printed, so colour on a
 * terminal is the only escape that remains possible.
 */
export function terminalSafeIo(io: CliIo, env: NodeJS.ProcessEnv): CliIo {
  const guard = (stream: OutputStream): OutputStream => {
    const coloured = colorsFor(stream, env).isColorSupported;
    return {
      isTTY: stream.isTTY,
      // Read when output is laid out: a terminal may be resized while a command runs.
      get columns() {
        return stream.columns;
      },
      write: (text: string) =>
        stream.write(
          coloured
            ? text
                .split(SGR)
                .map((part, index) => (index % 2 === 1 ? part : printableLines(part)))
                .join('')
            : printableLines(text),
        ),
    };
  };
  return { stdin: io.stdin, stdout: guard(io.stdout), stderr: guard(io.stderr) };
}

/**
 * Reads one line of operator input: up to the first newline, or all of it when piped without
 * one. The line is returned, never echoed.
 */
export async function readLine(stdin: InputStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const newline = text.indexOf('\n');
    if (newline !== -1) return text.slice(0, newline).replace(/\r$/, '');
  }
  return text;
}

/**
 * Reads a secret line: on a terminal with echo off (Enter ends it, Ctrl-C cancels), otherwise
 * as `readLine`. Returns undefined when the operator cancels.
 */
export async function readSecretLine(stdin: InputStream): Promise<string | undefined> {
  if (stdin.isTTY !== true || stdin.setRawMode === undefined) return readLine(stdin);
  stdin.setRawMode(true);
  try {
    let text = '';
    for await (const chunk of stdin) {
      for (const char of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return text;
        if (char === '\u0003' || char === '\u0004') return undefined;
        text = char === '\u007f' || char === '\b' ? text.slice(0, -1) : text + char;
      }
    }
    return text;
  } finally {
    stdin.setRawMode(false);
  }
}

/** Asks a y/N question on stderr; only "y" or "yes" confirms. */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  io.stderr.write(`${question} [y/N] `);
  const answer = (await readLine(io.stdin)).trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}
