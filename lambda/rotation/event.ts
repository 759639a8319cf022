import { RotatorError } from '../shared/errors';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The event Secrets Manager sends for each rotation step. */
export interface RotationEvent {
  readonly Step: RotationStep;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  /** Sent when the secret's resource policy requires it; passed on to PutSecretValue. */
  readonly RotationToken?: string;
}

/** The function was invoked with something other than a Secrets Manager rotation event. */
export class InvalidRotationEventError extends RotatorError {
  constructor(problem: string) {
    super(
      `Invalid rotation event: ${problem}. This function only handles Secrets Manager rotation events ({"Step","SecretId","ClientRequestToken"}).`,
    );
  }
}

export function parseRotationEvent(event: unknown): RotationEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidRotationEventError('the event is not an object');
  }
  const { Step, SecretId, ClientRequestToken, RotationToken } = event as Record<string, unknown>;
  if (!ROTATION_STEPS.includes(Step as RotationStep)) {
    throw new InvalidRotationEventError(`"Step" must be one of ${ROTATION_STEPS.join(', ')}`);
  }
  if (!isNonEmptyString(SecretId))
    throw new InvalidRotationEventError('"SecretId" must be a non-empty string');
  if (!isNonEmptyString(ClientRequestToken)) {
    throw new InvalidRotationEventError('"ClientRequestToken" must be a non-empty string');
  }
  if (RotationToken !== undefined && !isNonEmptyString(RotationToken)) {
    throw new InvalidRotationEventError('"RotationToken" must be a non-empty string when present');
  }
  return {
    Step: Step as RotationStep,
    SecretId,
    ClientRequestToken,
    ...(RotationToken === undefined ? {} : { RotationToken }),
  };
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
