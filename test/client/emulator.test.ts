/**
 * The key reader against the deployed stack in the local world: the application reads the
 * Poelis secret `client/poelis` (test/support/configs/e2e.json) with its own role, through the
 * real SDK, while the administrator puts new versions.
 */
import { PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Agent, request } from 'undici';
import { createKeyReader, keyAuthInterceptor, SecretReadError } from '../../client';
import type { KeyRotation } from '../../client';
import { startDeployedWorld, type DeployedWorld } from '../../local/stack/world';
import { appRoleArn, E2E_CONFIG } from '../support/configs';
import { startKeyCheckingServer } from './support/key-checking-server';
import type { KeyCheckingServer } from './support/key-checking-server';

const secretId = 'client/poelis';
const poelisSecret = (apiKey: string): string =>
  JSON.stringify({
    provider: 'poelis',
    apiKey,
    keyName: 'Production Integration',
    baseUrl: 'https://api.poelis.com',
  });

let deployed: DeployedWorld;
/** The administrator, who puts the secret's values. */
let admin: SecretsManagerClient;
/** The application's role, which reads them. */
let secrets: SecretsManagerClient;
let vendor: KeyCheckingServer;
let agent: Agent;

beforeAll(async () => {
  deployed = await startDeployedWorld({ configPath: E2E_CONFIG });
  admin = deployed.clientsAs().secrets;
  secrets = deployed.clientsAs(appRoleArn(deployed.stack), 'app').secrets;
}, 180_000);

afterAll(async () => {
  await deployed?.close();
});

beforeEach(async () => {
  vendor = await startKeyCheckingServer('poelis_api_old');
  agent = new Agent();
});

afterEach(async () => {
  deployed.world.aws.clearAccessRules();
  await agent.close();
  await vendor.close();
});

it('follows a new AWSCURRENT version after the vendor rejects the old key', async () => {
  const created = await admin.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: poelisSecret('poelis_api_old') }),
  );
  const rotations: KeyRotation[] = [];
  const reader = createKeyReader({
    secretId,
    client: secrets,
    onRotate: (rotation) => rotations.push(rotation),
  });
  const dispatcher = agent.compose(keyAuthInterceptor(reader, { origins: [vendor.url] }));

  const before = await request(`${vendor.url}/v1/public/workspaces?limit=1`, { dispatcher });
  await before.body.dump();
  expect(before.statusCode).toBe(200);
  expect(reader.versionId).toBe(created.VersionId);

  const put = await admin.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: poelisSecret('poelis_api_new') }),
  );
  vendor.acceptedKey = 'poelis_api_new';
  deployed.world.aws.resetCalls();

  const after = await request(`${vendor.url}/v1/public/workspaces?limit=1`, { dispatcher });
  await after.body.dump();

  expect(after.statusCode).toBe(200);
  expect(vendor.requests.map((seen) => seen.authorization)).toEqual([
    'Bearer poelis_api_old',
    'Bearer poelis_api_old',
    'Bearer poelis_api_new',
  ]);
  expect(deployed.world.aws.calls()['secretsmanager.GetSecretValue']).toBe(1);
  expect(reader.versionId).toBe(put.VersionId);
  expect(rotations).toEqual([
    { secretId, previousVersionId: created.VersionId, versionId: put.VersionId },
  ]);
});

it('retries withKey with the new version after a 401', async () => {
  await admin.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: poelisSecret('poelis_api_old') }),
  );
  const reader = createKeyReader({ secretId, client: secrets });
  await reader.getKey();
  await admin.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: poelisSecret('poelis_api_new') }),
  );
  vendor.acceptedKey = 'poelis_api_new';

  const result = await reader.withKey(async (key) => {
    const res = await request(vendor.url, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${key}` },
    });
    await res.body.dump();
    return { status: res.statusCode, key };
  });

  expect(result).toEqual({ status: 200, key: 'poelis_api_new' });
});

it('reports a missing secret and a denied read as SecretReadError from the real SDK', async () => {
  const missing = createKeyReader({ secretId: 'client/missing', client: secrets });
  await expect(missing.getKey()).rejects.toMatchObject({
    name: 'SecretReadError',
    reason: 'not-found',
  });

  await admin.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: poelisSecret('poelis_api_old') }),
  );
  deployed.world.aws.denyAccess({ action: 'secretsmanager:GetSecretValue', secretId });
  const denied: unknown = await createKeyReader({ secretId, client: secrets })
    .getKey()
    .catch((e: unknown) => e);

  expect(denied).toBeInstanceOf(SecretReadError);
  expect(denied).toMatchObject({ reason: 'access-denied' });
  expect((denied as Error).message).not.toContain('poelis_api_old');
});

it("denies the application the secrets it is not a reader of, by the secret's resource policy", async () => {
  const denied: unknown = await createKeyReader({
    secretId: deployed.stack.partnerKeySecretArn!,
    client: secrets,
  })
    .getKey()
    .catch((e: unknown) => e);

  expect(denied).toBeInstanceOf(SecretReadError);
  expect(denied).toMatchObject({ reason: 'access-denied' });
});
