/** Caps how many invocations of one function run at once; the rest wait in arrival order. */

export interface ConcurrencySlot {
  /** True when the caller had to wait for another invocation to finish. */
  queued: boolean;
  /** Resolves true once the slot is held, false if the limiter was shut down first. */
  granted: Promise<boolean>;
}

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<(granted: boolean) => void> = [];

  constructor(private readonly limit: number = Number.POSITIVE_INFINITY) {}

  acquire(): ConcurrencySlot {
    if (this.active < this.limit) {
      this.active += 1;
      return { queued: false, granted: Promise.resolve(true) };
    }
    return { queued: true, granted: new Promise((resolve) => this.waiting.push(resolve)) };
  }

  /** Hands the slot straight to the next waiter, so a newcomer cannot overtake the queue. */
  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.active -= 1;
    else next(true);
  }

  /** Turns every waiter away; slots already held are released as usual. */
  rejectWaiting(): void {
    for (const waiter of this.waiting.splice(0)) waiter(false);
  }
}
