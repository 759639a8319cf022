import {
  DescribeSecretCommand,
  paginateListSecretVersionIds,
  type RotationRulesType,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

/** One version of a secret, labelled or deprecated. */
export interface SecretVersion {
  readonly versionId: string;
  /** Its staging labels; empty for a deprecated version. */
  readonly stages: readonly string[];
  /** Epoch ms; undefined when only labelled versions were read, or Secrets Manager did not say. */
  readonly createdAt: number | undefined;
}

/** What Secrets Manager says about a secret, apart from its values. */
export interface SecretMetadata {
  readonly arn: string;
  readonly name: string;
  /** Absent when the secret is encrypted with the AWS managed key `aws/secretsmanager`. */
  readonly kmsKeyId: string | undefined;
  readonly rotationEnabled: boolean;
  readonly rotationLambdaArn: string | undefined;
  readonly rotationRules: RotationRulesType | undefined;
  /** Epoch ms. */
  readonly nextRotationAt: number | undefined;
  /** Epoch ms. */
  readonly lastRotatedAt: number | undefined;
  /** The secret's tags, by key (the stack's `api-key-rotator:revoke-previous` among them). */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * With `versions: 'labelled'`, the versions that hold a staging label, in DescribeSecret's
   * order and without dates; with `'all'`, every version, deprecated ones included, newest first.
   */
  readonly versions: readonly SecretVersion[];
}

/** Which versions {@link readSecretMetadata} lists. */
export type VersionScope = 'labelled' | 'all';

export interface ReadSecretMetadataOptions {
  /**
   * `'labelled'` reads DescribeSecret alone, one call; `'all'` also pages through
   * ListSecretVersionIds for deprecated versions and creation dates.
   * @default 'labelled'
   */
  readonly versions?: VersionScope;
}

/** ListSecretVersionIds' largest page: the fewest calls for a long history. */
const VERSION_PAGE_SIZE = 100;

/**
 * Reads a secret's metadata: DescribeSecret, and with `versions: 'all'` every version through
 * the SDK's paginator, which also stops on the empty or repeated `NextToken` some AWS-compatible
 * endpoints answer the last page with.
 *
 * @param client - A real `SecretsManagerClient`: the SDK's paginators accept nothing else.
 * @param secretId - The secret's name or ARN.
 * @example
 * ```ts
 * const metadata = await readSecretMetadata(client, 'polytomic/prod', { versions: 'all' });
 * const current = versionWithStage(metadata, 'AWSCURRENT');
 * const deprecated = metadata.versions.filter((version) => version.stages.length === 0);
 * ```
 */
export async function readSecretMetadata(
  client: SecretsManagerClient,
  secretId: string,
  options: ReadSecretMetadataOptions = {},
): Promise<SecretMetadata> {
  const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  const arn = described.ARN ?? secretId;
  const versions =
    options.versions === 'all'
      ? await listAllVersions(client, arn)
      : Object.entries(described.VersionIdsToStages ?? {}).map(
          ([versionId, stages]): SecretVersion => ({ versionId, stages, createdAt: undefined }),
        );
  return {
    arn,
    name: described.Name ?? secretId,
    kmsKeyId: described.KmsKeyId,
    rotationEnabled: described.RotationEnabled === true,
    rotationLambdaArn: described.RotationLambdaARN,
    rotationRules: described.RotationRules,
    nextRotationAt: described.NextRotationDate?.getTime(),
    lastRotatedAt: described.LastRotatedDate?.getTime(),
    tags: Object.fromEntries(
      (described.Tags ?? []).flatMap((tag) =>
        tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']],
      ),
    ),
    versions,
  };
}

/** The version holding `label`, if any. */
export function versionWithStage(
  metadata: Pick<SecretMetadata, 'versions'>,
  label: string,
): SecretVersion | undefined {
  return metadata.versions.find((version) => version.stages.includes(label));
}

/** The id of the version holding `label`, if any. */
export function versionIdWithStage(
  metadata: Pick<SecretMetadata, 'versions'>,
  label: string,
): string | undefined {
  return versionWithStage(metadata, label)?.versionId;
}

/** The version with this id, if the metadata lists it. */
export function versionById(
  metadata: Pick<SecretMetadata, 'versions'>,
  versionId: string,
): SecretVersion | undefined {
  return metadata.versions.find((version) => version.versionId === versionId);
}

async function listAllVersions(
  client: SecretsManagerClient,
  arn: string,
): Promise<SecretVersion[]> {
  const versions: SecretVersion[] = [];
  const pages = paginateListSecretVersionIds(
    { client, pageSize: VERSION_PAGE_SIZE, stopOnSameToken: true },
    { SecretId: arn, IncludeDeprecated: true },
  );
  for await (const page of pages) {
    for (const version of page.Versions ?? []) {
      if (version.VersionId === undefined) continue;
      versions.push({
        versionId: version.VersionId,
        stages: version.VersionStages ?? [],
        createdAt: version.CreatedDate?.getTime(),
      });
    }
  }
  return versions.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
}
