/**
 * The audit handler in process, on more managed secrets than one ListSecrets page holds and
 * less time than auditing them all takes: each run stops in time, posts where it stopped, and
 * the continuations audit (and notify) every secret exactly once.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  CreateSecretCommand,
  SecretsManagerClient,
  type DescribeSecretCommandInput,
} from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import { readAuditConfig } from '../../lambda/audit/config';
import { SnsContinuation } from '../../lambda/audit/continuation';
import { createAuditHandler, type AuditRunResult } from '../../lambda/audit/handler';
import {
  AuditMetric,
  FunctionEnv,
  MANAGED_TAG,
  MANAGED_TAG_VALUE,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../../lambda/shared/contracts';
import { HttpClient } from '../../lambda/http/client';
import { localAwsConfig, localClients, type LocalClients } from '../../local/scenarios';
import { startLocalWorld, type LocalWorld } from '../../local/world';
import { emfData, metricValue } from './support/emf';

const SECRET_COUNT = 130;
const PER_INVOCATION = 60;

let world: LocalWorld;
let clients: LocalClients;
let sns: SNSClient;
let dispatcher: Agent;
let continuationTopicArn: string;
let secretArns: string[];
let stdout: jest.SpiedFunction<typeof process.stdout.write>;
let stderr: jest.SpiedFunction<typeof process.stderr.write>;

beforeAll(async () => {
  world = await startLocalWorld({
    administratorForUnknownKeys:
      'the handler runs in process over 130 hand-made managed secrets, more than one ListSecrets page and more than a stack can hold',
  });
  clients = localClients(world);
  sns = new SNSClient(localAwsConfig(world));
  dispatcher = new Agent();
  continuationTopicArn = (await sns.send(new CreateTopicCommand({ Name: 'audit-continuation' })))
    .TopicArn!;
  // Cheap managed secrets: a malformed key fails current-key-works without any vendor call.
  secretArns = [];
  for (let i = 0; i < SECRET_COUNT; i++) {
    const created = await clients.secrets.send(
      new CreateSecretCommand({
        Name: `bulk/${String(i).padStart(3, '0')}`,
        SecretString: JSON.stringify({ provider: 'poelis', apiKey: 'malformed' }),
        Tags: [{ Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE }],
      }),
    );
    secretArns.push(created.ARN!);
  }
  await clients.secrets.send(
    new CreateSecretCommand({ Name: 'bulk/unmanaged', SecretString: '{}' }),
  );
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
  handlerClients.forEach((client) => client.destroy());
  sns?.destroy();
  clients?.secrets.destroy();
  clients?.kms.destroy();
  await dispatcher?.close();
  await world?.close();
});

/** The handlers' own clients, each counting its DescribeSecret calls. */
const handlerClients: SecretsManagerClient[] = [];

/** A client that counts DescribeSecret calls: one per audited secret. */
function countingSecretsManager(described: string[]): SecretsManagerClient {
  const client = new SecretsManagerClient(localAwsConfig(world));
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'DescribeSecretCommand')
        described.push((args.input as DescribeSecretCommandInput).SecretId!);
      return next(args);
    },
    { step: 'initialize', name: 'countDescribeSecret' },
  );
  handlerClients.push(client);
  return client;
}

/** A context with plenty of time until `afterSecrets` secrets were described, then almost none. */
function contextRunningOutAfter(described: string[], afterSecrets: number): Context {
  const start = described.length;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'api-key-rotator-audit',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:api-key-rotator-audit',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/api-key-rotator-audit',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => (described.length - start < afterSecrets ? 600_000 : 5_500),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function buildHandler(described: string[], notices: string[], withContinuation: boolean) {
  return createAuditHandler({
    config: readAuditConfig({ [FunctionEnv.AuditConcurrency]: '4' }),
    secretsManager: countingSecretsManager(described),
    kms: clients.kms,
    http: new HttpClient({ policy: { allowedOrigins: [], allowLoopbackHttp: false }, dispatcher }),
    notifier: {
      notify: (subject) => {
        notices.push(subject);
        return Promise.resolve();
      },
    },
    continuation: withContinuation ? new SnsContinuation(sns, continuationTopicArn) : undefined,
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new Metrics({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE }),
  });
}

/** What the handler's Logger and Metrics printed (warnings and errors go to stderr). */
function printedLines(): string[] {
  return [...stdout.mock.calls, ...stderr.mock.calls]
    .flatMap(([chunk]) => String(chunk).split('\n'))
    .filter(Boolean);
}

describe('a run longer than one invocation', () => {
  it('continues through SNS from where it stopped, auditing and notifying each secret once', async () => {
    const described: string[] = [];
    const notices: string[] = [];
    const handler = buildHandler(described, notices, true);
    const scheduledTime = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000).toISOString();

    const results: AuditRunResult[] = [];
    let event: unknown = { scheduledTime };
    while (event !== undefined && results.length < 5) {
      const result = await handler(event, contextRunningOutAfter(described, PER_INVOCATION));
      results.push(result);
      const posted = world.aws.publishedMessages(continuationTopicArn).at(-1);
      event = result.continued
        ? { Records: [{ EventSource: 'aws:sns', Sns: { Message: posted!.message } }] }
        : undefined;
    }

    expect(results).toHaveLength(3);
    expect(results.map((result) => result.continued)).toEqual([true, true, false]);
    expect(results[2].continuation).toBeUndefined();
    const [first, second] = results.map((result) => result.continuation!);
    expect(first).toMatchObject({
      scheduledTime,
      hop: 1,
      cursor: { offset: expect.any(Number) as number },
    });
    expect(first.cursor!.pageToken).toBeUndefined();
    // The second stop is on the second ListSecrets page, so its cursor carries that page's token.
    expect(second).toMatchObject({
      scheduledTime,
      hop: 2,
      cursor: { pageToken: expect.any(String) as string },
    });
    expect(
      world.aws
        .publishedMessages(continuationTopicArn)
        .map((m) => JSON.parse(m.message) as unknown),
    ).toEqual([first, second]);

    expect([...described].sort()).toEqual([...secretArns].sort());
    expect(results.reduce((sum, result) => sum + result.secretsAudited, 0)).toBe(SECRET_COUNT);
    // Two failures per secret (malformed key, rotation off), each notified exactly once.
    expect(notices).toHaveLength(2 * SECRET_COUNT);
    expect(new Set(notices).size).toBe(notices.length);
  });

  it('without a continuation topic, returns the cursor and reports the run incomplete', async () => {
    const described: string[] = [];
    const handler = buildHandler(described, [], false);

    const result = await handler({}, contextRunningOutAfter(described, 5));

    expect(result.continued).toBe(false);
    expect(result.continuation).toMatchObject({
      hop: 1,
      cursor: { offset: result.secretsAudited },
    });
    expect(result.secretsAudited).toBeGreaterThanOrEqual(5);
    expect(result.secretsAudited).toBeLessThan(SECRET_COUNT);
    const metrics = emfData(printedLines());
    expect(metricValue(metrics, AuditMetric.Incomplete, { service: SERVICE_NAME })).toBe(1);
    expect(
      metricValue(metrics, AuditMetric.CheckFailed, {
        service: SERVICE_NAME,
        check: 'current-key-works',
      }),
    ).toBe(result.secretsAudited);
  });

  it('stops a chain that has continued too often', async () => {
    const described: string[] = [];
    const notices: string[] = [];
    const handler = buildHandler(described, notices, true);
    const before = world.aws.publishedMessages(continuationTopicArn).length;

    const result = await handler({ hop: 12 }, contextRunningOutAfter(described, 1));

    expect(result).toMatchObject({ continued: false, continuation: { hop: 13 } });
    expect(world.aws.publishedMessages(continuationTopicArn)).toHaveLength(before);
    expect(printedLines().some((line) => line.includes('too many continuations'))).toBe(true);
  });
});
