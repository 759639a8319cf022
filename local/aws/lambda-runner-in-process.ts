/** An execution environment that runs a handler inside the runner's own process. */
import { createLambdaContext, type LambdaContextLike } from './lambda-runner-context';
import {
  settleWithin,
  type ExecutionEnvironment,
  type InvocationRequest,
} from './lambda-runner-execution-environment';
import {
  exitError,
  runHandler,
  timeoutError,
  type InvocationError,
  type InvocationOutcome,
} from './lambda-runner-outcome';

export type InProcessHandler = (event: unknown, context: LambdaContextLike) => Promise<unknown>;

/**
 * A timed-out or killed invocation is abandoned, not stopped: its promise keeps running in this
 * process, but its result is ignored and the environment is retired like a killed container.
 */
export class InProcessEnvironment implements ExecutionEnvironment {
  readonly rssBytes = 0;
  private isAlive = true;
  private abandonInFlight: ((outcome: InvocationOutcome) => void) | undefined;
  private markDead!: () => void;
  private readonly dead = new Promise<void>((resolve) => {
    this.markDead = resolve;
  });

  constructor(private readonly handler: InProcessHandler) {}

  get alive(): boolean {
    return this.isAlive;
  }

  init(): Promise<InvocationError | undefined> {
    return Promise.resolve(undefined);
  }

  invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    const deadlineEpochMs = Date.now() + request.timeoutMs;
    const outcome = settleWithin<InvocationOutcome>(
      request.timeoutMs,
      () => {
        this.retire();
        return { ok: false, ...timeoutError(request.timeoutMs) };
      },
      (settle) => {
        this.abandonInFlight = settle;
        const context = createLambdaContext(request.context, deadlineEpochMs);
        void runHandler(() => this.handler(request.event, context)).then(settle);
      },
    );
    return outcome.finally(() => {
      this.abandonInFlight = undefined;
    });
  }

  kill(): void {
    this.retire();
    this.abandonInFlight?.({ ok: false, ...exitError(null, 'SIGKILL') });
  }

  closed(): Promise<void> {
    return this.dead;
  }

  private retire(): void {
    this.isAlive = false;
    this.markDead();
  }
}
