import { versionById, type SecretMetadata } from '../aws/secret-metadata';
import { AWSCURRENT, AWSPENDING } from '../aws/secrets';
import { RotatorError } from '../shared/errors';

/** Rotation is off for the secret, so Secrets Manager should not be calling us. */
export class RotationNotEnabledError extends RotatorError {
  constructor(secretId: string) {
    super(
      `Secret ${secretId} does not have rotation enabled. Enable rotation (RotateSecret with a RotationLambdaARN) first.`,
    );
  }
}

/** The token is not a version of the secret, or not the one being rotated in. */
export class UnexpectedVersionError extends RotatorError {
  constructor(secretId: string, token: string, problem: string) {
    super(
      `Version ${token} of secret ${secretId} ${problem}. Start a new rotation (RotateSecret) instead of replaying this one.`,
    );
  }
}

/**
 * The checks the AWS rotation template makes before every step. Returns 'current' when the
 * token is already AWSCURRENT (the rotation is over: nothing to do), 'pending' otherwise.
 */
export function checkVersionStages(metadata: SecretMetadata, token: string): 'pending' | 'current' {
  if (!metadata.rotationEnabled) throw new RotationNotEnabledError(metadata.arn);
  const stages = versionById(metadata, token)?.stages;
  if (stages === undefined) throw new UnexpectedVersionError(metadata.arn, token, 'does not exist');
  if (stages.includes(AWSCURRENT)) return 'current';
  if (!stages.includes(AWSPENDING))
    throw new UnexpectedVersionError(metadata.arn, token, 'is not AWSPENDING');
  return 'pending';
}
