import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MANAGED_TAG, MANAGED_TAG_VALUE } from '../lambda/shared/tags';

/** ARNs of the secrets tagged `api-key-rotator:managed=true`, in name order. */
export async function listManagedSecrets(
  client: Pick<SecretsManagerClient, 'send'>,
): Promise<string[]> {
  const found: { name: string; arn: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListSecretsCommand({
        Filters: [{ Key: 'tag-key', Values: [MANAGED_TAG] }],
        NextToken: nextToken,
      }),
    );
    for (const secret of page.SecretList ?? []) {
      // The filter matches the tag key by prefix; the value must be exactly "true".
      const managed = (secret.Tags ?? []).some(
        (tag) => tag.Key === MANAGED_TAG && tag.Value === MANAGED_TAG_VALUE,
      );
      if (managed && secret.ARN !== undefined)
        found.push({ name: secret.Name ?? secret.ARN, arn: secret.ARN });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return found.sort((a, b) => a.name.localeCompare(b.name)).map((secret) => secret.arn);
}
