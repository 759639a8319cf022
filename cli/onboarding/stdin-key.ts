/** Reading a key an operator pastes or pipes in: stdin only (never argv), hidden on a terminal. */
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { readSecretLine, type CliIo } from '../io';

/** What the operator is told around reading a key. */
export interface KeyPrompt {
  /** Asked on a terminal, e.g. "Paste the new Poelis API key". */
  readonly prompt: string;
  /** What a refusal left undone, e.g. "nothing was staged". */
  readonly nothingDone: string;
  /** A command line that pipes the key in, for the "no key" error. */
  readonly pipeExample: string;
  /** Where a clean copy of the key comes from, e.g. "the Poelis web app (…)". */
  readonly source: string;
}

/**
 * Reads one key from stdin: hidden on a terminal (Enter ends it, Ctrl-C cancels), the first
 * line when piped. One trailing line break and surrounding spaces (copy-paste residue) are
 * dropped; any other control character refuses the key, which is never echoed.
 *
 * @throws {CliError} (usage) when cancelled, empty, or holding a control character
 * @example
 * const key = await readKeyFromStdin(deps.io, {
 *   prompt: 'Paste the new Poelis API key',
 *   nothingDone: 'nothing was staged',
 *   pipeExample: 'pbpaste | api-key-rotator stage prod/poelis',
 *   source: 'the Poelis web app',
 * });
 */
export async function readKeyFromStdin(io: CliIo, prompt: KeyPrompt): Promise<string> {
  const tty = io.stdin.isTTY === true;
  if (tty) io.stderr.write(`${prompt.prompt} (not shown), then press Enter: `);
  const typed = await readSecretLine(io.stdin);
  if (tty) io.stderr.write('\n');
  if (typed === undefined) {
    throw new CliError(`Cancelled: ${prompt.nothingDone}.`, ExitCode.Usage, {
      name: 'CancelledError',
    });
  }
  const key = typed.replace(/(?:\r\n|\r|\n)$/, '').replace(/^ +| +$/g, '');
  if (key === '') {
    throw new CliError(`No key on stdin: ${prompt.nothingDone}.`, ExitCode.Usage, {
      name: 'KeyMissingError',
      hint: `Pipe the key in, e.g. \`${prompt.pipeExample}\`; keys are never taken as arguments.`,
    });
  }
  if (/\p{Cc}/u.test(key)) {
    throw new CliError(
      `The key on stdin contains a control character (a tab, a line break inside it, or another invisible character): ${prompt.nothingDone}.`,
      ExitCode.Usage,
      {
        name: 'MalformedKeyError',
        hint: `Copy the whole key again from ${prompt.source}, or remove the character from the file it comes from.`,
      },
    );
  }
  return key;
}
