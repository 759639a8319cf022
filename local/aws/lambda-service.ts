/**
 * The Lambda control plane of the local world: functions with an execution role, their
 * resource-based policies (AddPermission), event invoke configs, and an Invoke that is authorized
 * as Lambda authorizes it. Execution happens in a LambdaRunner, which gives each bundled function
 * the credentials of its execution role.
 *
 * The state is a plain JSON object so the world can persist it; bundled functions are registered
 * in the runner again when a LambdaService is built on a restored state.
 */
import { AwsError, validationError } from './errors';
import {
  type AuthorizationRequest,
  type Authorizer,
  type PolicyDocument,
  type Principal,
} from './authorization';
import type { IamService } from './iam';
import type { InProcessHandler, LambdaRunner } from './lambda-runner';
import { RESERVED_VARIABLES } from './lambda-runner-env-vars';
import type { FunctionInvoker, InvokeResult } from './types';

/** A function as Lambda's GetFunctionConfiguration would describe it (the fields the world uses). */
export interface LambdaFunctionState {
  name: string;
  arn: string;
  roleArn: string;
  /** The bundle run in containers; absent for in-process functions, which are not persisted. */
  file?: string;
  handlerExport?: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  reservedConcurrency?: number;
  logGroupName: string;
  description?: string;
}

/** One statement of a function policy, as AddPermission writes it. */
export type FunctionPolicyStatement = {
  Sid: string;
  Effect: 'Allow';
  Principal: { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
};

// Type aliases (not interfaces), so a policy is a PolicyDocument without a cast.
export type FunctionPolicy = {
  Version: '2012-10-17';
  Id: 'default';
  Statement: FunctionPolicyStatement[];
};

export interface EventInvokeConfigState {
  functionName: string;
  qualifier: string;
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  lastModified: string;
}

export interface LambdaState {
  functions: LambdaFunctionState[];
  /** Function policies by function name. */
  policies: Record<string, FunctionPolicy>;
  eventInvokeConfigs: EventInvokeConfigState[];
}

export function emptyLambdaState(): LambdaState {
  return { functions: [], policies: {}, eventInvokeConfigs: [] };
}

export interface LambdaServiceOptions {
  state: LambdaState;
  region: string;
  accountId: string;
  runner: LambdaRunner;
  iam: IamService;
  authorizer: Authorizer;
  /** For event invoke config timestamps. Default: the system clock. */
  now?: () => number;
}

export interface CreateFunctionInput {
  name: string;
  roleArn: string;
  /** The bundle to run in containers (e.g. dist/lambda/rotation/index.js). */
  file?: string;
  /** Instead of `file`: a handler run in the runner's process (tests). Not persisted. */
  handler?: InProcessHandler;
  /** Default 'handler'. */
  handlerExport?: string;
  environment?: Record<string, string>;
  /** Default 3, as Lambda's. */
  timeoutSeconds?: number;
  /** Default 128. */
  memoryMb?: number;
  reservedConcurrency?: number;
  /** Default `/aws/lambda/<name>`. */
  logGroupName?: string;
  description?: string;
}

export interface AddPermissionInput {
  functionName: string;
  statementId: string;
  /** e.g. `lambda:InvokeFunction`. */
  action: string;
  /** A service principal (`secretsmanager.amazonaws.com`), an account id, or an IAM ARN. */
  principal: string;
  sourceArn?: string;
  sourceAccount?: string;
}

export interface PutEventInvokeConfigInput {
  functionName: string;
  /** Default `$LATEST`. */
  qualifier?: string;
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
}

/** Who invokes: a principal, and for AWS services the resource and account they act for. */
export interface InvokeCaller {
  principal: Principal;
  /** `aws:SourceArn`, e.g. the secret being rotated or the topic delivering. */
  sourceArn?: string;
  /** `aws:SourceAccount`. */
  sourceAccount?: string;
}

export interface FunctionSummary {
  name: string;
  arn: string;
  roleArn: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  reservedConcurrency?: number;
  logGroupName: string;
}

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ROLE_ARN = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const STATEMENT_ID = /^[a-zA-Z0-9-_]{1,100}$/;
const ACCOUNT_ID = /^\d{12}$/;
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_MB = 128;
const EMPTY_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [] };
const LAMBDA_SERVICE: Principal = { kind: 'service', service: 'lambda.amazonaws.com' };

/** Lambda API reference "CreateFunction" (InvalidParameterValueException). */
const ROLE_CANNOT_BE_ASSUMED = 'The role defined for the function cannot be assumed by Lambda.';

/** A local Lambda service: create, permit, configure and invoke functions as AWS authorizes them. */
export class LambdaService {
  private readonly state: LambdaState;
  private readonly region: string;
  private readonly accountId: string;
  private readonly runner: LambdaRunner;
  private readonly iam: IamService;
  private readonly authorizer: Authorizer;
  private readonly now: () => number;
  /** In-process functions: runnable, but not in the persisted state. */
  private readonly inProcess = new Map<string, LambdaFunctionState>();

  constructor(options: LambdaServiceOptions) {
    this.state = options.state;
    this.region = options.region;
    this.accountId = options.accountId;
    this.runner = options.runner;
    this.iam = options.iam;
    this.authorizer = options.authorizer;
    this.now = options.now ?? Date.now;
    this.restore();
  }

  /**
   * CreateFunction: refused unless the execution role's trust policy lets lambda.amazonaws.com
   * assume it; the function then runs with a session of that role.
   */
  async createFunction(input: CreateFunctionInput): Promise<{ arn: string }> {
    if (!FUNCTION_NAME.test(input.name)) {
      throw validationError(
        'functionName',
        input.name,
        'Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+',
      );
    }
    if (!ROLE_ARN.test(input.roleArn)) {
      throw validationError(
        'role',
        input.roleArn,
        'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+',
      );
    }
    if ((input.file === undefined) === (input.handler === undefined)) {
      throw new AwsError(
        'InvalidParameterValueException',
        'Exactly one of file and handler must be given.',
      );
    }
    const timeoutSeconds = input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    const memoryMb = input.memoryMb ?? DEFAULT_MEMORY_MB;
    assertRange('timeout', timeoutSeconds, 1, 900);
    assertRange('memorySize', memoryMb, 128, 10240);
    if (input.reservedConcurrency !== undefined) {
      assertRange('reservedConcurrentExecutions', input.reservedConcurrency, 1, 1000);
    }
    assertNoReservedKeys(input.environment ?? {});
    if (this.find(input.name)) {
      throw new AwsError('ResourceConflictException', `Function already exist: ${input.name}`, 409);
    }
    const arn = this.functionArn(input.name);
    // Lambda API reference "CreateFunction": Lambda assumes the execution role when the
    // function is created, so a role that does not trust lambda.amazonaws.com is refused.
    await this.assertLambdaCanAssume(input.roleArn, arn);

    const fn: LambdaFunctionState = {
      name: input.name,
      arn,
      roleArn: input.roleArn,
      ...(input.file === undefined ? {} : { file: input.file }),
      ...(input.handlerExport === undefined ? {} : { handlerExport: input.handlerExport }),
      environment: { ...input.environment },
      timeoutSeconds,
      memoryMb,
      ...(input.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: input.reservedConcurrency }),
      logGroupName: input.logGroupName ?? `/aws/lambda/${input.name}`,
      ...(input.description === undefined ? {} : { description: input.description }),
    };
    this.register(fn, input.handler);
    // In-process handlers cannot be written to a state file.
    if (fn.file !== undefined) this.state.functions.push(fn);
    else this.inProcess.set(fn.name, fn);
    return { arn };
  }

  /** Functions created through this service, in-process ones included. */
  /** Whether a function (by name, ARN or `$LATEST` ARN) was created through this service. */
  hasFunction(functionArnOrName: string): boolean {
    try {
      this.resolve(functionArnOrName);
      return true;
    } catch {
      return false;
    }
  }

  functions(): FunctionSummary[] {
    return [...this.state.functions, ...this.inProcess.values()].map((fn) => ({
      name: fn.name,
      arn: fn.arn,
      roleArn: fn.roleArn,
      environment: { ...fn.environment },
      timeoutSeconds: fn.timeoutSeconds,
      memoryMb: fn.memoryMb,
      logGroupName: fn.logGroupName,
      ...(fn.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: fn.reservedConcurrency }),
    }));
  }

  /**
   * AddPermission: adds one statement to the function policy, written as Lambda writes it
   * (Lambda developer guide "Viewing resource-based IAM policies in Lambda").
   */
  addPermission(input: AddPermissionInput): FunctionPolicyStatement {
    const fn = this.resolve(input.functionName);
    if (!STATEMENT_ID.test(input.statementId)) {
      throw validationError(
        'statementId',
        input.statementId,
        'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)',
      );
    }
    if (!/^lambda:[*a-zA-Z]+$/.test(input.action)) {
      throw validationError(
        'action',
        input.action,
        'Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])',
      );
    }
    const policy = (this.state.policies[fn.name] ??= {
      Version: '2012-10-17',
      Id: 'default',
      Statement: [],
    });
    if (policy.Statement.some((statement) => statement.Sid === input.statementId)) {
      throw new AwsError(
        'ResourceConflictException',
        `The statement id (${input.statementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
        409,
      );
    }
    const condition: Record<string, Record<string, string>> = {};
    // AddPermission: SourceAccount becomes StringEquals AWS:SourceAccount, SourceArn ArnLike AWS:SourceArn.
    if (input.sourceAccount !== undefined) {
      condition.StringEquals = { 'AWS:SourceAccount': input.sourceAccount };
    }
    if (input.sourceArn !== undefined) {
      condition.ArnLike = { 'AWS:SourceArn': input.sourceArn };
    }
    const statement: FunctionPolicyStatement = {
      Sid: input.statementId,
      Effect: 'Allow',
      Principal: policyPrincipal(input.principal),
      Action: input.action,
      Resource: fn.arn,
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
    policy.Statement.push(statement);
    this.authorizer.invalidate();
    return structuredClone(statement);
  }

  /** RemovePermission. */
  removePermission(functionName: string, statementId: string): void {
    const fn = this.resolve(functionName);
    const policy = this.state.policies[fn.name];
    const index = policy?.Statement.findIndex((statement) => statement.Sid === statementId) ?? -1;
    if (policy === undefined || index === -1) {
      throw new AwsError(
        'ResourceNotFoundException',
        'The resource you requested does not exist.',
        404,
      );
    }
    policy.Statement.splice(index, 1);
    if (policy.Statement.length === 0) delete this.state.policies[fn.name];
    this.authorizer.invalidate();
  }

  /** GetPolicy: the function policy, or ResourceNotFoundException when it has none. */
  getPolicy(functionName: string): FunctionPolicy {
    const fn = this.resolve(functionName);
    const policy = this.state.policies[fn.name];
    if (policy === undefined) {
      throw new AwsError(
        'ResourceNotFoundException',
        'The resource you requested does not exist.',
        404,
      );
    }
    return structuredClone(policy);
  }

  /** PutFunctionEventInvokeConfig: retries and event age of asynchronous invocations. */
  putEventInvokeConfig(input: PutEventInvokeConfigInput): EventInvokeConfigState {
    const fn = this.resolve(input.functionName);
    const qualifier = input.qualifier ?? '$LATEST';
    if (qualifier !== '$LATEST') {
      throw new AwsError(
        'ResourceNotFoundException',
        `The function ${fn.arn}:${qualifier} doesn't exist.`,
        404,
      );
    }
    if (input.maximumRetryAttempts !== undefined) {
      assertRange('maximumRetryAttempts', input.maximumRetryAttempts, 0, 2);
    }
    if (input.maximumEventAgeInSeconds !== undefined) {
      assertRange('maximumEventAgeInSeconds', input.maximumEventAgeInSeconds, 60, 21600);
    }
    const config: EventInvokeConfigState = {
      functionName: fn.name,
      qualifier,
      ...(input.maximumRetryAttempts === undefined
        ? {}
        : { maximumRetryAttempts: input.maximumRetryAttempts }),
      ...(input.maximumEventAgeInSeconds === undefined
        ? {}
        : { maximumEventAgeInSeconds: input.maximumEventAgeInSeconds }),
      lastModified: new Date(this.now()).toISOString(),
    };
    this.state.eventInvokeConfigs = this.state.eventInvokeConfigs.filter(
      (existing) => !(existing.functionName === fn.name && existing.qualifier === qualifier),
    );
    this.state.eventInvokeConfigs.push(config);
    return { ...config };
  }

  /** GetFunctionEventInvokeConfig. */
  getEventInvokeConfig(functionName: string, qualifier = '$LATEST'): EventInvokeConfigState {
    const fn = this.resolve(functionName);
    const config = this.state.eventInvokeConfigs.find(
      (candidate) => candidate.functionName === fn.name && candidate.qualifier === qualifier,
    );
    if (config === undefined) {
      throw new AwsError(
        'ResourceNotFoundException',
        `The function ${fn.arn} doesn't have an EventInvokeConfig`,
        404,
      );
    }
    return { ...config };
  }

  /**
   * Invoke (RequestResponse): `lambda:InvokeFunction` on the function, evaluated with the
   * caller's identity policies and the function policy; a denial throws AccessDeniedException
   * (403). Then the runner runs the function; its failures are `ok: false` results.
   */
  async invoke(
    functionArnOrName: string,
    event: unknown,
    caller: InvokeCaller,
  ): Promise<InvokeResult> {
    const fn = this.resolve(functionArnOrName);
    await this.authorizeInvoke(fn, caller);
    return this.runner.invoke(fn.arn, event);
  }

  /**
   * Invoke with InvocationType=Event, as SNS and EventBridge Scheduler call Lambda: authorized
   * like `invoke` (a denial throws), then the function is retried on error up to the event
   * invoke config's MaximumRetryAttempts (default 2, without Lambda's waits between attempts).
   * Resolves with the last attempt's result (Lambda developer guide "Invoking a Lambda function
   * asynchronously").
   */
  async invokeEvent(
    functionArnOrName: string,
    event: unknown,
    caller: InvokeCaller,
  ): Promise<InvokeResult & { attempts: number }> {
    const fn = this.resolve(functionArnOrName);
    await this.authorizeInvoke(fn, caller);
    const retries =
      this.state.eventInvokeConfigs.find(
        (config) => config.functionName === fn.name && config.qualifier === '$LATEST',
      )?.maximumRetryAttempts ?? 2;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const result = await this.runner.invoke(fn.arn, event);
      if (result.ok || attempts > retries) return { ...result, attempts };
    }
  }

  /** Invoke as an AWS service principal (e.g. `secretsmanager.amazonaws.com`) acting for `source`. */
  invokeAsService(
    service: string,
    functionArnOrName: string,
    event: unknown,
    source: { sourceArn?: string; sourceAccount?: string } = {},
  ): Promise<InvokeResult> {
    return this.invoke(functionArnOrName, event, {
      principal: { kind: 'service', service },
      ...source,
    });
  }

  /**
   * A FunctionInvoker for callers that only pass (arn, event), such as the rotation
   * orchestrator. `sourceOf` derives the per-call source from the event.
   */
  invokerFor(
    principal: Principal,
    sourceOf: (event: unknown) => { sourceArn?: string; sourceAccount?: string } = () => ({}),
  ): FunctionInvoker {
    return {
      invoke: (functionArnOrName, event) =>
        this.invoke(functionArnOrName, event, { principal, ...sourceOf(event) }),
    };
  }

  /**
   * The invoker Secrets Manager uses for rotation: `secretsmanager.amazonaws.com` with
   * `aws:SourceArn` = the event's SecretId (the secret's ARN) and `aws:SourceAccount` = this
   * account (Secrets Manager user guide "Permissions for rotation").
   */
  secretsManagerInvoker(): FunctionInvoker {
    return this.invokerFor(
      { kind: 'service', service: 'secretsmanager.amazonaws.com' },
      (event) => {
        const secretId =
          typeof event === 'object' && event !== null && 'SecretId' in event
            ? event.SecretId
            : undefined;
        return {
          ...(typeof secretId === 'string' ? { sourceArn: secretId } : {}),
          sourceAccount: this.accountId,
        };
      },
    );
  }

  private async authorizeInvoke(fn: LambdaFunctionState, caller: InvokeCaller): Promise<void> {
    const context: Record<string, string> = {};
    if (caller.sourceArn !== undefined) context['aws:SourceArn'] = caller.sourceArn;
    if (caller.sourceAccount !== undefined) context['aws:SourceAccount'] = caller.sourceAccount;
    // A function without a policy has no statements; for a service or another account's caller
    // that empty policy is what decides, and the denial says so, as Lambda's does.
    const sameAccount =
      caller.principal.kind === 'role' && caller.principal.accountId === this.accountId;
    const policy: PolicyDocument | undefined =
      this.state.policies[fn.name] ?? (sameAccount ? undefined : EMPTY_POLICY);
    const request: AuthorizationRequest = {
      principal: caller.principal,
      action: 'lambda:InvokeFunction',
      resource: fn.arn,
      resourceAccount: this.accountId,
      ...(policy === undefined ? {} : { resourcePolicy: policy }),
      context,
    };
    try {
      await this.authorizer.authorize(request);
    } catch (error) {
      // Lambda sends AccessDeniedException with HTTP 403.
      if (error instanceof AwsError) throw new AwsError(error.type, error.message, 403);
      throw error;
    }
  }

  private async assertLambdaCanAssume(roleArn: string, functionArn: string): Promise<void> {
    try {
      await this.iam.assumeRole(this.authorizer, LAMBDA_SERVICE, roleArn, 'lambda-create', {
        'aws:SourceAccount': this.accountId,
        'aws:SourceArn': functionArn,
      });
    } catch (error) {
      if (error instanceof AwsError) {
        throw new AwsError('InvalidParameterValueException', ROLE_CANNOT_BE_ASSUMED);
      }
      throw error;
    }
  }

  /** Registers the function in the runner with a session of its execution role. */
  private register(fn: LambdaFunctionState, handler?: InProcessHandler): void {
    const settings = {
      timeoutMs: fn.timeoutSeconds * 1000,
      memoryMb: fn.memoryMb,
      ...(fn.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: fn.reservedConcurrency }),
      environment: fn.environment,
      logGroupName: fn.logGroupName,
    };
    const registeredArn =
      handler !== undefined
        ? this.runner.register(fn.name, { kind: 'in-process', handler, ...settings })
        : this.runner.register(fn.name, {
            kind: 'bundle',
            file: fn.file ?? '',
            ...(fn.handlerExport === undefined ? {} : { handlerExport: fn.handlerExport }),
            // Lambda developer guide "Defining Lambda function permissions with an execution role".
            credentials: this.iam.issueCredentials(fn.roleArn, fn.name),
            ...settings,
          });
    if (registeredArn !== fn.arn) {
      throw new Error(
        `The LambdaRunner names ${fn.name} ${registeredArn}, not ${fn.arn}: give it the same region and account`,
      );
    }
  }

  /** Registers the persisted (bundled) functions again after a restart. */
  private restore(): void {
    this.state.functions = this.state.functions.filter((fn) => fn.file !== undefined);
    for (const fn of this.state.functions) this.register(fn);
  }

  private functionArn(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
  }

  private find(name: string): LambdaFunctionState | undefined {
    return this.state.functions.find((fn) => fn.name === name) ?? this.inProcess.get(name);
  }

  /** A function by name, ARN, partial ARN or `$LATEST`-qualified ARN of this region and account. */
  private resolve(functionArnOrName: string): LambdaFunctionState {
    const match =
      /^(?:arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:|(\d{12}):function:)?([a-zA-Z0-9_-]+)(?::(\$LATEST))?$/.exec(
        functionArnOrName,
      );
    const fn =
      match !== null &&
      (match[1] === undefined || match[1] === this.region) &&
      (match[2] ?? match[3] ?? this.accountId) === this.accountId
        ? this.find(match[4])
        : undefined;
    if (fn === undefined) {
      const arn = functionArnOrName.startsWith('arn:')
        ? functionArnOrName
        : this.functionArn(functionArnOrName);
      throw new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
    }
    return fn;
  }
}

/** AddPermission's Principal: a service name, an account (as its root ARN), or an IAM ARN. */
function policyPrincipal(principal: string): { Service: string } | { AWS: string } {
  if (ACCOUNT_ID.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (principal.startsWith('arn:') || principal === '*') return { AWS: principal };
  if (/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(principal)) return { Service: principal };
  throw validationError(
    'principal',
    principal,
    'Member must satisfy regular expression pattern: [^\\s]+',
  );
}

function assertRange(member: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw validationError(member, value, `Member must have value greater than or equal to ${min}`);
  }
  if (value > max) {
    throw validationError(member, value, `Member must have value less than or equal to ${max}`);
  }
}

/** Lambda developer guide "Defined runtime environment variables": reserved keys are refused. */
function assertNoReservedKeys(environment: Record<string, string>): void {
  const reserved = Object.keys(environment).filter((key) => RESERVED_VARIABLES.includes(key));
  if (reserved.length > 0) {
    throw new AwsError(
      'InvalidParameterValueException',
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
}
