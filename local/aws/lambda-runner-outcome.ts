/** What one invocation produced, named and worded as the Lambda service does. */

export interface InvocationError {
  errorType: string;
  errorMessage: string;
}

export type InvocationOutcome = (
  { ok: true; payload: unknown } | ({ ok: false } & InvocationError)
) & {
  /** The container's resident set size after the invocation, when known. */
  rssBytes?: number;
};

export const ErrorTypes = {
  importModule: 'Runtime.ImportModuleError',
  handlerNotFound: 'Runtime.HandlerNotFound',
  exit: 'Runtime.ExitError',
  invalidEntrypoint: 'Runtime.InvalidEntrypoint',
  marshal: 'Runtime.MarshalError',
  timeout: 'Sandbox.Timedout',
  notFound: 'ResourceNotFoundException',
  service: 'ServiceException',
} as const;

/** Lambda reports an Error by its name and message, and any other thrown value by its type. */
export function describeThrown(thrown: unknown): InvocationError {
  if (thrown instanceof Error) {
    return { errorType: thrown.name, errorMessage: thrown.message };
  }
  return { errorType: typeof thrown, errorMessage: String(thrown) };
}

/** The response Lambda returns for a handler's value: its JSON form, `null` for undefined. */
export function marshalPayload(value: unknown): InvocationOutcome {
  try {
    return { ok: true, payload: JSON.parse(JSON.stringify(value ?? null)) as unknown };
  } catch (error) {
    return {
      ok: false,
      errorType: ErrorTypes.marshal,
      errorMessage: `Unable to stringify response body: ${describeThrown(error).errorMessage}`,
    };
  }
}

/** Runs a handler as the Lambda runtime does: any throw or rejection is a failure, a value is marshalled. */
export async function runHandler(call: () => unknown): Promise<InvocationOutcome> {
  try {
    return marshalPayload(await call());
  } catch (error) {
    return { ok: false, ...describeThrown(error) };
  }
}

export function timeoutError(timeoutMs: number): InvocationError {
  return {
    errorType: ErrorTypes.timeout,
    errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
  };
}

export function exitError(code: number | null, signal: NodeJS.Signals | null): InvocationError {
  if (signal === null && code === 0) {
    return {
      errorType: ErrorTypes.exit,
      errorMessage: 'Runtime exited without providing a reason',
    };
  }
  const status = signal === null ? `exit status ${code ?? 'unknown'}` : `signal: ${signal}`;
  return { errorType: ErrorTypes.exit, errorMessage: `Runtime exited with error: ${status}` };
}
