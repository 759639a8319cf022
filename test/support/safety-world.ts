/**
 * The local world with the rotation handler registered in-process: the same handler the bundle
 * exports (createRotationHandler with real SDK clients against the AWS emulator and the real
 * HttpClient against the vendor simulators), every outbound call traced so a test can fail it,
 * every output captured for the leak scanner, and time under the test's control.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  paginateListSecretVersionIds,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { auditSecret, type AuditFinding } from '../../lambda/audit/checks';
import { SnsNotifier } from '../../lambda/aws/notifications';
import { SecretsStore } from '../../lambda/aws/secrets';
import { Readable } from 'node:stream';
import type { CliDependencies } from '../../cli/dependencies';
import { runCli } from '../../cli/program';
import { emulatorRotationHistory } from '../../local/aws/rotation-history';
import { HttpClient } from '../../lambda/http/client';
import { formatProviderOrigins } from '../../lambda/http/origin-policy';
import { ProviderRegistry } from '../../lambda/providers/registry';
import { readRotatorConfig } from '../../lambda/rotation/config';
import { fingerprint } from '../../lambda/shared/fingerprint';
import type { RotationStep } from '../../lambda/rotation/event';
import { createRotationHandler } from '../../lambda/rotation/handler';
import { STAGED_LABEL, type RevokePolicy } from '../../lambda/shared/secret';
import {
  FunctionEnv,
  MANAGED_TAG,
  MANAGED_TAG_VALUE,
  PROVIDER_TAG,
  REVOKE_POLICY_TAG,
} from '../../lambda/shared/contracts';
import type { RotationRecord } from '../../local/aws';
import type { LambdaContextLike } from '../../local/aws/lambda-runner';
import { ManualClock, type InvokeResult } from '../../local/aws/types';
import {
  createCustomerManagedKey,
  localAwsConfig,
  localClients,
  type LocalClients,
} from '../../local/scenarios';
import { startLocalWorld, type LocalWorld } from '../../local/world';
import type { SimulatedVendor, VendorUnderTest } from '../conformance/vendor-under-test';
import { VENDORS_UNDER_TEST } from '../conformance/vendors';
import { CallTracer, TracedHttpClient } from './fault-injection';
import { LeakScanner } from './leak-scanner';

export const SAFETY_FUNCTION_NAME = 'api-key-rotator-rotation-in-process';
export const ROTATION_STEPS: readonly RotationStep[] = [
  'createSecret',
  'setSecret',
  'testSecret',
  'finishSecret',
];

/** Rotation schedule of every secret: short enough that a stuck rotation is due within hours. */
const SCHEDULE = 'rate(4 hours)';
const PAST_NEXT_WINDOW_MS = 5 * 60 * 60 * 1000;

/** A secret under test and what the invariant checker needs to know about it. */
export interface SecretUnderTest {
  readonly label: string;
  readonly provider: string;
  readonly arn: string;
  readonly kmsKeyId: string;
  readonly organizationId: string;
  /** The principals the rotation issues keys for (Polytomic: its users); may be empty. */
  readonly principals: readonly string[];
  /** The current key dies when the new one is issued (Polytomic single-user mode). */
  readonly currentKeyDiesAtIssue: boolean;
  readonly policy: RevokePolicy;
  readonly vendor: VendorUnderTest;
  readonly simulator: SimulatedVendor;
  stagedCount: number;
}

export interface SecretSpec {
  /** The provider name of a vendor under test. */
  readonly provider: string;
  /** The variant's options, e.g. `{ standby: false }` (Polytomic single-user mode). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Polytomic: false is single-user mode. @default true */
  readonly standby?: boolean;
  readonly policy?: RevokePolicy;
  /** Where the policy is set: the value's `revokePrevious` or the stack's tag. @default 'value' */
  readonly policyIn?: 'value' | 'tag';
  /** Reuse a Polytomic partner-key secret. */
  readonly partnerKeySecretId?: string;
}

export interface SafetyWorldOptions {
  /** The attempt timeout of the vendor HTTP client; faults of kind timeout outlast it. */
  readonly attemptTimeoutMs?: number;
  /**
   * Rotate with the bundled file (dist/lambda/rotation/index.js) in Lambda-like child
   * processes instead of the in-process handler; its calls are not traced. @default false
   */
  readonly bundle?: boolean;
  /** The vendors whose secrets this world rotates. @default VENDORS_UNDER_TEST */
  readonly vendors?: readonly VendorUnderTest[];
}

/** The bundled function's name in the runner. */
export const BUNDLE_FUNCTION_NAME = 'api-key-rotator-rotation';

export class SafetyWorld {
  readonly tracer = new CallTracer();
  readonly functionArn: string;
  /** The rotation function's name in the runner (what `runner.kill` takes). */
  readonly functionName: string;
  private secretCount = 0;
  private readonly seenRecords = new Map<string, number>();
  private seenMessages = 0;
  /** Poelis keys an operator revoked after a reminder, by fingerprint. */
  private readonly handledReminders = new Set<string>();
  private readonly handlerClients: { destroy(): void }[] = [];

  /** The registry the in-process handler and the CLI use: every vendor under test. */
  readonly providers: ProviderRegistry;

  private constructor(
    readonly world: LocalWorld,
    readonly clock: ManualClock,
    readonly clients: LocalClients,
    readonly topicArn: string,
    readonly scanner: LeakScanner,
    /** Each vendor under test with its running simulator, by provider name. */
    readonly vendors: ReadonlyMap<string, { vendor: VendorUnderTest; simulator: SimulatedVendor }>,
    options: SafetyWorldOptions,
  ) {
    this.providers = new ProviderRegistry(
      [...vendors.values()].map(({ vendor }) => vendor.provider),
    );
    this.functionName = options.bundle === true ? BUNDLE_FUNCTION_NAME : SAFETY_FUNCTION_NAME;
    this.functionArn =
      options.bundle === true
        ? world.registerRotationFunction({
            name: BUNDLE_FUNCTION_NAME,
            environment: { ROTATOR_NOTIFY_TOPIC_ARN: topicArn },
          })
        : this.registerInProcess(options);
  }

  /**
   * The handler the bundle exports, built from real clients: SDK clients against the emulator
   * (traced by middleware) and the product's HttpClient against the simulators (traced).
   */
  private registerInProcess(options: SafetyWorldOptions): string {
    const environment = this.rotationEnvironment();
    const config = readRotatorConfig(environment, this.providers);
    const awsConfig = localAwsConfig(this.world);
    const secretsClient = new SecretsManagerClient(awsConfig);
    const kmsClient = new KMSClient(awsConfig);
    const snsClient = new SNSClient(awsConfig);
    this.tracer.instrument(secretsClient, 'secretsmanager');
    this.tracer.instrument(kmsClient, 'kms');
    this.tracer.instrument(snsClient, 'sns');
    this.handlerClients.push(secretsClient, kmsClient, snsClient);
    const http = new TracedHttpClient(
      {
        policy: config.originPolicy,
        attemptTimeoutMs: options.attemptTimeoutMs ?? 2_000,
        sleep: () => Promise.resolve(),
        random: () => 0.5,
      },
      this.tracer,
    );
    const secrets = new SecretsStore(secretsClient);
    const notifier = new SnsNotifier(snsClient, this.topicArn);
    // A fresh Logger and Metrics per invocation keep overlapping invocations' log keys apart.
    const handler = async (event: unknown, context: LambdaContextLike): Promise<void> => {
      const step = (event as { Step?: RotationStep } | null)?.Step;
      const serviceName = environment.POWERTOOLS_SERVICE_NAME;
      const logger = new Logger({ serviceName, logLevel: 'INFO' });
      const metrics = new Metrics({
        serviceName,
        namespace: environment.POWERTOOLS_METRICS_NAMESPACE,
      });
      const rotation = createRotationHandler({
        config,
        secrets,
        kms: kmsClient,
        http,
        notifier,
        logger,
        metrics,
        providers: this.providers,
      });
      await this.tracer.runInvocation(step, () => rotation(event, lambdaContext(context)));
    };
    return this.world.runner.register(SAFETY_FUNCTION_NAME, {
      kind: 'in-process',
      handler,
      timeoutMs: 30_000,
    });
  }

  /** The function's environment: each vendor under test may be called at its simulator only. */
  rotationEnvironment(): Record<string, string> {
    const environment = this.world.rotationEnvironment({ ROTATOR_NOTIFY_TOPIC_ARN: this.topicArn });
    const origins = Object.fromEntries(
      [...this.vendors].map(([provider, { simulator }]) => [provider, [simulator.url]]),
    );
    return { ...environment, [FunctionEnv.AllowedOrigins]: formatProviderOrigins(origins) };
  }

  static async start(options: SafetyWorldOptions = {}): Promise<SafetyWorld> {
    const clock = new ManualClock();
    const lines: string[] = [];
    const world = await startLocalWorld({
      clock,
      logSink: (line) => lines.push(line),
      administratorForUnknownKeys:
        'the safety suites trace and fault every call of an in-process handler over hundreds of fresh secrets and keys per run, which the stack cannot name',
    });
    const vendors = new Map<string, { vendor: VendorUnderTest; simulator: SimulatedVendor }>();
    for (const vendor of options.vendors ?? VENDORS_UNDER_TEST) {
      vendors.set(vendor.provider.name, { vendor, simulator: await vendor.start(world, clock) });
    }
    const scanner = new LeakScanner(
      [...vendors.values()].map(({ simulator }) => simulator),
      lines,
    );
    scanner.captureProcessOutput();
    const clients = localClients(world);
    const topic = await clients.sns.send(
      new CreateTopicCommand({ Name: 'api-key-rotator-notices' }),
    );
    if (topic.TopicArn === undefined) throw new Error('CreateTopic returned no ARN');
    return new SafetyWorld(world, clock, clients, topic.TopicArn, scanner, vendors, options);
  }

  /** The vendor under test and its simulator for a provider name. */
  vendorOf(provider: string): { vendor: VendorUnderTest; simulator: SimulatedVendor } {
    const entry = this.vendors.get(provider);
    if (entry === undefined) throw new Error(`no vendor under test is named ${provider}`);
    return entry;
  }

  /** The simulator whose origin is `origin`, if any. */
  simulatorAt(origin: string): SimulatedVendor | undefined {
    return [...this.vendors.values()].find(({ simulator }) => simulator.url === origin)?.simulator;
  }

  /** A new secret with its own KMS key and vendor account, rotation configured. */
  async newSecret(spec: SecretSpec): Promise<SecretUnderTest> {
    this.secretCount += 1;
    const label = `${spec.provider}-${this.secretCount}`;
    const { vendor, simulator } = this.vendorOf(spec.provider);
    const kmsKeyId = await createCustomerManagedKey(this.clients, `alias/safety-${label}`);
    const policy = spec.policy ?? 'on-finish';
    const inValue = spec.policyIn !== 'tag' && spec.policy !== undefined ? policy : undefined;
    const name = `safety/${label}`;
    const account = await simulator.openAccount({
      name,
      options: {
        ...spec.options,
        ...(spec.standby === undefined ? {} : { standby: spec.standby }),
        ...(spec.partnerKeySecretId === undefined
          ? {}
          : { partnerKeySecretId: spec.partnerKeySecretId }),
      },
      storeCredential: (credentialName, value) =>
        this.createSecret(credentialName, kmsKeyId, value, []),
    });
    const tags = [
      { Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE },
      { Key: PROVIDER_TAG, Value: spec.provider },
      ...(spec.policyIn === 'tag' && spec.policy !== undefined
        ? [{ Key: REVOKE_POLICY_TAG, Value: spec.policy }]
        : []),
    ];
    const value = {
      ...account.value,
      ...(inValue === undefined ? {} : { revokePrevious: inValue }),
    };
    const arn = await this.createSecret(name, kmsKeyId, JSON.stringify(value), tags);
    const secret: SecretUnderTest = {
      label,
      provider: spec.provider,
      arn,
      kmsKeyId,
      organizationId: account.organizationId,
      principals: account.principals,
      currentKeyDiesAtIssue: account.currentKeyDiesAtIssue,
      policy,
      vendor,
      simulator,
      stagedCount: 0,
    };
    await this.configureRotation(secret.arn);
    return secret;
  }

  private async createSecret(
    name: string,
    kmsKeyId: string,
    value: string,
    tags: { Key: string; Value: string }[],
  ): Promise<string> {
    const created = await this.clients.secrets.send(
      new CreateSecretCommand({ Name: name, KmsKeyId: kmsKeyId, SecretString: value, Tags: tags }),
    );
    if (created.ARN === undefined) throw new Error(`CreateSecret ${name} returned no ARN`);
    return created.ARN;
  }

  /**
   * A secret holding exactly `value` (JSON text, or binary), with its own KMS key and tags,
   * rotation not configured yet.
   */
  async newRawSecret(
    value: string | Uint8Array,
    tags: Record<string, string> = {},
  ): Promise<{ arn: string; kmsKeyId: string }> {
    this.secretCount += 1;
    const kmsKeyId = await createCustomerManagedKey(
      this.clients,
      `alias/safety-raw-${this.secretCount}`,
    );
    const created = await this.clients.secrets.send(
      new CreateSecretCommand({
        Name: `safety/raw-${this.secretCount}`,
        KmsKeyId: kmsKeyId,
        ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    if (created.ARN === undefined) throw new Error('CreateSecret returned no ARN');
    return { arn: created.ARN, kmsKeyId };
  }

  /**
   * Attaches the in-process function with RotateImmediately=false, as the stack does: Secrets
   * Manager runs only testSecret. Returns that configuration test's record.
   */
  async configureRotation(arn: string): Promise<RotationRecord> {
    await this.clients.secrets.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: this.functionArn,
        RotationRules: { ScheduleExpression: SCHEDULE },
        RotateImmediately: false,
      }),
    );
    await this.world.aws.waitForRotations(arn);
    const record = this.world.aws.rotationHistory(arn).at(-1);
    if (record === undefined) throw new Error(`no configuration test ran for ${arn}`);
    return record;
  }

  /**
   * Assisted vendors: the operator creates a key in the web app and stores it as STAGED. A key
   * it replaces under STAGED that no rotation has taken up is revoked, as an operator would.
   */
  async stage(secret: SecretUnderTest): Promise<void> {
    const { simulator } = secret;
    if (simulator.createKeyByHand === undefined) return;
    const before = await this.keysByLabel(secret);
    secret.stagedCount += 1;
    const keyName = `${secret.label} #${secret.stagedCount + 1}`;
    const apiKey = simulator.createKeyByHand(secret.organizationId, keyName);
    await this.clients.secrets.send(
      new PutSecretValueCommand({
        SecretId: secret.arn,
        SecretString: JSON.stringify({ apiKey, keyName }),
        VersionStages: [STAGED_LABEL],
      }),
    );
    const superseded = before.get(STAGED_LABEL);
    if (superseded === undefined) return;
    const inUse = [...(await this.keysByLabel(secret)).values()].includes(superseded);
    if (!inUse && simulator.keyStatus(superseded) === 'live') {
      simulator.revokeByHand(secret.organizationId, fingerprint(superseded));
    }
  }

  /** The key each staging label's version holds. */
  private async keysByLabel(secret: SecretUnderTest): Promise<Map<string, string>> {
    const stages = await this.versionStages(secret);
    const values = await this.allValues(secret);
    const keys = new Map<string, string>();
    for (const [versionId, labels] of Object.entries(stages)) {
      const value = values.get(versionId);
      const key =
        value === undefined ? undefined : (JSON.parse(value) as { apiKey?: unknown }).apiKey;
      if (typeof key === 'string') labels.forEach((label) => keys.set(label, key));
    }
    return keys;
  }

  /** RotateSecret, then waits for the steps; returns the rotation's record. */
  async rotate(secret: SecretUnderTest): Promise<RotationRecord> {
    await this.clients.secrets.send(new RotateSecretCommand({ SecretId: secret.arn }));
    await this.world.aws.waitForRotations(secret.arn);
    return this.lastRotation(secret);
  }

  lastRotation(secret: SecretUnderTest): RotationRecord {
    const record = this.world.aws.rotationHistory(secret.arn).at(-1);
    if (record === undefined) throw new Error(`${secret.label} has never rotated`);
    return record;
  }

  /** One step, invoked the way Secrets Manager invokes it. */
  invokeStep(secret: SecretUnderTest, step: RotationStep, token: string): Promise<InvokeResult> {
    return this.world.runner.invoke(this.functionArn, {
      Step: step,
      SecretId: secret.arn,
      ClientRequestToken: token,
    });
  }

  /** Moves time past the next rotation window and lets the emulator start due rotations. */
  async runDueRotations(): Promise<void> {
    this.clock.advance(PAST_NEXT_WINDOW_MS);
    await this.world.aws.runDueRotations();
    await this.world.aws.waitForRotations();
  }

  /**
   * What Secrets Manager does after a failed rotation: a rotation still AWSPENDING is
   * reattempted when due (all four steps, same token); one promoted before it failed gets its
   * steps again with the same token. Returns whether the rotation completed.
   */
  async retryFailedRotation(secret: SecretUnderTest, attempts = 3): Promise<boolean> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const record = this.lastRotation(secret);
      if (record.outcome === 'succeeded') return true;
      const stages = await this.versionStages(secret);
      const promoted = stages[record.token]?.includes('AWSCURRENT') === true;
      if (!promoted) {
        await this.runDueRotations();
        continue;
      }
      let ok = true;
      for (const step of ROTATION_STEPS) {
        const result = await this.invokeStep(secret, step, record.token);
        this.recordInvocation(result);
        ok &&= result.ok;
      }
      if (ok) return true;
    }
    return this.lastRotation(secret).outcome === 'succeeded';
  }

  async setKeyEnabled(secret: SecretUnderTest, enabled: boolean): Promise<void> {
    await this.clients.kms.send(
      enabled
        ? new EnableKeyCommand({ KeyId: secret.kmsKeyId })
        : new DisableKeyCommand({ KeyId: secret.kmsKeyId }),
    );
  }

  async versionStages(secret: SecretUnderTest): Promise<Record<string, string[]>> {
    const described = await this.clients.secrets.send(
      new DescribeSecretCommand({ SecretId: secret.arn }),
    );
    return described.VersionIdsToStages ?? {};
  }

  /** Every version's value, deprecated ones included. */
  async allValues(secret: SecretUnderTest): Promise<Map<string, string>> {
    const versionIds: string[] = [];
    const pages = paginateListSecretVersionIds(
      { client: this.clients.secrets, stopOnSameToken: true },
      { SecretId: secret.arn, IncludeDeprecated: true },
    );
    for await (const page of pages) {
      for (const { VersionId } of page.Versions ?? []) {
        if (VersionId !== undefined) versionIds.push(VersionId);
      }
    }
    const values = new Map<string, string>();
    for (const VersionId of versionIds) {
      try {
        const version = await this.clients.secrets.send(
          new GetSecretValueCommand({ SecretId: secret.arn, VersionId }),
        );
        if (version.SecretString !== undefined) values.set(VersionId, version.SecretString);
      } catch {
        // A version created without a value (a pending one) has nothing to read.
      }
    }
    return values;
  }

  /** Records the error of a failed invocation for the leak scanner. */
  recordInvocation(result: InvokeResult): void {
    if (!result.ok) this.scanner.add('error', `${result.errorType}: ${result.errorMessage}`);
  }

  /** Adds rotation errors and SNS messages not yet seen to the leak scanner's output. */
  collectOutputs(): void {
    for (const record of this.world.aws.rotationHistory()) {
      const key = `${record.secretArn}:${record.token}:${record.startedAt}`;
      const seen = this.seenRecords.get(key) ?? 0;
      for (const step of record.steps.slice(seen)) {
        if (!step.ok) this.scanner.add('error', `${step.errorType}: ${step.errorMessage}`);
      }
      this.seenRecords.set(key, record.steps.length);
    }
    const messages = this.world.aws.publishedMessages(this.topicArn);
    for (const message of messages.slice(this.seenMessages)) {
      this.scanner.add('sns', `${message.subject ?? ''}\n${message.message}`);
    }
    this.seenMessages = messages.length;
  }

  /** Reminders (SNS messages, or log lines when publishing failed) naming keys of the secret. */
  revocationReminders(secret: SecretUnderTest): Set<string> {
    const named = new Set<string>();
    for (const message of this.world.aws.publishedMessages(this.topicArn)) {
      if (!message.message.includes(secret.arn)) continue;
      if (!message.message.includes('Revoke the previous key')) continue;
      for (const match of message.message.matchAll(/\(([0-9a-f]{8})\)/g)) named.add(match[1]);
    }
    const logs = `${this.scanner.textOf('stdout')}\n${this.scanner.textOf('log')}`;
    for (const line of logs.split('\n')) {
      if (!line.includes('"keyToRevoke"') || !line.includes(secret.arn)) continue;
      const parsed = JSON.parse(line) as { keyToRevoke?: { fingerprint?: string } };
      if (parsed.keyToRevoke?.fingerprint !== undefined) named.add(parsed.keyToRevoke.fingerprint);
    }
    return named;
  }

  /** What the operator does with each reminder: revoke the named key in the web app. */
  actOnReminders(secret: SecretUnderTest): void {
    if (secret.vendor.revocation !== 'manual') return;
    const { simulator } = secret;
    for (const fp of this.revocationReminders(secret)) {
      const handled = `${secret.arn}:${fp}`;
      if (this.handledReminders.has(handled)) continue;
      const entry = simulator
        .ledger()
        .find((key) => key.organizationId === secret.organizationId && key.fingerprint === fp);
      if (entry?.status === 'live') simulator.revokeByHand(secret.organizationId, fp);
      this.handledReminders.add(handled);
    }
  }

  /**
   * The operator CLI, in-process against this world (argv without the program name), `stdin`
   * piped in; its output is recorded for the leak scanner.
   */
  async runCli(
    argv: readonly string[],
    stdin = '',
  ): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const environment = this.rotationEnvironment();
    const deps: CliDependencies = {
      io: {
        stdin: Object.assign(Readable.from([stdin]), { isTTY: false }),
        stdout: { write: (text: string) => stdout.push(text), isTTY: false },
        stderr: { write: (text: string) => stderr.push(text), isTTY: false },
      },
      env: environment,
      secretsManager: this.clients.secrets,
      kms: this.clients.kms,
      vendorHttp: () =>
        new HttpClient({ policy: readRotatorConfig(environment, this.providers).originPolicy }),
      history: emulatorRotationHistory(this.world.urls.aws),
      providers: this.providers,
      now: Date.now,
      sleep: () => Promise.resolve(),
    };
    const exitCode = await runCli(argv, deps);
    const result = { exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
    this.scanner.add('cli', `${result.stdout}\n${result.stderr}`);
    return result;
  }

  /**
   * The audit's checks on one secret, in process, with the registry and origins of this world;
   * the findings are recorded for the leak scanner.
   */
  async audit(secretArn: string): Promise<AuditFinding[]> {
    const findings = await auditSecret(
      {
        secretsManager: this.clients.secrets,
        kms: this.clients.kms,
        http: new HttpClient({
          policy: readRotatorConfig(this.rotationEnvironment(), this.providers).originPolicy,
          sleep: () => Promise.resolve(),
        }),
        now: () => this.clock.now(),
        deadline: Date.now() + 30_000,
        providers: this.providers,
      },
      secretArn,
    );
    this.scanner.add('log', JSON.stringify(findings));
    return findings;
  }

  /** Turns rotation off for a secret that is done with, so later due rotations skip it. */
  async retire(secret: SecretUnderTest): Promise<void> {
    await this.world.aws.waitForRotations(secret.arn);
    await this.clients.secrets.send(new CancelRotateSecretCommand({ SecretId: secret.arn }));
  }

  /** Ends every armed fault and the interceptor's control. */
  clearFaults(): void {
    this.tracer.interceptor = (_call, proceed) => proceed();
    for (const { simulator } of this.vendors.values()) simulator.clearFaults();
    this.world.aws.clearAccessRules();
  }

  async close(): Promise<void> {
    this.scanner.stopCapture();
    this.clients.destroy();
    await Promise.all([...this.vendors.values()].map(({ simulator }) => simulator.close()));
    await this.world.close();
    this.handlerClients.forEach((client) => client.destroy());
  }
}

function lambdaContext(context: LambdaContextLike): Context {
  return {
    callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    awsRequestId: context.awsRequestId,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    getRemainingTimeInMillis: () => context.getRemainingTimeInMillis(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
