/** The Lambda context object, built identically in process and inside a container. */

export interface LambdaContextLike {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

/** The serialisable part of a context: what the runner sends to a container per invocation. */
export type LambdaContextFields = Omit<
  LambdaContextLike,
  'callbackWaitsForEmptyEventLoop' | 'getRemainingTimeInMillis'
>;

/** Builds a context whose remaining time counts down to `deadlineEpochMs`. */
export function createLambdaContext(
  fields: LambdaContextFields,
  deadlineEpochMs: number,
): LambdaContextLike {
  return {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineEpochMs - Date.now()),
  };
}
