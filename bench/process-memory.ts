/**
 * Resident memory of this process's Lambda containers, sampled from /proc (Linux): the runner
 * reports RSS only after an invocation, which misses what a step holds while it runs.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface RssSample {
  /** Epoch ms. */
  readonly at: number;
  readonly rssBytes: number;
}

/** Children of this process whose environment names the function. */
function containerPids(functionName: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.includes(`AWS_LAMBDA_FUNCTION_NAME=${functionName}`)) pids.push(Number(entry));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return pids;
}

/** `VmRSS` or `VmHWM` (peak) of a process in bytes; undefined once it has ended. */
function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Samples the RSS of every container of `functionName` every millisecond or so until stopped;
 * `peakBytes` is the kernel's high-water mark of each container seen, the true peak.
 *
 * @example
 * const sampler = new ContainerMemorySampler('my-function');
 * sampler.start();
 * // … invocations …
 * const { samples, peakBytes } = sampler.stop();
 */
export class ContainerMemorySampler {
  readonly #samples: RssSample[] = [];
  readonly #highWater = new Map<number, number>();
  #pids: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;

  public constructor(private readonly functionName: string) {}

  public start(): void {
    this.#timer = setInterval(() => this.#sample(), 1);
  }

  public stop(): { samples: RssSample[]; peakBytes: number } {
    clearInterval(this.#timer);
    this.#sample();
    return { samples: [...this.#samples], peakBytes: Math.max(0, ...this.#highWater.values()) };
  }

  #sample(): void {
    // Finding new containers scans /proc: every 20th tick, or whenever none is known.
    if (this.#pids.length === 0 || this.#ticks++ % 20 === 0) {
      this.#pids = containerPids(this.functionName);
    }
    const at = Date.now();
    for (const pid of this.#pids) {
      const rssBytes = statusBytes(pid, 'VmRSS');
      const peak = statusBytes(pid, 'VmHWM');
      if (rssBytes !== undefined) this.#samples.push({ at, rssBytes });
      if (peak !== undefined)
        this.#highWater.set(pid, Math.max(this.#highWater.get(pid) ?? 0, peak));
    }
  }
}
