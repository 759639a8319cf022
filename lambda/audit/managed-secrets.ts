import { paginateListSecrets, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MANAGED_TAG, MANAGED_TAG_VALUE } from '../shared/contracts';

/** One ListSecrets page of managed secrets. */
export interface ManagedSecretPage {
  /** The NextToken this page was read with; undefined for the first page. */
  readonly pageToken: string | undefined;
  readonly secretArns: readonly string[];
  /** The token of the page that follows; undefined on the last page. */
  readonly nextToken: string | undefined;
}

const PAGE_SIZE = 100;

/**
 * The pages of secrets tagged `api-key-rotator:managed=true`, from `startingToken` on (the first
 * page without one). ListSecrets matches tag keys and tag values independently, so the pair is
 * checked again on each entry.
 */
export async function* managedSecretPages(
  secretsManager: SecretsManagerClient,
  startingToken: string | undefined,
  /** Only names under these prefixes (the stack's scope); all managed secrets without. */
  namePrefixes?: readonly string[],
): AsyncGenerator<ManagedSecretPage, void, undefined> {
  const pages = paginateListSecrets(
    { client: secretsManager, pageSize: PAGE_SIZE, startingToken, stopOnSameToken: true },
    {
      Filters: [
        { Key: 'tag-key', Values: [MANAGED_TAG] },
        { Key: 'tag-value', Values: [MANAGED_TAG_VALUE] },
        ...(namePrefixes === undefined
          ? []
          : [{ Key: 'name' as const, Values: [...namePrefixes] }]),
      ],
    },
  );
  let pageToken = startingToken;
  for await (const page of pages) {
    // The paginator stops on an absent, empty or repeated token: so does the cursor.
    const nextToken =
      page.NextToken === undefined || page.NextToken === '' || page.NextToken === pageToken
        ? undefined
        : page.NextToken;
    const secretArns = (page.SecretList ?? [])
      .filter((entry) =>
        (entry.Tags ?? []).some(
          (tag) => tag.Key === MANAGED_TAG && tag.Value === MANAGED_TAG_VALUE,
        ),
      )
      // The name filter ignores case; the policy's ARN prefix does not.
      .filter(
        (entry) =>
          namePrefixes === undefined ||
          namePrefixes.some((prefix) => entry.Name?.startsWith(prefix) === true),
      )
      .flatMap((entry) => (entry.ARN === undefined ? [] : [entry.ARN]));
    yield { pageToken, secretArns, nextToken };
    pageToken = nextToken;
  }
}
