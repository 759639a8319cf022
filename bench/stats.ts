/** Summaries of repeated measurements: the median is the figure, the spread says how far to trust it. */
import { performance } from 'node:perf_hooks';

export interface Summary {
  readonly runs: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Interquartile range relative to the median, e.g. 0.08 for ±8 % around it. */
  readonly relativeIqr: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize needs at least one sample');
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
  return {
    runs: sorted.length,
    median,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    relativeIqr: median === 0 ? 0 : iqr / median,
  };
}

/** Linear interpolation between closest ranks, on sorted samples. */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

/** Milliseconds `work` took. */
export async function timeMs(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Candidate over baseline; undefined when the baseline is zero. */
export function ratio(candidate: number, baseline: number): number | undefined {
  return baseline === 0 ? undefined : candidate / baseline;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

export function formatRatio(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  // Two significant digits for small ratios such as 1 call in 10,000.
  return value > 0 && value < 0.01 ? `${value.toPrecision(2)}×` : `${value.toFixed(2)}×`;
}

/** "median (min–max, IQR ±x %)" for a timing summary. */
export function formatSpread(summary: Summary, format: (value: number) => string): string {
  const spread = `${format(summary.min)}–${format(summary.max)}`;
  return `${format(summary.median)} (${spread}, IQR ±${((summary.relativeIqr / 2) * 100).toFixed(0)} %, n=${summary.runs})`;
}
