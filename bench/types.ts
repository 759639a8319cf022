/** What each benchmark module returns to the runner. */

export interface BenchOptions {
  /** Fewer runs and a smaller fleet, to finish in under a minute. */
  readonly quick: boolean;
}

/** One line of the terminal table and of RESULTS.md. */
export interface FigureRow {
  readonly measure: string;
  readonly value: string;
  readonly baseline: string;
  readonly ratio: string;
}

export interface FigureResult {
  /** Key in results.json, e.g. `coldStart`. */
  readonly id: string;
  readonly title: string;
  /** The goal as the issue states it. */
  readonly goal: string;
  /** Undefined when the figure has no pass/fail goal (it is reported side by side). */
  readonly goalMet: boolean | undefined;
  readonly rows: readonly FigureRow[];
  /** Where time or bytes go, and what the baseline is; one sentence each. */
  readonly notes: readonly string[];
  /** Raw numbers for results.json. */
  readonly data: unknown;
}
