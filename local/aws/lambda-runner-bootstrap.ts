/**
 * Entry point of a container: loads the function once (the cold start), then serves one
 * invocation at a time over IPC until the runner disconnects or kills it. The runner compiles
 * this file to plain CommonJS, so it runs under any Node binary without a TypeScript loader.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLambdaContext, type LambdaContextLike } from './lambda-runner-context';
import {
  ErrorTypes,
  describeThrown,
  runHandler,
  type InvocationError,
  type InvocationOutcome,
} from './lambda-runner-outcome';
import type { ContainerMessage, RunnerMessage } from './lambda-runner-protocol';

type Handler = (event: unknown, context: LambdaContextLike) => unknown;

// Lambda names the runtime here; only the container knows which Node major it runs under.
process.env.AWS_EXECUTION_ENV ??= `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`;

let handler: Handler | undefined;

async function loadModule(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  if (file.endsWith('.mjs')) return (await import(url)) as unknown;
  try {
    return createRequire(file)(file) as unknown;
  } catch (error) {
    // Like the Lambda runtime: CommonJS first, ES module when the file turns out to be one.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
    return (await import(url)) as unknown;
  }
}

async function initialize(
  file: string,
  handlerExport: string,
): Promise<InvocationError | undefined> {
  let loaded: unknown;
  try {
    loaded = await loadModule(file);
  } catch (error) {
    const { errorType, errorMessage } = describeThrown(error);
    return { errorType: ErrorTypes.importModule, errorMessage: `${errorType}: ${errorMessage}` };
  }
  const candidate = (loaded as Record<string, unknown> | null)?.[handlerExport];
  if (typeof candidate !== 'function') {
    const moduleName = path.basename(file, path.extname(file));
    return {
      errorType: ErrorTypes.handlerNotFound,
      errorMessage: `${moduleName}.${handlerExport} is undefined or not exported`,
    };
  }
  handler = candidate as Handler;
  return undefined;
}

function invoke(message: Extract<RunnerMessage, { type: 'invoke' }>): Promise<InvocationOutcome> {
  const loaded = handler;
  if (loaded === undefined) {
    return Promise.resolve({ ok: false, ...describeThrown(new Error('invoked before init')) });
  }
  const context = createLambdaContext(message.context, message.deadlineEpochMs);
  return runHandler(() => loaded(message.event, context));
}

async function handle(message: RunnerMessage): Promise<ContainerMessage> {
  if (message.type === 'invoke') {
    const outcome = await invoke(message);
    const rssBytes = process.memoryUsage.rss();
    return outcome.ok
      ? { type: 'succeeded', payload: outcome.payload, rssBytes }
      : {
          type: 'failed',
          errorType: outcome.errorType,
          errorMessage: outcome.errorMessage,
          rssBytes,
        };
  }
  const failure = await initialize(message.file, message.handlerExport);
  const rssBytes = process.memoryUsage.rss();
  return failure === undefined
    ? { type: 'initialized', rssBytes }
    : { type: 'initFailed', ...failure, rssBytes };
}

/** Resolves once everything written so far has reached the pipe, so logs arrive before the reply. */
function flushOutput(): Promise<unknown> {
  const flushed = (stream: NodeJS.WriteStream): Promise<void> =>
    new Promise((resolve) => stream.write('', () => resolve()));
  return Promise.all([flushed(process.stdout), flushed(process.stderr)]);
}

process.on('message', (message: RunnerMessage) => {
  void handle(message).then(async (reply) => {
    await flushOutput();
    process.send?.(reply);
  });
});
// Without its runner a container has nothing left to do: never outlive it.
process.on('disconnect', () => process.exit(0));
