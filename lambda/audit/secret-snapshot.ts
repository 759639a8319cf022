import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  type RotationRulesType,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

/** One version of a secret, labelled or deprecated. */
export interface VersionInfo {
  readonly versionId: string;
  readonly stages: readonly string[];
  /** Epoch ms; undefined when Secrets Manager did not say. */
  readonly createdAt: number | undefined;
}

/** What the audit knows about a secret's metadata, read once per secret. */
export interface SecretSnapshot {
  readonly arn: string;
  readonly name: string;
  /** Absent when the secret is encrypted with the AWS managed key `aws/secretsmanager`. */
  readonly kmsKeyId: string | undefined;
  readonly rotationEnabled: boolean;
  readonly rotationRules: RotationRulesType | undefined;
  /** Epoch ms. */
  readonly nextRotationAt: number | undefined;
  /** Epoch ms. */
  readonly lastRotatedAt: number | undefined;
  /** Every version, deprecated ones included, newest first. */
  readonly versions: readonly VersionInfo[];
  /** The secret's tags (the stack's `api-key-rotator:revoke-previous` among them). */
  readonly tags: Readonly<Record<string, string>>;
}

/** Reads DescribeSecret and the version list (with deprecated versions and their dates). */
export async function readSecretSnapshot(
  secretsManager: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
): Promise<SecretSnapshot> {
  const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
  const arn = described.ARN ?? secretId;
  const versions: VersionInfo[] = [];
  let nextToken: string | undefined;
  do {
    const page = await secretsManager.send(
      new ListSecretVersionIdsCommand({
        SecretId: arn,
        IncludeDeprecated: true,
        MaxResults: 100,
        NextToken: nextToken,
      }),
    );
    for (const version of page.Versions ?? []) {
      if (version.VersionId === undefined) continue;
      versions.push({
        versionId: version.VersionId,
        stages: version.VersionStages ?? [],
        createdAt: version.CreatedDate?.getTime(),
      });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  versions.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  return {
    arn,
    name: described.Name ?? secretId,
    kmsKeyId: described.KmsKeyId,
    rotationEnabled: described.RotationEnabled === true,
    rotationRules: described.RotationRules,
    nextRotationAt: described.NextRotationDate?.getTime(),
    lastRotatedAt: described.LastRotatedDate?.getTime(),
    versions,
    tags: Object.fromEntries(
      (described.Tags ?? []).flatMap((tag) =>
        tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']],
      ),
    ),
  };
}

/** The version holding `label`, if any. */
export function versionWithStage(snapshot: SecretSnapshot, label: string): VersionInfo | undefined {
  return snapshot.versions.find((version) => version.stages.includes(label));
}
