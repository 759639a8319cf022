import { paginateListSecrets, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MANAGED_TAG, MANAGED_TAG_VALUE } from '../lambda/shared/contracts';

/** ARNs of the secrets tagged `api-key-rotator:managed=true`, in name order. */
export async function listManagedSecrets(client: SecretsManagerClient): Promise<string[]> {
  const found: { name: string; arn: string }[] = [];
  // The paginator also stops on the empty or repeated NextToken some compatible endpoints send.
  const pages = paginateListSecrets(
    { client, stopOnSameToken: true },
    { Filters: [{ Key: 'tag-key', Values: [MANAGED_TAG] }] },
  );
  for await (const page of pages) {
    for (const secret of page.SecretList ?? []) {
      // The filter matches the tag key by prefix; the value must be exactly "true".
      const managed = (secret.Tags ?? []).some(
        (tag) => tag.Key === MANAGED_TAG && tag.Value === MANAGED_TAG_VALUE,
      );
      if (managed && secret.ARN !== undefined)
        found.push({ name: secret.Name ?? secret.ARN, arn: secret.ARN });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name)).map((secret) => secret.arn);
}
