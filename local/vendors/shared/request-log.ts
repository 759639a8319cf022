import type { RequestRecord } from '../types';

/** Most recent requests kept in `entries()`; counters are never truncated. */
const MAX_ENTRIES = 10_000;

/** The vendor requests a simulator answered (or dropped), plus a count per `METHOD route`. */
export class RequestLog {
  private readonly recent: RequestRecord[] = [];
  private readonly counts = new Map<string, number>();

  record(entry: RequestRecord): void {
    this.recent.push(entry);
    if (this.recent.length > MAX_ENTRIES) this.recent.shift();
    const counter = `${entry.method} ${entry.route}`;
    this.counts.set(counter, (this.counts.get(counter) ?? 0) + 1);
  }

  entries(): RequestRecord[] {
    return this.recent.map((entry) => ({ ...entry }));
  }

  routeCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
