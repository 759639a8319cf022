/** What the CLI knows of one rotation attempt beyond what DescribeSecret shows. */
export interface RotationAttempt {
  /** The ClientRequestToken: the new version's id. */
  readonly token: string;
  readonly startedAt: string;
  readonly outcome: 'running' | 'succeeded' | 'failed';
  /** Steps the function finished, in order. */
  readonly completedSteps: readonly string[];
  /** The step that failed, with the function's error (ours never carry key values). */
  readonly failure?: {
    readonly step: string;
    readonly errorType: string;
    readonly errorMessage: string;
  };
}

/**
 * Where rotation attempts can be read. Secrets Manager's API does not report a failed step (AWS
 * records it in the function's logs and CloudTrail), so against AWS this knows nothing and the
 * CLI falls back to what the secret's labels show; tests and the local world inject a source
 * that does know.
 */
export interface RotationHistory {
  /** Attempts for the secret, oldest first; undefined when this source cannot know. */
  attempts(secretArn: string): Promise<readonly RotationAttempt[] | undefined>;
}

/** The binary's history: none, as against AWS, whatever endpoint the SDK is pointed at. */
export const noRotationHistory: RotationHistory = {
  attempts: () => Promise.resolve(undefined),
};
