/**
 * Usage errors that never repeat what may be a key: an operator who pastes a key into the wrong
 * place (`--key=…`, a positional argument, an option's value) sees which argument is wrong,
 * not the key, in the terminal, its scrollback and CI logs.
 */
import { InvalidArgumentError } from 'commander';
import { hasControlCharacters, printable } from '../lambda/shared/printable';
import { CliError } from './errors';
import { ExitCode } from './exit-codes';

/** Key prefixes of the vendors the CLI knows (Poelis REST API keys). */
const KEY_PREFIXES = ['poelis_api_'];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** A random-looking run: 24+ letters and digits with both in it, as generated keys are. */
const RANDOM_RUN = /(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{24,}/;
/** Longest text a usage error repeats: command and option names are far shorter. */
const MAX_ECHOED_LENGTH = 32;
/** GetSecretValue's and DescribeSecret's limit on `SecretId` (a name or an ARN). */
const MAX_SECRET_ID_LENGTH = 2048;

/** Whether `text` may hold a key: a vendor's key prefix, a UUID, or a long random-looking run. */
export function mayHoldKey(text: string): boolean {
  const lower = text.toLowerCase();
  return (
    KEY_PREFIXES.some((prefix) => lower.includes(prefix)) ||
    UUID.test(text) ||
    RANDOM_RUN.test(text)
  );
}

/**
 * `'text'` when a usage error may repeat it (short, printable, nothing key-like), otherwise a
 * description that gives only its length.
 */
export function echoable(text: string): string {
  if (text.length <= MAX_ECHOED_LENGTH && !hasControlCharacters(text) && !mayHoldKey(text)) {
    return `'${text}'`;
  }
  return `(${text.length} characters, not shown)`;
}

/** An unknown option as the operator typed it: its name up to `=` only, never its value. */
export function echoableOption(flag: string): string {
  if (flag.startsWith('--')) {
    const equals = flag.indexOf('=');
    if (equals === -1) return echoable(flag);
    return `${echoable(flag.slice(0, equals))} with a value (not shown)`;
  }
  // `-kVALUE`: only the letter names the option.
  return flag.length > 2
    ? `${echoable(flag.slice(0, 2))} with a value (not shown)`
    : echoable(flag);
}

const UNKNOWN = /^error: unknown (option|command) '([\s\S]*)'(\n\(Did you mean [^\n]*\?\))?\n?$/;
const INVALID_OPTION = /^(error: option '[^']*' argument )'([\s\S]*)'( is invalid\.[\s\S]*)$/;
const INVALID_ARGUMENT =
  /^(error: command-argument value )'([\s\S]*)'( is invalid for argument [\s\S]*)$/;

/**
 * Commander's error text with the operator's own text (an unknown option or command, a rejected
 * value) repeated only when {@link echoable}; everything else in it is the CLI's own wording.
 */
export function safeUsageMessage(message: string): string {
  const unknown = UNKNOWN.exec(message);
  if (unknown !== null) {
    const [, kind, token, suggestion = ''] = unknown;
    const shown = kind === 'option' ? echoableOption(token) : echoable(token);
    return `error: unknown ${kind} ${shown}${suggestion}\n`;
  }
  const invalid = INVALID_OPTION.exec(message) ?? INVALID_ARGUMENT.exec(message);
  if (invalid !== null) {
    const [, before, value, after] = invalid;
    return printable(`${before}${echoable(value)}${after.replace(/\n$/, '')}`) + '\n';
  }
  return message
    .split('\n')
    .map((line) => printable(line))
    .join('\n');
}

/**
 * Refuses a secret argument that cannot be a secret's name or ARN, before any AWS call: control
 * characters, more than AWS accepts, or a key (keys are read from stdin only, never argv).
 *
 * @throws {CliError} with exit code {@link ExitCode.Usage}; the message does not repeat `value`.
 */
export function checkSecretArgument(value: string, position: number, command: string): void {
  const which = `Argument ${position} of ${command}`;
  if (hasControlCharacters(value)) {
    throw new CliError(
      `${which} holds control characters, which no secret name or ARN has: it is not shown. Type the secret's name or ARN.`,
      ExitCode.Usage,
    );
  }
  if (value.length > MAX_SECRET_ID_LENGTH) {
    throw new CliError(
      `${which} is ${value.length} characters long; a secret name or ARN has at most ${MAX_SECRET_ID_LENGTH}.`,
      ExitCode.Usage,
    );
  }
  const lower = value.toLowerCase();
  if (KEY_PREFIXES.some((prefix) => lower.startsWith(prefix)) || UUID.exec(value)?.[0] === value) {
    throw new CliError(
      `${which} looks like an API key, not a secret name or ARN: it is not shown and was not sent anywhere. Keys are read from stdin only (\`api-key-rotator stage <secret>\`); if this was a live key, consider it exposed in your shell history and replace it.`,
      ExitCode.Usage,
    );
  }
}

/**
 * An option parser for a number of seconds from `min` to `max`, written as plain decimals
 * (`3`, `0.5`): not `1e3`, `0x10`, `10s` or `Infinity`. The bounds keep a poll loop from spinning
 * and its timer below Node's limit (2^31-1 ms), past which setTimeout fires after 1 ms.
 */
export function secondsBetween(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!(parsed > 0)) {
      throw new InvalidArgumentError(
        `must be a positive number of seconds, from ${min} to ${max}.`,
      );
    }
    if (parsed < min || parsed > max) {
      throw new InvalidArgumentError(
        `must be a positive number of seconds, from ${min} to ${max}: ${parsed < min ? 'shorter' : 'longer'} is refused.`,
      );
    }
    return parsed;
  };
}

/**
 * An option parser for a vendor key name (`stage --name`): text the rotation's notices repeat,
 * so no control characters.
 */
export function keyNameArgument(value: string): string {
  if (hasControlCharacters(value)) {
    throw new InvalidArgumentError(
      "must not hold control characters: give the key's name as the vendor's web app shows it.",
    );
  }
  return value;
}
