/** What the runner needs from an execution environment, whether a container or the runner's own process. */
import type { LambdaContextFields } from './lambda-runner-context';
import type { InvocationError, InvocationOutcome } from './lambda-runner-outcome';

export interface InvocationRequest {
  event: unknown;
  context: LambdaContextFields;
  timeoutMs: number;
}

export interface ExecutionEnvironment {
  /** False once the environment crashed, timed out or was killed: it must not be reused. */
  readonly alive: boolean;
  /** Resident set size reported after the last init or invocation; 0 when not measurable. */
  readonly rssBytes: number;
  /** The cold start: loads the function. Resolves with the error that makes it unusable, if any. */
  init(): Promise<InvocationError | undefined>;
  /** Runs one invocation; the environment handles one at a time. */
  invoke(request: InvocationRequest): Promise<InvocationOutcome>;
  /** Ends the environment now; an invocation in flight fails with Runtime.ExitError. */
  kill(): void;
  /** Resolves once the environment has released everything it holds (processes, pipes). */
  closed(): Promise<void>;
}

/**
 * Settles once, with whatever `run` settles first, or with `onTimeout()` when `timeoutMs` passes.
 * The timer is cleared on settlement so nothing outlives the invocation.
 */
export function settleWithin<T>(
  timeoutMs: number,
  onTimeout: () => T,
  run: (settle: (value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve) => {
    let settled = false;
    const settle = (value: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => settle(onTimeout()), timeoutMs);
    run(settle);
  });
}
