import type { Clock } from './types';
import type { SecretsStore } from './secrets';
import type { RotationOrchestrator } from './rotation';

/** Starts rotations whose window has opened, like Secrets Manager's rotation schedule. */
export class RotationScheduler {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: SecretsStore,
    private readonly orchestrator: RotationOrchestrator,
    private readonly clock: Clock,
  ) {}

  /** Starts every due rotation (a failed one is reattempted while it stays due); returns how many started. */
  runDue(): number {
    const now = this.clock.now();
    let started = 0;
    for (const secret of this.store.all()) {
      const due =
        secret.rotationEnabled === true &&
        secret.deletedDate === undefined &&
        secret.nextRotation !== undefined &&
        secret.nextRotation.start <= now &&
        !this.orchestrator.isRunning(secret.arn);
      if (!due) continue;
      this.orchestrator.start(secret, { trigger: 'schedule', rotateImmediately: true });
      started++;
    }
    return started;
  }

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => this.runDue(), intervalMs);
    // A forgotten scheduler must not keep the process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
