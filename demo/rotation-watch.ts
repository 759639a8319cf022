/**
 * Follows one rotation live through the emulator's rotation history, reporting each of the four
 * steps as it completes — what a console user would see refreshing the secret's page.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AwsEmulator, RotationRecord, StepRecord } from '../local/aws';

const POLL_MS = 25;
/** Longer than four steps at the function's 30 s timeout would never be a healthy rotation. */
const GIVE_UP_MS = 150_000;

export class RotationNotFoundError extends Error {
  constructor(secretArn: string, waitedFor: string) {
    super(`No ${waitedFor} rotation of ${secretArn} ended within ${GIVE_UP_MS / 1000} s.`);
    this.name = 'RotationNotFoundError';
  }
}

/** Which rotation to follow: by its token, or by its place in the history (the length before it started). */
export type RotationSelector = { readonly token: string } | { readonly historyIndex: number };

/** Polls until the selected rotation has ended; calls `onStep` once per completed step, in order. */
export async function followRotation(
  emulator: Pick<AwsEmulator, 'rotationHistory'>,
  secretArn: string,
  selector: RotationSelector,
  onStep: (step: StepRecord) => void,
): Promise<RotationRecord> {
  const deadline = Date.now() + GIVE_UP_MS;
  let reported = 0;
  while (Date.now() < deadline) {
    const record = select(emulator.rotationHistory(secretArn), selector);
    if (record !== undefined) {
      for (const step of record.steps.slice(reported)) onStep(step);
      reported = record.steps.length;
      if (record.outcome !== 'running') return record;
    }
    await sleep(POLL_MS);
  }
  throw new RotationNotFoundError(secretArn, 'token' in selector ? selector.token : 'new');
}

function select(
  history: readonly RotationRecord[],
  selector: RotationSelector,
): RotationRecord | undefined {
  return 'token' in selector
    ? history.find((record) => record.token === selector.token)
    : history[selector.historyIndex];
}
