/** `--since` of `report`: how far back rotations are listed. */
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
/** Ten years: longer than Secrets Manager keeps versions, so longer is a typing mistake. */
const MAX_MS = 3650 * UNIT_MS.d;
const PERIOD = /^([1-9][0-9]{0,4})([hdw])$/;

/**
 * Parses `90d`, `12w` or `48h` into milliseconds; anything else is an `InvalidPeriodError`
 * usage error (exit 2) that says what to write. Long input is named by its length only.
 *
 * @example
 * ```ts
 * parsePeriod('90d'); // 7_776_000_000
 * parsePeriod('3 months'); // throws CliError InvalidPeriodError
 * ```
 */
export function parsePeriod(text: string): number {
  const match = PERIOD.exec(text);
  const ms =
    match === null ? undefined : Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms === undefined || ms > MAX_MS) {
    const shown = text.length > 16 ? `a ${text.length}-character value` : JSON.stringify(text);
    throw new CliError(`--since ${shown} is not a period report can use.`, ExitCode.Usage, {
      name: 'InvalidPeriodError',
      hint: 'Write a whole number of hours, days or weeks, 1h to 3650d: e.g. --since 90d, --since 12w, --since 48h.',
    });
  }
  return ms;
}
