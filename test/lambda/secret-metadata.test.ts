/**
 * The one reader of a secret's metadata, against the local emulator: what each version scope
 * costs in calls, and that `'all'` pages through a long history on AWS's pagination and on an
 * endpoint that ends its lists with an empty NextToken.
 */
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  readSecretMetadata,
  versionById,
  versionIdWithStage,
  versionWithStage,
} from '../../lambda/aws/secret-metadata';
import { startAwsEmulator, type AwsEmulator } from '../../local/aws';
import { ManualClock } from '../../local/aws/types';

const START = Date.UTC(2026, 0, 10, 12);
/** More than one ListSecretVersionIds page of 100. */
const LONG_HISTORY = 103;

interface Endpoint {
  readonly emulator: AwsEmulator;
  readonly client: SecretsManagerClient;
  readonly clock: ManualClock;
}

const endpoints = new Map<string, Endpoint>();

async function startEndpoint(name: string, emptyLastPageToken: boolean): Promise<void> {
  const clock = new ManualClock(START);
  const emulator = await startAwsEmulator({
    clock,
    emptyLastPageToken,
    administratorForUnknownKeys: 'tests of the metadata reader, not of who may call it',
  });
  const client = new SecretsManagerClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  endpoints.set(name, { emulator, client, clock });
}

function endpoint(name: string): Endpoint {
  const found = endpoints.get(name);
  if (found === undefined) throw new Error(`no endpoint ${name}`);
  return found;
}

/** Creates a secret with `count` versions, one second apart; returns their ids, oldest first. */
async function secretWithHistory(at: Endpoint, name: string, count: number): Promise<string[]> {
  const created = await at.client.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: 'v0',
      Tags: [{ Key: 'api-key-rotator:managed', Value: 'true' }],
    }),
  );
  const ids = [created.VersionId!];
  for (let i = 1; i < count; i++) {
    at.clock.advance(1_000);
    const put = await at.client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: `v${i}` }),
    );
    ids.push(put.VersionId!);
  }
  return ids;
}

beforeAll(async () => {
  await startEndpoint('AWS', false);
  await startEndpoint('an empty last NextToken', true);
});

afterAll(async () => {
  for (const { client, emulator } of endpoints.values()) {
    client.destroy();
    await emulator.close();
  }
});

describe("versions: 'labelled' (the default)", () => {
  it('reads DescribeSecret alone: labelled versions with their stages, no dates', async () => {
    const at = endpoint('AWS');
    const [, previous, current] = await secretWithHistory(at, 'labelled', 3);
    at.emulator.resetCalls();

    const metadata = await readSecretMetadata(at.client, 'labelled');

    expect(at.emulator.calls()).toEqual({ 'secretsmanager.DescribeSecret': 1 });
    expect(metadata).toMatchObject({
      arn: expect.stringMatching(/:secret:labelled-/) as string,
      name: 'labelled',
      kmsKeyId: undefined,
      rotationEnabled: false,
      rotationLambdaArn: undefined,
      rotationRules: undefined,
      nextRotationAt: undefined,
      tags: { 'api-key-rotator:managed': 'true' },
    });
    expect([...metadata.versions].sort((a, b) => a.stages[0].localeCompare(b.stages[0]))).toEqual([
      { versionId: current, stages: ['AWSCURRENT'], createdAt: undefined },
      { versionId: previous, stages: ['AWSPREVIOUS'], createdAt: undefined },
    ]);
    expect(versionIdWithStage(metadata, 'AWSCURRENT')).toBe(current);
    expect(versionWithStage(metadata, 'AWSPREVIOUS')?.versionId).toBe(previous);
    expect(versionWithStage(metadata, 'AWSPENDING')).toBeUndefined();
    expect(versionById(metadata, current)?.stages).toEqual(['AWSCURRENT']);
    expect(versionById(metadata, 'not-a-version')).toBeUndefined();
  });
});

describe.each(['AWS', 'an empty last NextToken'])("versions: 'all', on %s", (name) => {
  it('pages through every version, deprecated ones included, newest first with dates', async () => {
    const at = endpoint(name);
    const createdFirst = at.clock.now();
    const ids = await secretWithHistory(at, 'long-history', LONG_HISTORY);
    at.emulator.resetCalls();

    const metadata = await readSecretMetadata(at.client, 'long-history', { versions: 'all' });

    expect(at.emulator.calls()).toEqual({
      'secretsmanager.DescribeSecret': 1,
      'secretsmanager.ListSecretVersionIds': 2,
    });
    expect(metadata.versions.map((version) => version.versionId)).toEqual([...ids].reverse());
    expect(metadata.versions[0]).toEqual({
      versionId: ids[LONG_HISTORY - 1],
      stages: ['AWSCURRENT'],
      createdAt: createdFirst + (LONG_HISTORY - 1) * 1_000,
    });
    expect(metadata.versions[1].stages).toEqual(['AWSPREVIOUS']);
    expect(metadata.versions.slice(2).every((version) => version.stages.length === 0)).toBe(true);
    expect(metadata.versions.at(-1)?.createdAt).toBe(createdFirst);
  });
});
