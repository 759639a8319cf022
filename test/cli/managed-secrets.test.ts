/**
 * The CLI's listing of managed secrets (what `status` without arguments shows) against an
 * AWS-compatible endpoint that ends the last ListSecrets page with `"NextToken": ""`.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { listManagedSecrets } from '../../cli/managed-secrets';
import { MANAGED_TAG, MANAGED_TAG_VALUE } from '../../lambda/shared/contracts';
import { localAwsConfig } from '../../local/scenarios';
import { startLocalWorld, type LocalWorld } from '../../local/world';
import { countListCalls } from '../support/list-calls';

/** More than one ListSecrets page of 100. */
const MANAGED_COUNT = 103;

let world: LocalWorld;
let admin: SecretsManagerClient;
let managedArns: string[];

beforeAll(async () => {
  world = await startLocalWorld({
    emptyLastPageToken: true,
    administratorForUnknownKeys:
      'lists 103 hand-made managed secrets, more than one ListSecrets page and more than a stack can hold',
  });
  admin = new SecretsManagerClient(localAwsConfig(world));
  const create = async (name: string, tagValue?: string): Promise<string> => {
    const created = await admin.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: '{}',
        Tags: tagValue === undefined ? undefined : [{ Key: MANAGED_TAG, Value: tagValue }],
      }),
    );
    return created.ARN!;
  };
  managedArns = [];
  // Created out of name order: the listing sorts by name.
  for (let i = MANAGED_COUNT - 1; i >= 0; i--) {
    managedArns.unshift(await create(`listed/${String(i).padStart(3, '0')}`, MANAGED_TAG_VALUE));
  }
  await create('listed/not-managed', 'false');
  await create('listed/untagged');
});

afterAll(async () => {
  admin?.destroy();
  await world?.close();
});

it('lists every managed secret, in name order, over all pages, and stops', async () => {
  const client = new SecretsManagerClient(localAwsConfig(world));
  const listCalls = countListCalls(client, { ListSecrets: 10, ListSecretVersionIds: 0 });
  try {
    await expect(listManagedSecrets(client)).resolves.toEqual(managedArns);
    expect(listCalls.ListSecrets).toBe(2);
  } finally {
    client.destroy();
  }
});
