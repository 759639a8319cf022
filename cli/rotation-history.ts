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
 * CLI falls back to what the secret's labels show; the local emulator keeps a history.
 */
export interface RotationHistory {
  /** Attempts for the secret, oldest first; undefined when this source cannot know. */
  attempts(secretArn: string): Promise<readonly RotationAttempt[] | undefined>;
}

export const noRotationHistory: RotationHistory = {
  attempts: () => Promise.resolve(undefined),
};

interface EmulatorStep {
  readonly step: string;
  readonly ok: boolean;
  readonly errorType?: string;
  readonly errorMessage?: string;
}

interface EmulatorRotation {
  readonly token: string;
  readonly startedAt: string;
  readonly outcome: RotationAttempt['outcome'];
  readonly steps: readonly EmulatorStep[];
}

/** The local AWS emulator's history (`GET /_emulator/rotations`), reached at its endpoint. */
export function emulatorRotationHistory(endpointUrl: string): RotationHistory {
  return {
    async attempts(secretArn) {
      const url = new URL('/_emulator/rotations', endpointUrl);
      url.searchParams.set('secretId', secretArn);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        if (!response.ok) return undefined;
        const records = (await response.json()) as readonly EmulatorRotation[];
        return Array.isArray(records) ? records.map(toAttempt) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The history source for an environment: the emulator's when the Secrets Manager endpoint is a
 * loopback address (only the local world runs there), none otherwise.
 */
export function rotationHistoryFor(env: NodeJS.ProcessEnv): RotationHistory {
  const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? env.AWS_ENDPOINT_URL;
  if (endpoint === undefined || endpoint === '') return noRotationHistory;
  try {
    const { hostname } = new URL(endpoint);
    const loopback =
      hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
    return loopback ? emulatorRotationHistory(endpoint) : noRotationHistory;
  } catch {
    return noRotationHistory;
  }
}

function toAttempt(record: EmulatorRotation): RotationAttempt {
  const failed = record.steps.find((step) => !step.ok);
  return {
    token: record.token,
    startedAt: record.startedAt,
    outcome: record.outcome,
    completedSteps: record.steps.filter((step) => step.ok).map((step) => step.step),
    ...(failed === undefined
      ? {}
      : {
          failure: {
            step: failed.step,
            errorType: failed.errorType ?? 'UnknownError',
            errorMessage: failed.errorMessage ?? '',
          },
        }),
  };
}
