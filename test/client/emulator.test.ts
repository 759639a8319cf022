import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { Agent, request } from 'undici';
import { startAwsEmulator } from '../../local/aws';
import type { AwsEmulator } from '../../local/aws';
import { createKeyReader, keyAuthInterceptor, SecretReadError } from '../../client';
import type { KeyRotation } from '../../client';
import { startKeyCheckingServer } from './support/key-checking-server';
import type { KeyCheckingServer } from './support/key-checking-server';

const secretId = 'poelis/production';
const poelisSecret = (apiKey: string): string =>
  JSON.stringify({
    provider: 'poelis',
    apiKey,
    keyName: 'Production Integration',
    baseUrl: 'https://api.poelis.com',
  });

let emulator: AwsEmulator;
let secrets: SecretsManagerClient;
let vendor: KeyCheckingServer;
let agent: Agent;

beforeEach(async () => {
  emulator = await startAwsEmulator();
  secrets = new SecretsManagerClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  vendor = await startKeyCheckingServer('poelis_api_old');
  agent = new Agent();
});

afterEach(async () => {
  secrets.destroy();
  await agent.close();
  await vendor.close();
  await emulator.close();
});

it('follows a new AWSCURRENT version after the vendor rejects the old key', async () => {
  const created = await secrets.send(
    new CreateSecretCommand({ Name: secretId, SecretString: poelisSecret('poelis_api_old') }),
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

  const put = await secrets.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: poelisSecret('poelis_api_new') }),
  );
  vendor.acceptedKey = 'poelis_api_new';
  emulator.resetCalls();

  const after = await request(`${vendor.url}/v1/public/workspaces?limit=1`, { dispatcher });
  await after.body.dump();

  expect(after.statusCode).toBe(200);
  expect(vendor.requests.map((seen) => seen.authorization)).toEqual([
    'Bearer poelis_api_old',
    'Bearer poelis_api_old',
    'Bearer poelis_api_new',
  ]);
  expect(emulator.calls()['secretsmanager.GetSecretValue']).toBe(1);
  expect(reader.versionId).toBe(put.VersionId);
  expect(rotations).toEqual([
    { secretId, previousVersionId: created.VersionId, versionId: put.VersionId },
  ]);
});

it('retries withKey with the new version after a 401', async () => {
  await secrets.send(
    new CreateSecretCommand({ Name: secretId, SecretString: poelisSecret('poelis_api_old') }),
  );
  const reader = createKeyReader({ secretId, client: secrets });
  await reader.getKey();
  await secrets.send(
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
  const missing = createKeyReader({ secretId: 'poelis/missing', client: secrets });
  await expect(missing.getKey()).rejects.toMatchObject({
    name: 'SecretReadError',
    reason: 'not-found',
  });

  await secrets.send(
    new CreateSecretCommand({ Name: secretId, SecretString: poelisSecret('poelis_api_old') }),
  );
  emulator.denyAccess({ action: 'secretsmanager:GetSecretValue', secretId });
  const denied: unknown = await createKeyReader({ secretId, client: secrets })
    .getKey()
    .catch((e: unknown) => e);

  expect(denied).toBeInstanceOf(SecretReadError);
  expect(denied).toMatchObject({ reason: 'access-denied' });
  expect((denied as Error).message).not.toContain('poelis_api_old');
});
