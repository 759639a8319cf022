/** An error the emulator returns to the caller in the shape AWS uses. */
export class AwsError extends Error {
  constructor(
    /** The exact error name AWS documents, sent as `__type` and `x-amzn-ErrorType`. */
    readonly type: string,
    message: string,
    readonly statusCode: number = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** The `1 validation error detected` message AWS sends when a request breaks the model's constraints. */
export function validationError(
  member: string,
  value: string | number | null | undefined,
  constraint: string,
): AwsError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return new AwsError(
    'ValidationException',
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

export function isAwsError(error: unknown): error is AwsError {
  return error instanceof AwsError;
}
