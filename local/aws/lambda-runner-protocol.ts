/** Messages exchanged over IPC between the runner and a container's bootstrap. */
import type { LambdaContextFields } from './lambda-runner-context';
import type { InvocationError } from './lambda-runner-outcome';

/** Runner → container. */
export type RunnerMessage =
  | { type: 'init'; file: string; handlerExport: string }
  | { type: 'invoke'; event: unknown; context: LambdaContextFields; deadlineEpochMs: number };

/** Container → runner: one reply per runner message, each with the container's resident set size. */
export type ContainerMessage = { rssBytes: number } & (
  | { type: 'initialized' }
  | ({ type: 'initFailed' } & InvocationError)
  | { type: 'succeeded'; payload: unknown }
  | ({ type: 'failed' } & InvocationError)
);
