/**
 * Runs Lambda functions locally for the AWS emulator: in the runner's process, or as the
 * deployed bundle in Lambda-like child processes ("containers") that stay warm between calls.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChildProcessEnvironment } from './lambda-runner-child-process';
import { ConcurrencyLimiter } from './lambda-runner-concurrency';
import type { LambdaContextFields } from './lambda-runner-context';
import {
  assertNoReservedVariables,
  containerEnvironment,
  type ContainerCredentials,
} from './lambda-runner-env-vars';
import type { ExecutionEnvironment } from './lambda-runner-execution-environment';
import { InProcessEnvironment, type InProcessHandler } from './lambda-runner-in-process';
import { ErrorTypes, type InvocationError, type InvocationOutcome } from './lambda-runner-outcome';
import type { FunctionInvoker, InvokeResult } from './types';

export type { LambdaContextLike } from './lambda-runner-context';
export type { InProcessHandler } from './lambda-runner-in-process';

interface CommonFunctionSettings {
  /** Default 30000. Past it the invocation fails with Sandbox.Timedout and its environment is discarded. */
  timeoutMs?: number;
  /** Default 128: AWS_LAMBDA_FUNCTION_MEMORY_SIZE, the context's memoryLimitInMB, and a container's V8 heap cap. */
  memoryMb?: number;
  /** Invocations allowed to run at once (default unlimited); the others wait in arrival order. */
  reservedConcurrency?: number;
  /** The function's environment variables; Lambda's reserved names are refused. */
  environment?: Record<string, string>;
  /**
   * The execution role's session, passed to a container as AWS_ACCESS_KEY_ID,
   * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. Default: placeholder keys that name no principal.
   * In-process functions share the runner's process and do not get them.
   */
  credentials?: ContainerCredentials;
  /** AWS_LAMBDA_LOG_GROUP_NAME and the context's logGroupName. Default `/aws/lambda/<name>`. */
  logGroupName?: string;
}

/** A handler run inside the runner's process. It shares that process, so `environment` is not applied. */
export interface InProcessFunctionDefinition extends CommonFunctionSettings {
  kind: 'in-process';
  handler: InProcessHandler;
}

/** A bundle (e.g. dist/lambda/rotation/index.js) run in containers, as Lambda would run it. */
export interface BundledFunctionDefinition extends CommonFunctionSettings {
  kind: 'bundle';
  /** Path of the bundle; its directory is the task root and the container's working directory. */
  file: string;
  /** Default 'handler'. */
  handlerExport?: string;
  /** Default process.execPath: the Node binary containers run under. */
  nodeBinary?: string;
}

export type FunctionDefinition = InProcessFunctionDefinition | BundledFunctionDefinition;

export interface LambdaRunnerOptions {
  /** Default 'us-east-1'. */
  region?: string;
  /** Default '000000000000'. */
  accountId?: string;
  /** Passed to containers as AWS_ENDPOINT_URL, so the AWS SDK in a bundle talks to the emulator. */
  awsEndpointUrl?: string;
  /** Receives every stdout/stderr line of every container. Default: lines are discarded. */
  logSink?: (line: string, functionName: string) => void;
  /**
   * Called after every invocation with its result, and whether it waited for a concurrency slot
   * (e.g. for CloudWatch's AWS/Lambda metrics). Not called for an unknown function.
   */
  onInvocation?: (functionName: string, result: InvocationReport) => void;
}

/** What `onInvocation` receives. */
export type InvocationReport = InvokeResult & { throttled: boolean };

export interface FunctionStats {
  invocations: number;
  /** Execution environments started: the first invocation, and any after a crash, timeout or kill(). */
  coldStarts: number;
  /** Failed invocations of any kind, timeouts and load errors included. */
  errors: number;
  timeouts: number;
  /** Invocations that waited for a slot because reservedConcurrency was reached. */
  throttled: number;
  /** Highest resident set size a container reported; 0 for in-process functions. */
  peakRssBytes: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MEMORY_MB = 128;
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const FUNCTION_ARN = /^arn:aws:lambda:([^:]+):([^:]+):function:([^:]+)(?::\$LATEST)?$/;

const RUNNER_CLOSED: InvocationError = {
  errorType: ErrorTypes.service,
  errorMessage: 'The LambdaRunner was closed before the invocation started',
};

interface RegisteredFunction {
  name: string;
  arn: string;
  definition: FunctionDefinition;
  logGroupName: string;
  timeoutMs: number;
  memoryMb: number;
  limiter: ConcurrencyLimiter;
  /** Warm environments waiting for an invocation. */
  idle: RunningEnvironment[];
  stats: FunctionStats;
}

interface RunningEnvironment {
  instance: ExecutionEnvironment;
  owner: RegisteredFunction;
  logStreamName: string;
}

/**
 * A local Lambda service. Each execution environment runs one invocation at a time and is
 * reused while warm; beyond `reservedConcurrency` invocations queue rather than fail with
 * TooManyRequestsException, so a local rotation waits instead of needing retries.
 */
export class LambdaRunner implements FunctionInvoker {
  private readonly region: string;
  private readonly accountId: string;
  private readonly functions = new Map<string, RegisteredFunction>();
  /** Every environment of every function, until it has released its process. */
  private readonly environments = new Set<RunningEnvironment>();
  private isClosed = false;

  constructor(private readonly options: LambdaRunnerOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
  }

  /** Registers a function and returns its ARN, arn:aws:lambda:<region>:<account>:function:<name>. */
  register(name: string, definition: FunctionDefinition): string {
    if (this.isClosed) throw new Error('LambdaRunner is closed');
    if (!FUNCTION_NAME.test(name)) throw new Error(`Invalid function name: ${name}`);
    if (this.functions.has(name)) throw new Error(`Function already exists: ${name}`);
    const { reservedConcurrency } = definition;
    if (
      reservedConcurrency !== undefined &&
      !(Number.isInteger(reservedConcurrency) && reservedConcurrency >= 1)
    ) {
      throw new Error(`reservedConcurrency of ${name} must be a positive integer`);
    }
    assertNoReservedVariables(name, definition.environment);
    const arn = `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
    this.functions.set(name, {
      name,
      arn,
      definition,
      logGroupName: definition.logGroupName ?? defaultLogGroupName(name),
      timeoutMs: definition.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      memoryMb: definition.memoryMb ?? DEFAULT_MEMORY_MB,
      limiter: new ConcurrencyLimiter(reservedConcurrency),
      idle: [],
      stats: {
        invocations: 0,
        coldStarts: 0,
        errors: 0,
        timeouts: 0,
        throttled: 0,
        peakRssBytes: 0,
      },
    });
    return arn;
  }

  /**
   * Invokes by name, unqualified ARN or `$LATEST` ARN. Resolves, never rejects: failures are
   * `ok: false` results. `durationMs` runs from the moment the invocation got a concurrency
   * slot, so it includes a cold start but not time spent queued.
   */
  async invoke(functionArnOrName: string, event: unknown): Promise<InvokeResult> {
    const fn = this.lookup(functionArnOrName);
    if (fn === undefined) {
      const errorMessage = `Function not found: ${functionArnOrName}`;
      return { ok: false, errorType: ErrorTypes.notFound, errorMessage, durationMs: 0 };
    }
    fn.stats.invocations += 1;
    const slot = fn.limiter.acquire();
    if (slot.queued) fn.stats.throttled += 1;
    const result = await this.invokeWithSlot(fn, functionArnOrName, event, slot.granted);
    try {
      this.options.onInvocation?.(fn.name, { ...result, throttled: slot.queued });
    } catch {
      // invoke() resolves with the invocation's result whatever an observer does.
    }
    return result;
  }

  private async invokeWithSlot(
    fn: RegisteredFunction,
    functionArnOrName: string,
    event: unknown,
    granted: Promise<boolean>,
  ): Promise<InvokeResult> {
    if (!(await granted)) return this.failure(fn, RUNNER_CLOSED, 0);
    const startedAt = performance.now();
    try {
      const invokedArn = functionArnOrName.startsWith('arn:') ? functionArnOrName : fn.arn;
      const outcome: InvocationOutcome = this.isClosed
        ? { ok: false, ...RUNNER_CLOSED }
        : await this.runInEnvironment(fn, invokedArn, event);
      const durationMs = performance.now() - startedAt;
      return outcome.ok
        ? { ok: true, payload: outcome.payload, durationMs }
        : this.failure(fn, outcome, durationMs);
    } finally {
      fn.limiter.release();
    }
  }

  /** A snapshot of the function's counters. */
  stats(name: string): FunctionStats {
    return { ...this.registered(name).stats };
  }

  /** Kills every environment of the function now, busy or warm: invocations in flight fail with Runtime.ExitError. */
  kill(name: string): void {
    const fn = this.registered(name);
    fn.idle = [];
    for (const environment of this.environments) {
      if (environment.owner === fn) environment.instance.kill();
    }
  }

  /** Turns queued invocations away, kills every environment and waits until no child process is left. */
  async close(): Promise<void> {
    this.isClosed = true;
    for (const fn of this.functions.values()) {
      fn.limiter.rejectWaiting();
      fn.idle = [];
    }
    const environments = [...this.environments];
    for (const environment of environments) environment.instance.kill();
    await Promise.all(environments.map((environment) => environment.instance.closed()));
  }

  private async runInEnvironment(
    fn: RegisteredFunction,
    invokedFunctionArn: string,
    event: unknown,
  ): Promise<InvocationOutcome> {
    let environment = takeWarmEnvironment(fn);
    if (environment === undefined) {
      environment = this.startEnvironment(fn);
      const initError = await environment.instance.init();
      this.recordRss(fn, environment.instance);
      if (initError !== undefined) return { ok: false, ...initError };
    }
    const outcome = await environment.instance.invoke({
      event,
      context: contextFields(environment, invokedFunctionArn),
      timeoutMs: fn.timeoutMs,
    });
    this.recordRss(fn, environment.instance);
    if (environment.instance.alive && !this.isClosed) fn.idle.push(environment);
    else environment.instance.kill();
    return outcome;
  }

  private startEnvironment(fn: RegisteredFunction): RunningEnvironment {
    fn.stats.coldStarts += 1;
    const logStreamName = newLogStreamName();
    const { definition } = fn;
    const instance =
      definition.kind === 'in-process'
        ? new InProcessEnvironment(definition.handler)
        : this.startContainer(fn, definition, logStreamName);
    const environment: RunningEnvironment = { instance, owner: fn, logStreamName };
    this.environments.add(environment);
    void instance.closed().then(() => this.environments.delete(environment));
    return environment;
  }

  private startContainer(
    fn: RegisteredFunction,
    definition: BundledFunctionDefinition,
    logStreamName: string,
  ): ChildProcessEnvironment {
    const file = path.resolve(definition.file);
    const handlerExport = definition.handlerExport ?? 'handler';
    return new ChildProcessEnvironment({
      functionName: fn.name,
      file,
      handlerExport,
      nodeBinary: definition.nodeBinary ?? process.execPath,
      memoryMb: fn.memoryMb,
      logSink: this.options.logSink,
      environment: containerEnvironment({
        functionName: fn.name,
        memoryMb: fn.memoryMb,
        region: this.region,
        logGroupName: fn.logGroupName,
        logStreamName,
        taskRoot: path.dirname(file),
        handler: `${path.basename(file, path.extname(file))}.${handlerExport}`,
        awsEndpointUrl: this.options.awsEndpointUrl,
        functionEnvironment: definition.environment,
        credentials: definition.credentials,
      }),
    });
  }

  private failure(
    fn: RegisteredFunction,
    error: InvocationError,
    durationMs: number,
  ): InvokeResult {
    fn.stats.errors += 1;
    if (error.errorType === ErrorTypes.timeout) fn.stats.timeouts += 1;
    return { ok: false, errorType: error.errorType, errorMessage: error.errorMessage, durationMs };
  }

  private recordRss(fn: RegisteredFunction, environment: ExecutionEnvironment): void {
    fn.stats.peakRssBytes = Math.max(fn.stats.peakRssBytes, environment.rssBytes);
  }

  /** Accepts a name or an ARN of this runner's region and account. */
  private lookup(functionArnOrName: string): RegisteredFunction | undefined {
    const arn = FUNCTION_ARN.exec(functionArnOrName);
    if (arn === null) return this.functions.get(functionArnOrName);
    const [, region, accountId, name] = arn;
    return region === this.region && accountId === this.accountId
      ? this.functions.get(name)
      : undefined;
  }

  private registered(name: string): RegisteredFunction {
    const fn = this.functions.get(name);
    if (fn === undefined) throw new Error(`Function not found: ${name}`);
    return fn;
  }
}

/** The most recently used live environment, dropping any that died while idle. */
function takeWarmEnvironment(fn: RegisteredFunction): RunningEnvironment | undefined {
  for (let environment = fn.idle.pop(); environment !== undefined; environment = fn.idle.pop()) {
    if (environment.instance.alive) return environment;
  }
  return undefined;
}

function contextFields(
  environment: RunningEnvironment,
  invokedFunctionArn: string,
): LambdaContextFields {
  const { owner } = environment;
  return {
    functionName: owner.name,
    functionVersion: '$LATEST',
    invokedFunctionArn,
    memoryLimitInMB: String(owner.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: owner.logGroupName,
    logStreamName: environment.logStreamName,
  };
}

function defaultLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** Lambda's format: 2026/01/31/[$LATEST] followed by 32 hex digits, one stream per environment. */
function newLogStreamName(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}
