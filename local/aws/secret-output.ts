import type { StoredSecret } from './secrets';
import { epochSeconds } from './protocol';

/** Labelled versions only: unlabelled ones are deprecated and not shown. */
export function versionIdsToStages(secret: StoredSecret): Record<string, string[]> {
  return Object.fromEntries(
    secret.versions
      .filter((version) => version.stages.length > 0)
      .map((version) => [version.versionId, [...version.stages]]),
  );
}

/** The metadata DescribeSecret and ListSecrets share. */
function secretMetadata(secret: StoredSecret): Record<string, unknown> {
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    KmsKeyId: secret.kmsKeyId,
    RotationEnabled: secret.rotationEnabled,
    RotationLambdaARN: secret.rotationLambdaArn,
    RotationRules: secret.rotationRules,
    LastRotatedDate: secret.rotationEnabled ? epochSeconds(secret.lastRotatedDate) : undefined,
    LastChangedDate: epochSeconds(secret.lastChangedDate),
    LastAccessedDate: epochSeconds(secret.lastAccessedDate),
    DeletedDate: epochSeconds(secret.deletedDate),
    // The last second of the rotation window: the rotation happens on or before it.
    NextRotationDate:
      secret.rotationEnabled && secret.nextRotation
        ? epochSeconds(secret.nextRotation.end - 1000)
        : undefined,
    Tags: secret.tags.length > 0 ? secret.tags : undefined,
    CreatedDate: epochSeconds(secret.createdDate),
  };
}

export function describeSecretOutput(secret: StoredSecret): Record<string, unknown> {
  return { ...secretMetadata(secret), VersionIdsToStages: versionIdsToStages(secret) };
}

export function secretListEntry(secret: StoredSecret): Record<string, unknown> {
  return { ...secretMetadata(secret), SecretVersionsToStages: versionIdsToStages(secret) };
}
