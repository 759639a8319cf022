/**
 * What an app saw, split by rotation windows: requests that started while its own secret rotated,
 * and requests that started while nothing rotated. Percentiles by nearest rank.
 */
import type { AppReport } from './app-process';

/** A rotation, from RotateSecret (or the scheduler's start) to the end of what it triggers. */
export interface RotationWindow {
  readonly secretArn: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly trigger: 'forced' | 'scheduled';
  /** Why the rotation failed, when it did (the run goes on; the figure counts it). */
  readonly failed?: string;
}

export interface LatencySplit {
  readonly requests: number;
  readonly failed: number;
  readonly inside: Percentiles;
  readonly outside: Percentiles;
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
}

/** Requests that start this soon after any window are left out of "outside" (connections settle). */
const SETTLE_MS = 50;

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted.length === 0
      ? Number.NaN
      : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { count: sorted.length, p50: at(0.5), p99: at(0.99) };
}

/** Latency inside `secretArn`'s windows against latency outside every window. */
export function splitByWindows(
  report: AppReport,
  windows: readonly RotationWindow[],
  secretArn: string,
): LatencySplit {
  const own = windows.filter((window) => window.secretArn === secretArn);
  const inside: number[] = [];
  const outside: number[] = [];
  let failed = 0;
  for (const [index, startedAt] of report.startedAt.entries()) {
    if (!isSuccess(report.status[index])) failed += 1;
    const latency = report.latencyMs[index];
    if (own.some((w) => startedAt >= w.startMs && startedAt <= w.endMs)) inside.push(latency);
    else if (!windows.some((w) => startedAt >= w.startMs && startedAt <= w.endMs + SETTLE_MS)) {
      outside.push(latency);
    }
  }
  return {
    requests: report.startedAt.length,
    failed,
    inside: percentiles(inside),
    outside: percentiles(outside),
  };
}

/**
 * For each of `secretArn`'s windows that had failed requests: from the first failed request's
 * start to the last one's answer, counting failures until the next window of any secret starts.
 */
export function failureWindowsMs(
  report: AppReport,
  windows: readonly RotationWindow[],
  secretArn: string,
): number[] {
  const ordered = [...windows].sort((a, b) => a.startMs - b.startMs);
  const spans = new Map<RotationWindow, { first: number; last: number }>();
  for (const [index, startedAt] of report.startedAt.entries()) {
    if (isSuccess(report.status[index])) continue;
    const window = ordered.filter((w) => w.startMs <= startedAt).at(-1);
    if (window === undefined || window.secretArn !== secretArn) continue;
    const end = startedAt + report.latencyMs[index];
    const span = spans.get(window);
    spans.set(window, {
      first: Math.min(span?.first ?? startedAt, startedAt),
      last: Math.max(span?.last ?? end, end),
    });
  }
  return [...spans.values()].map((span) => span.last - span.first);
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
