import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MANAGED_TAG, MANAGED_TAG_VALUE } from '../shared/tags';

/** One ListSecrets page of managed secrets. */
export interface ManagedSecretPage {
  readonly secretArns: readonly string[];
  /** NextToken of the following page; absent on the last page. */
  readonly nextToken?: string;
}

const PAGE_SIZE = 100;

/**
 * One page of secrets tagged `api-key-rotator:managed=true`. ListSecrets matches tag keys and
 * tag values independently, so the pair is checked again on each entry.
 */
export async function listManagedSecrets(
  secretsManager: Pick<SecretsManagerClient, 'send'>,
  pageToken: string | undefined,
): Promise<ManagedSecretPage> {
  const page = await secretsManager.send(
    new ListSecretsCommand({
      Filters: [
        { Key: 'tag-key', Values: [MANAGED_TAG] },
        { Key: 'tag-value', Values: [MANAGED_TAG_VALUE] },
      ],
      MaxResults: PAGE_SIZE,
      NextToken: pageToken,
    }),
  );
  const secretArns = (page.SecretList ?? [])
    .filter((entry) =>
      (entry.Tags ?? []).some((tag) => tag.Key === MANAGED_TAG && tag.Value === MANAGED_TAG_VALUE),
    )
    .flatMap((entry) => (entry.ARN === undefined ? [] : [entry.ARN]));
  return page.NextToken === undefined ? { secretArns } : { secretArns, nextToken: page.NextToken };
}
