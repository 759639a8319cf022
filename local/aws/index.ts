import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock, FunctionInvoker } from './types';
import type { JsonObject } from './input';
import type { JsonService } from './server';
import type { RotationRecord } from './rotation';
import type { PublishedMessage } from './sns';
import type { AccessRule } from './access';
import { systemClock } from './types';
import { KmsService } from './kms';
import { kmsOperations } from './kms-api';
import { SecretCipher } from './secret-values';
import { SecretsStore } from './secrets';
import { secretsOperations } from './secrets-api';
import { RotationOrchestrator } from './rotation';
import { RotationScheduler } from './scheduler';
import { SnsService } from './sns';
import { AccessPolicy } from './access';
import { loadState, saveState } from './persistence';
import { createRequestHandler } from './server';

export type { StepRecord, RotationRecord } from './rotation';

export interface AwsEmulatorOptions {
  host?: string;
  port?: number;
  /** Defaults to `us-east-1`. */
  region?: string;
  /** Defaults to `000000000000`. */
  accountId?: string;
  /** A JSON file the state is loaded from at start and written to after every change. */
  statePath?: string;
  clock?: Clock;
  invoker?: FunctionInvoker;
  /** Larger request bodies are refused; defaults to 1 MiB. */
  maxBodyBytes?: number;
}

export interface AwsEmulator {
  readonly url: string;
  readonly region: string;
  readonly accountId: string;
  readonly clock: Clock;
  setInvoker(invoker: FunctionInvoker): void;
  /** Calls received, by target, e.g. `secretsmanager.GetSecretValue`, `TrentService.DescribeKey`, `sns.Publish`. */
  calls(): Record<string, number>;
  resetCalls(): void;
  /** Resolves when no rotation (of that secret) is running. */
  waitForRotations(secretId?: string): Promise<void>;
  rotationHistory(secretId?: string): RotationRecord[];
  /** Starts the rotations whose window has opened; returns how many started. */
  runDueRotations(): Promise<number>;
  startScheduler(intervalMs: number): void;
  stopScheduler(): void;
  publishedMessages(topicArn?: string): PublishedMessage[];
  denyAccess(rule: AccessRule): void;
  clearAccessRules(): void;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Starts the Secrets Manager + KMS + SNS emulator on loopback. */
export async function startAwsEmulator(options: AwsEmulatorOptions = {}): Promise<AwsEmulator> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const clock = options.clock ?? systemClock;
  const state = loadState(options.statePath);
  const persist = (): void => saveState(options.statePath, state);

  const kms = new KmsService(state.kms, region, accountId, clock);
  const store = new SecretsStore(state.secrets, new SecretCipher(kms), region, accountId, clock);
  const rotations = new RotationOrchestrator(store, clock, options.invoker, persist);
  const scheduler = new RotationScheduler(store, rotations, clock);
  const sns = new SnsService(state.sns, region, accountId, clock);
  const access = new AccessPolicy(accountId);
  const callCounts = new Map<string, number>();

  /** The secret a request names, by every identifier a deny rule may use. */
  const secretResource = (input: JsonObject): { ids: string[]; resource: string } => {
    const raw =
      typeof input.SecretId === 'string'
        ? input.SecretId
        : typeof input.Name === 'string'
          ? input.Name
          : undefined;
    if (raw === undefined) return { ids: [], resource: '*' };
    const secret = store.lookup(raw);
    return secret
      ? { ids: [raw, secret.arn, secret.name], resource: secret.arn }
      : { ids: [raw], resource: `arn:aws:secretsmanager:${region}:${accountId}:secret:${raw}` };
  };
  const services: JsonService[] = [
    {
      targetPrefix: 'secretsmanager',
      iamPrefix: 'secretsmanager',
      operations: secretsOperations(store, rotations, region),
      internalErrorType: 'InternalServiceError',
      resourceOf: secretResource,
    },
    {
      targetPrefix: 'TrentService',
      iamPrefix: 'kms',
      operations: kmsOperations(kms),
      internalErrorType: 'KMSInternalException',
      resourceOf: (input) => {
        const keyId = typeof input.KeyId === 'string' ? input.KeyId : undefined;
        return { ids: keyId ? [keyId] : [], resource: keyId ?? '*' };
      },
    },
  ];

  /** A secret's ARN; a secret that is gone is still known by the ARN it had. */
  const secretArnOf = (secretId: string): string => store.lookup(secretId)?.arn ?? secretId;
  const rotationHistory = (secretId?: string): RotationRecord[] =>
    rotations.records(secretId === undefined ? undefined : secretArnOf(secretId));
  const runDueRotations = (): Promise<number> => {
    const started = scheduler.runDue();
    persist();
    return Promise.resolve(started);
  };
  const calls = (): Record<string, number> => Object.fromEntries(callCounts);

  const server = createServer(
    createRequestHandler({
      services,
      sns,
      access,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      countCall: (target) => callCounts.set(target, (callCounts.get(target) ?? 0) + 1),
      afterRequest: persist,
      admin: {
        calls,
        rotations: rotationHistory,
        messages: (topicArn) => sns.messages(topicArn),
        runDueRotations,
      },
    }),
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host}:${port}`,
    region,
    accountId,
    clock,
    setInvoker: (invoker) => rotations.setInvoker(invoker),
    calls,
    resetCalls: () => callCounts.clear(),
    waitForRotations: (secretId) =>
      rotations.waitFor(secretId === undefined ? undefined : secretArnOf(secretId)),
    rotationHistory,
    runDueRotations,
    startScheduler: (intervalMs) => scheduler.start(intervalMs),
    stopScheduler: () => scheduler.stop(),
    publishedMessages: (topicArn) => sns.messages(topicArn),
    denyAccess: (rule) => access.deny(rule),
    clearAccessRules: () => access.clear(),
    close: async () => {
      scheduler.stop();
      await rotations.waitFor();
      persist();
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      server.closeAllConnections();
      await closed;
    },
  };
}
