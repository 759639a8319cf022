import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock, FunctionInvoker } from './types';
import type { JsonObject } from './input';
import type { JsonService } from './server';
import type { RotationOutcome, RotationRecord } from './rotation';
import type { PublishedMessage } from './sns';
import type { AccessRule } from './access';
import type { LambdaRunner } from './lambda-runner';
import { systemClock } from './types';
import { KmsService } from './kms';
import { kmsOperations } from './kms-api';
import { SecretCipher } from './secret-values';
import { SecretsStore } from './secrets';
import { secretsOperations } from './secrets-api';
import { CANNOT_INVOKE, RotationOrchestrator } from './rotation';
import { RotationScheduler } from './scheduler';
import { SnsService } from './sns';
import { AccessPolicy } from './access';
import { loadState, saveState, type StackRecord } from './persistence';
import { createRequestHandler, runJsonOperation } from './server';
import { Authorizer, roleSession, type Principal } from './authorization';
import { IamService } from './iam';
import { KmsAccess } from './kms-access';
import { SecretsAccess } from './secrets-access';
import { AwsError } from './errors';
import { LambdaService } from './lambda-service';
import { ScheduleService } from './eventbridge-scheduler';
import { CloudWatchService } from './cloudwatch';
import { EventsService, eventsOperations } from './events';
import { LogsService } from './logs';
import { DashboardsService } from './dashboards';

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
  /**
   * Why requests signed with access keys this emulator did not issue may act as the account's
   * administrator (AdministratorAccess; key, secret and topic policies still apply). Unset, they
   * are refused with UnrecognizedClientException, as AWS refuses an unknown key.
   */
  administratorForUnknownKeys?: string;
  /** Receives the world's authorization log: one line per denial, naming what decided. */
  authorizationLog?: (line: string) => void;
  /**
   * ListSecrets and ListSecretVersionIds answer their last page with `"NextToken": ""` (and read
   * an empty token as the first page), as some AWS-compatible endpoints do. Unset: AWS's way,
   * the token is omitted.
   */
  emptyLastPageToken?: boolean;
}

/** The role that requests with unknown access keys act as, when the emulator allows them. */
export const LOCAL_ADMINISTRATOR_ROLE = 'local-administrator';

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
  /** IAM roles and the credentials of their sessions. */
  readonly iam: IamService;
  /** The IAM evaluator every request goes through. */
  readonly authorizer: Authorizer;
  readonly kms: KmsService;
  readonly sns: SnsService;
  readonly cloudwatch: CloudWatchService;
  readonly events: EventsService;
  readonly logs: LogsService;
  readonly dashboards: DashboardsService;
  /** Stacks deployed into this emulator, kept in the state file. */
  readonly stacks: Record<string, StackRecord>;
  /** Lambda, once a runner is attached (`attachRunner`). */
  readonly lambda: LambdaService;
  /** EventBridge Scheduler, once a runner is attached. */
  readonly scheduler: ScheduleService;
  /**
   * Gives the emulator a Lambda runner: functions created through Lambda run there, Secrets
   * Manager invokes rotation functions through Lambda as `secretsmanager.amazonaws.com`, and SNS
   * delivers to subscribed functions as `sns.amazonaws.com`.
   */
  attachRunner(runner: LambdaRunner): void;
  /** Runs a JSON 1.1 operation (e.g. `secretsmanager.CreateSecret`) in-process as `principal`. */
  callAs(principal: Principal, target: string, input: Record<string, unknown>): Promise<unknown>;
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
  // Secrets Manager reports rotation outcomes as CloudTrail service events on the default bus
  // ("Match Secrets Manager events with EventBridge"): the shape is in EMULATOR.md.
  const reportRotation = (outcome: RotationOutcome): void => {
    void events.putEvent({
      source: 'aws.secretsmanager',
      'detail-type': 'AWS Service Event via CloudTrail',
      detail: {
        eventVersion: '1.08',
        userIdentity: { accountId, invokedBy: 'secretsmanager.amazonaws.com' },
        eventSource: 'secretsmanager.amazonaws.com',
        eventName: outcome.eventName,
        awsRegion: region,
        requestParameters: null,
        responseElements: null,
        additionalEventData: { SecretId: outcome.secretArn },
        ...(outcome.errorMessage === undefined ? {} : { errorMessage: outcome.errorMessage }),
        eventType: 'AwsServiceEvent',
        recipientAccountId: accountId,
      },
    });
  };
  const rotations = new RotationOrchestrator(store, clock, options.invoker, persist, (outcome) =>
    reportRotation(outcome),
  );
  const scheduler = new RotationScheduler(store, rotations, clock);
  const access = new AccessPolicy(accountId);
  const iam = new IamService(state.iam, accountId);
  const authorizer = new Authorizer(iam, { log: options.authorizationLog });
  const keyAccess = new KmsAccess({
    kms,
    authorizer,
    region,
    accountId,
    principalExists: (arn) => iam.role(arn) !== undefined,
  });
  const secretsAccess = new SecretsAccess({
    store,
    authorizer,
    keys: keyAccess,
    region,
    accountId,
    functionPolicy: (functionArn) => {
      if (!lambda?.hasFunction(functionArn)) return undefined;
      try {
        return { ...lambda.getPolicy(functionArn) };
      } catch {
        return undefined; // a function without a policy
      }
    },
  });
  let lambda: LambdaService | undefined;
  let schedules: ScheduleService | undefined;
  const sns = new SnsService(state.sns, region, accountId, clock, {
    authorizer,
    // SNS invokes a subscribed function asynchronously, as sns.amazonaws.com for the topic.
    deliver: async (functionArn, event, source) => {
      if (!lambda) throw new AwsError('ResourceNotFoundException', 'No Lambda service is attached');
      return lambda.invokeEvent(functionArn, event, {
        principal: { kind: 'service', service: 'sns.amazonaws.com' },
        sourceArn: source.sourceArn,
        sourceAccount: accountId,
      });
    },
    onDelivery: (topicArn, delivered) => {
      void cloudwatch.putMetricData(
        'AWS/SNS',
        delivered ? 'NumberOfNotificationsDelivered' : 'NumberOfNotificationsFailed',
        { TopicName: topicArn.split(':').at(-1) ?? topicArn },
        1,
      );
    },
    checkKeyUse: async (principal, keyId, action, context) => {
      await keyAccess.authorizeUse(principal, keyId, action, { conditionKeys: context });
    },
  });
  const cloudwatch: CloudWatchService = new CloudWatchService({
    region,
    accountId,
    clock,
    state: state.cloudwatch,
    notify: async (principal, topicArn, subject, message, context) => {
      await sns.publishAs(principal, { topicArn, subject, message }, context);
    },
  });
  const events = new EventsService({
    region,
    accountId,
    clock,
    state: state.events,
    publishToTopic: async (principal, topicArn, message, context) => {
      await sns.publishAs(principal, { topicArn, message }, context);
    },
    putMetric: (namespace, name, dimensions, value) =>
      cloudwatch.putMetricData(namespace, name, dimensions, value),
    authorize: (request) => authorizer.authorize(request),
  });
  const logs = new LogsService({ region, accountId, clock, state: state.logs });
  const dashboards = new DashboardsService({ accountId, clock, state: state.dashboards });
  const administrator =
    options.administratorForUnknownKeys === undefined
      ? undefined
      : (iam.role(LOCAL_ADMINISTRATOR_ROLE) ??
        iam.createRole({
          name: LOCAL_ADMINISTRATOR_ROLE,
          description: options.administratorForUnknownKeys,
          assumeRolePolicy: { Version: '2012-10-17', Statement: [] },
          managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        }));
  /** AWS answers a key it never issued with UnrecognizedClientException. */
  const resolveCaller = (accessKeyId: string | undefined): Principal => {
    const principal = iam.principalOf(accessKeyId);
    if (principal) return principal;
    if (administrator) return roleSession(administrator.arn, accessKeyId ?? 'anonymous');
    throw new AwsError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  };
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
      operations: secretsOperations(store, rotations, region, secretsAccess, {
        emptyLastPageToken: options.emptyLastPageToken === true,
      }),
      internalErrorType: 'InternalServiceError',
      resourceOf: secretResource,
      authorize: (operation, input, principal) =>
        secretsAccess.authorizeRequest(operation, input, principal),
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
      authorize: (operation, input, principal) =>
        keyAccess.authorizeRequest(operation, input, principal),
    },
    {
      targetPrefix: 'AWSEvents',
      iamPrefix: 'events',
      operations: eventsOperations(events),
      internalErrorType: 'InternalException',
      resourceOf: () => ({ ids: [], resource: events.defaultBusArn }),
      // PutEvents authorizes each entry with its source and detail-type, inside the operation.
      authorize: () => Promise.resolve(),
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
      resolveCaller,
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
    iam,
    authorizer,
    kms,
    sns,
    stacks: state.stacks,
    cloudwatch,
    events,
    logs,
    dashboards,
    get lambda(): LambdaService {
      if (!lambda) throw new Error('No Lambda runner is attached to the AWS emulator');
      return lambda;
    },
    get scheduler(): ScheduleService {
      if (!schedules) throw new Error('No Lambda runner is attached to the AWS emulator');
      return schedules;
    },
    attachRunner: (runner) => {
      const functions = new LambdaService({
        state: state.lambda,
        region,
        accountId,
        runner,
        iam,
        authorizer,
        now: () => clock.now(),
      });
      lambda = functions;
      schedules = new ScheduleService({
        state: state.scheduler,
        region,
        accountId,
        iam,
        authorizer,
        lambda: functions,
        now: () => clock.now(),
      });
      const throughLambda = functions.secretsManagerInvoker();
      rotations.setInvoker({
        invoke: async (functionArn, event) => {
          // A function registered straight in the runner (a test's own handler) has no function
          // policy to check; every function created through Lambda is invoked as AWS would.
          if (!functions.hasFunction(functionArn)) return runner.invoke(functionArn, event);
          try {
            return await throughLambda.invoke(functionArn, event);
          } catch (error) {
            if (error instanceof AwsError && error.type === 'AccessDeniedException') {
              return { ok: false, durationMs: 0, ...CANNOT_INVOKE };
            }
            throw error;
          }
        },
      });
    },
    callAs: async (principal, target, input) => {
      const output = await runJsonOperation(services, target, input, principal);
      persist();
      return output;
    },
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
