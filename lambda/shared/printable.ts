/**
 * Text from outside (secret names, key names, vendor and AWS error messages) made safe to put on
 * a terminal or into a notification: control characters could recolour or rewrite a terminal,
 * forge lines in a message, or reorder what a reader sees (bidi overrides).
 */

/**
 * C0 controls (newline and tab included), DEL, C1 controls, the bidi embeddings, overrides,
 * isolates and marks, and the Unicode line and paragraph separators.
 */
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- control characters are what it replaces
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * {@link printable}, keeping line breaks and tabs: for whole texts whose lines are the writer's
 * own (a table, a help page), where only values inside could carry controls.
 *
 * @example
 * ```ts
 * printableLines('name\tstate\n\u001b]0;title\u0007'); // 'name\tstate\n\x1B]0;title\x07'
 * ```
 */
export function printableLines(text: string): string {
  return text.replace(UNPRINTABLE, (char) =>
    char === '\n' || char === '\t' ? char : escapeCharacter(char),
  );
}

/** Whether `text` holds any character {@link printable} would replace. */
export function hasControlCharacters(text: string): boolean {
  return new RegExp(UNPRINTABLE.source).test(text);
}

/** SNS Publish: a subject is printable ASCII on one line, at most 100 characters. */
export const SNS_SUBJECT_MAX_LENGTH = 100;

/**
 * `text` with every control character (C0, DEL, C1), bidi control and line separator replaced by
 * its escape (`\x1B`, `\u202E`), so an ANSI sequence or a forged line is shown, not obeyed.
 *
 * @example
 * ```ts
 * printable('prod\u001b[31m/key\nSecret: forged'); // 'prod\\x1B[31m/key\\x0ASecret: forged'
 * printable('invoice\u202Etxt.exe'); // 'invoice\\u202Etxt.exe'
 * ```
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeCharacter);
}

/**
 * An SNS subject: line breaks and tabs as one space, other controls as {@link printable},
 * non-ASCII characters as `?`, runs of spaces collapsed, and at most `maxLength` characters, cut
 * at a word boundary with `...` when it is longer.
 *
 * @example
 * ```ts
 * snsSubject('Revoke the old Poelis key of prod/poelis'); // unchanged
 * snsSubject('Failed for\nprod'); // 'Failed for prod'
 * snsSubject(`Failed for ${'team/'.repeat(30)}x`); // 'Failed for team/[...]/team/...', 100 long
 * ```
 */
export function snsSubject(text: string, maxLength = SNS_SUBJECT_MAX_LENGTH): string {
  const ascii = printable(text.replace(/[\t\n\r\u2028\u2029]+/g, ' '))
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  return truncateAtWord(ascii, maxLength);
}

/**
 * `text` cut to at most `maxLength` characters, `ellipsis` included, before the last space, `-`,
 * `_` or `.` that fits, or after the last `/`; mid-word when that boundary would drop more than
 * half of what fits (a long name without separators still shows its start).
 *
 * @example
 * ```ts
 * truncateAtWord('one two three', 10); // 'one two...'
 * truncateAtWord('prod/poelis/integration', 20); // 'prod/poelis/...'
 * truncateAtWord('prod/poelis-eu-central', 20); // 'prod/poelis-eu...'
 * ```
 */
export function truncateAtWord(text: string, maxLength: number, ellipsis = '...'): string {
  if (text.length <= maxLength) return text;
  const room = Math.max(0, maxLength - ellipsis.length);
  // Secret names are words joined by these: a cut there never splits a word of the name.
  const before = Math.max(...[' ', '-', '_', '.'].map((char) => text.lastIndexOf(char, room)));
  const boundary = Math.max(before, text.lastIndexOf('/', room - 1) + 1);
  const cut = boundary >= room / 2 ? text.slice(0, boundary) : text.slice(0, room);
  return `${cut.trimEnd()}${ellipsis}`.slice(0, maxLength);
}

/** `\xHH` up to U+00FF, `\uHHHH` above (each half of a surrogate pair on its own). */
export function escapeCharacter(char: string): string {
  const code = char.charCodeAt(0);
  const hex = code.toString(16).toUpperCase();
  return code <= 0xff ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
}
