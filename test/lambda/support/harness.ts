import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { NotFoundException, type KMSClient } from '@aws-sdk/client-kms';
import type { Context } from 'aws-lambda';
import type { MockAgent } from 'undici';
import type { Notifier } from '../../../lambda/aws/notifications';
import { SecretsStore } from '../../../lambda/aws/secrets';
import { HttpClient } from '../../../lambda/http/client';
import { builtInProviders, defaultOriginsOf } from '../../../lambda/providers/registry';
import type { RotatorConfig } from '../../../lambda/rotation/config';
import type { RotationStep } from '../../../lambda/rotation/event';
import { createRotationHandler, type RotationHandler } from '../../../lambda/rotation/handler';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../../lambda/shared/contracts';
import { FakeSecretsManager } from './fake-secrets-manager';
import { vendorAgent } from './vendors';

export const STEPS: readonly RotationStep[] = [
  'createSecret',
  'setSecret',
  'testSecret',
  'finishSecret',
];

/** KMS keys by id, answering DescribeKey. */
export class FakeKms {
  readonly keys = new Map<string, { KeyState: string; KeyManager: string }>();
  calls = 0;

  get client(): Pick<KMSClient, 'send'> {
    return this;
  }

  send(command: DescribeKeyCommand): Promise<unknown> {
    this.calls += 1;
    const key = this.keys.get(command.input.KeyId ?? '');
    if (key === undefined)
      return Promise.reject(new NotFoundException({ message: 'no such key', $metadata: {} }));
    return Promise.resolve({ KeyMetadata: { KeyId: command.input.KeyId, ...key } });
  }
}

export class RecordingNotifier implements Notifier {
  readonly sent: { subject: string; message: string }[] = [];
  failing = false;

  notify(subject: string, message: string): Promise<void> {
    if (this.failing) return Promise.reject(new Error('SNS is down'));
    this.sent.push({ subject, message });
    return Promise.resolve();
  }
}

export function lambdaContext(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'api-key-rotator-rotation',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:api-key-rotator-rotation',
    memoryLimitInMB: '256',
    awsRequestId: 'req-0001',
    logGroupName: '/aws/lambda/api-key-rotator-rotation',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface Harness {
  readonly sm: FakeSecretsManager;
  readonly kms: FakeKms;
  readonly agent: MockAgent;
  readonly notifier: RecordingNotifier;
  readonly handler: RotationHandler;
  invoke(step: RotationStep, secretId: string, token: string): Promise<void>;
  /** RotateSecret: a pending version, then the four steps in order. */
  rotate(secretId: string, token: string): Promise<void>;
  /** Everything written to stdout and stderr: Powertools logs and EMF metrics. */
  output(): string;
  /** Metric names emitted, in order. */
  metricNames(): string[];
  /** Structured log lines (EMF lines excluded). */
  logLines(): Record<string, unknown>[];
  dispose(): Promise<void>;
}

export function createHarness(config: Partial<RotatorConfig> = {}): Harness {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  // Powertools writes warnings and errors to stderr, everything else to stdout.
  const streams = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  const sm = new FakeSecretsManager();
  const kms = new FakeKms();
  const agent = vendorAgent();
  const notifier = new RecordingNotifier();
  const logger = new Logger({ serviceName: SERVICE_NAME, logLevel: 'DEBUG' });
  const metrics = new Metrics({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE });
  const fullConfig: RotatorConfig = {
    originPolicy: {
      originsByProvider: defaultOriginsOf(builtInProviders),
      allowLoopbackHttp: false,
    },
    requireCustomerManagedKey: false,
    defaultPartnerKeySecretId: undefined,
    notifyTopicArn: undefined,
    ...config,
  };
  const handler = createRotationHandler({
    config: fullConfig,
    secrets: new SecretsStore(sm.client),
    kms: kms.client,
    http: new HttpClient({
      policy: fullConfig.originPolicy,
      dispatcher: agent,
      log: logger,
      sleep: () => Promise.resolve(),
      random: () => 0.5,
    }),
    notifier,
    logger,
    metrics,
  });
  const lines = (): Record<string, unknown>[] =>
    written
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const invoke = (step: RotationStep, secretId: string, token: string): Promise<void> =>
    handler({ Step: step, SecretId: secretId, ClientRequestToken: token }, lambdaContext());
  return {
    sm,
    kms,
    agent,
    notifier,
    handler,
    invoke,
    async rotate(secretId, token) {
      sm.startRotation(secretId, token);
      for (const step of STEPS) await invoke(step, secretId, token);
    },
    output: () => written.join(''),
    metricNames: () =>
      lines()
        .filter((line) => '_aws' in line)
        .flatMap((line) => {
          const aws = line._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
          return aws.CloudWatchMetrics.flatMap((group) =>
            group.Metrics.map((metric) => metric.Name),
          );
        }),
    logLines: () => lines().filter((line) => !('_aws' in line)),
    async dispose() {
      streams.forEach((stream) => stream.mockRestore());
      await agent.close();
    },
  };
}
