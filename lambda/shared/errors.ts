/**
 * Base of every error the rotator throws on purpose. The class name is the error type Secrets
 * Manager and the logs show, so each subclass names one problem; messages say what to fix and
 * never contain a key value.
 */
export abstract class RotatorError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An error's name and message, for logs and reports (ours never carry key values). */
export function describeError(error: unknown): { name: string; message: string } {
  const { name, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
  };
  return {
    name: typeof name === 'string' ? name : 'UnknownError',
    message: typeof message === 'string' ? message : String(error),
  };
}
