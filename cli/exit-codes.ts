/** The CLI's exit codes: a contract for scripts, documented in the README. */
export const ExitCode = {
  /** The command did what was asked and found nothing wrong. */
  Ok: 0,
  /** The operation failed, or a check found a problem (failed rotation, stuck rotation, dead key). */
  Failed: 1,
  /** The command line or its input is wrong, or a confirmation was needed and not given. */
  Usage: 2,
  /** The secret does not exist, or AWS refused access (permissions or missing credentials). */
  NotFoundOrDenied: 3,
  /** AWS or the vendor could not be reached, or waiting for a rotation timed out: retry later. */
  Unavailable: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Keeps the most severe of two outcomes, so a batch reports its worst result. */
export function worstExitCode(a: ExitCode, b: ExitCode): ExitCode {
  const severity: readonly ExitCode[] = [
    ExitCode.Ok,
    ExitCode.Failed,
    ExitCode.Unavailable,
    ExitCode.NotFoundOrDenied,
    ExitCode.Usage,
  ];
  return severity.indexOf(a) >= severity.indexOf(b) ? a : b;
}
