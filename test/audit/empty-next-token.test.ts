/**
 * The audit handler against an AWS-compatible endpoint that answers the last page of a list with
 * `"NextToken": ""` (and reads an empty token as the first page): it pages through more managed
 * secrets than one ListSecrets page holds, and through version lists longer than one page, and
 * finishes.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  CreateSecretCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import { readAuditConfig } from '../../lambda/audit/config';
import { createAuditHandler } from '../../lambda/audit/handler';
import { HttpClient } from '../../lambda/http/client';
import { MANAGED_TAG, MANAGED_TAG_VALUE } from '../../lambda/shared/contracts';
import { localAwsConfig, localClients, type LocalClients } from '../../local/scenarios';
import { startLocalWorld, type LocalWorld } from '../../local/world';
import { countListCalls } from '../support/list-calls';

/** More than the audit's ListSecrets page of 100. */
const SECRET_COUNT = 105;
/** Secrets with more versions than one ListSecretVersionIds page of 100. */
const LONG_HISTORY_COUNT = 2;
const VERSIONS_PER_LONG_HISTORY = 102;
/** Far above what one audit run sends; past them, the listing is looping. */
const LIST_CALL_LIMITS = { ListSecrets: 10, ListSecretVersionIds: 2 * SECRET_COUNT };
/** A malformed key fails current-key-works without any vendor call. */
const MALFORMED = JSON.stringify({ provider: 'poelis', apiKey: 'malformed' });

let world: LocalWorld;
let clients: LocalClients;
let dispatcher: Agent;
let secretArns: string[];
let stdout: jest.SpiedFunction<typeof process.stdout.write>;
let stderr: jest.SpiedFunction<typeof process.stderr.write>;

beforeAll(async () => {
  world = await startLocalWorld({
    emptyLastPageToken: true,
    administratorForUnknownKeys:
      'the handler runs in process over 105 hand-made managed secrets, more than one ListSecrets page and more than a stack can hold',
  });
  clients = localClients(world);
  dispatcher = new Agent();
  secretArns = [];
  for (let i = 0; i < SECRET_COUNT; i++) {
    const created = await clients.secrets.send(
      new CreateSecretCommand({
        Name: `paged/${String(i).padStart(3, '0')}`,
        SecretString: MALFORMED,
        Tags: [{ Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE }],
      }),
    );
    secretArns.push(created.ARN!);
  }
  for (const arn of secretArns.slice(0, LONG_HISTORY_COUNT)) {
    for (let v = 1; v < VERSIONS_PER_LONG_HISTORY; v++) {
      await clients.secrets.send(
        new PutSecretValueCommand({ SecretId: arn, SecretString: MALFORMED }),
      );
    }
  }
});

beforeEach(() => {
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  stdout.mockRestore();
  stderr.mockRestore();
});

afterAll(async () => {
  clients?.destroy();
  await dispatcher?.close();
  await world?.close();
});

function plentyOfTime(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'api-key-rotator-audit',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:api-key-rotator-audit',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/api-key-rotator-audit',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 600_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

it('the endpoint ends both lists with an empty NextToken', async () => {
  const secrets = await clients.secrets.send(new ListSecretsCommand({ MaxResults: 100 }));
  expect(secrets.NextToken).toMatch(/.+/);
  const last = await clients.secrets.send(
    new ListSecretsCommand({ MaxResults: 100, NextToken: secrets.NextToken }),
  );
  expect(last.NextToken).toBe('');
  const versions = await clients.secrets.send(
    new ListSecretVersionIdsCommand({ SecretId: secretArns[0], IncludeDeprecated: true }),
  );
  expect(versions.NextToken).toMatch(/.+/);
  const lastVersions = await clients.secrets.send(
    new ListSecretVersionIdsCommand({
      SecretId: secretArns[0],
      IncludeDeprecated: true,
      NextToken: versions.NextToken,
    }),
  );
  expect(lastVersions.NextToken).toBe('');
});

it('the audit pages through every secret and every version list, and finishes', async () => {
  const secretsManager = new SecretsManagerClient(localAwsConfig(world));
  const listCalls = countListCalls(secretsManager, LIST_CALL_LIMITS);
  const notices: string[] = [];
  const handler = createAuditHandler({
    config: readAuditConfig({ ROTATOR_AUDIT_CONCURRENCY: '4' }),
    secretsManager,
    kms: clients.kms,
    http: new HttpClient({ policy: { allowedOrigins: [], allowLoopbackHttp: false }, dispatcher }),
    notifier: {
      notify: (subject) => {
        notices.push(subject);
        return Promise.resolve();
      },
    },
    logger: new Logger({ serviceName: 'api-key-rotator' }),
    metrics: new Metrics({ serviceName: 'api-key-rotator', namespace: 'ApiKeyRotator' }),
  });

  try {
    const result = await handler({}, plentyOfTime());

    expect(result.continuation).toBeUndefined();
    expect(result.secretsAudited).toBe(SECRET_COUNT);
    // Every check completed: a listing that failed would leave `error` findings.
    expect(result.findings.filter((found) => found.outcome === 'error')).toEqual([]);
    expect(new Set(result.findings.map((found) => found.secretArn))).toEqual(new Set(secretArns));
    // Two ListSecrets pages; one version page per secret, two for each long history.
    expect(listCalls).toEqual({
      ListSecrets: 2,
      ListSecretVersionIds: SECRET_COUNT + LONG_HISTORY_COUNT,
    });
  } finally {
    secretsManager.destroy();
  }
});
