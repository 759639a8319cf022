import type { RotationAttempt, RotationHistory } from '../../cli/rotation-history';
import type { RotationRecord } from './rotation';

/** A record as `GET /_emulator/rotations` serves it (JSON of the orchestrator's records). */
type ServedRecord = Pick<RotationRecord, 'token' | 'startedAt' | 'outcome' | 'steps'>;

/**
 * The emulator's rotation history, read from its admin view `GET /_emulator/rotations` (see
 * ./server.ts) at `endpointUrl`: what AWS keeps only in the function's logs. Tests and
 * `local/cli.ts` give it to the CLI; the binary never reads it.
 */
export function emulatorRotationHistory(endpointUrl: string): RotationHistory {
  return {
    async attempts(secretArn) {
      const url = new URL('/_emulator/rotations', endpointUrl);
      url.searchParams.set('secretId', secretArn);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        if (!response.ok) return undefined;
        const records = (await response.json()) as readonly ServedRecord[];
        return Array.isArray(records) ? records.map(toAttempt) : undefined;
      } catch {
        // An unreachable emulator knows as little as AWS does: the CLI falls back to the labels.
        return undefined;
      }
    },
  };
}

function toAttempt(record: ServedRecord): RotationAttempt {
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
