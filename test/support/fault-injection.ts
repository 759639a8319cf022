/**
 * Every outbound call of a rotation handler run in-process, named and numbered per invocation,
 * with a hook that can fail it. AWS calls are intercepted by an SDK middleware (a failure there
 * stands for what the SDK surfaces once its own retries are spent); vendor calls go through the
 * real HttpClient to the simulators, whose injected faults exercise its retries.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import {
  HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  type HttpResponse,
} from '../../lambda/http/client';
import type { RotationStep } from '../../lambda/rotation/event';

export type CallService = 'secretsmanager' | 'kms' | 'sns' | 'vendor';

/** One outbound call, as a fault plan targets it. */
export interface OutboundCall {
  readonly service: CallService;
  /** `GetSecretValue`, `DescribeKey`, `Publish`, or `POST /api/organizations/:id/users/:id/keys`. */
  readonly operation: string;
  readonly step: RotationStep | undefined;
  /** The invocation's sequence number in this process. */
  readonly invocation: number;
  /** Position of the call among the calls of its invocation, from 0. */
  readonly index: number;
  /** Set for vendor calls: the request's origin and path. */
  readonly origin?: string;
  readonly path?: string;
  readonly method?: string;
}

/** Wraps one outbound call: call `proceed` to let it happen. */
export type CallInterceptor = <T>(call: OutboundCall, proceed: () => Promise<T>) => Promise<T>;

interface InvocationScope {
  readonly step: RotationStep | undefined;
  readonly invocation: number;
  calls: number;
}

/** Attributes calls to the invocation they belong to, even when invocations overlap. */
export class CallTracer {
  private readonly scope = new AsyncLocalStorage<InvocationScope>();
  private invocations = 0;
  /** Replaced by tests; the default lets every call through. */
  interceptor: CallInterceptor = (_call, proceed) => proceed();

  /** Runs one handler invocation inside its own call-numbering scope. */
  runInvocation<T>(step: RotationStep | undefined, run: () => Promise<T>): Promise<T> {
    this.invocations += 1;
    return this.scope.run({ step, invocation: this.invocations, calls: 0 }, run);
  }

  around<T>(
    service: CallService,
    operation: string,
    proceed: () => Promise<T>,
    vendor?: Pick<OutboundCall, 'origin' | 'path' | 'method'>,
  ): Promise<T> {
    const scope = this.scope.getStore();
    const call: OutboundCall = {
      service,
      operation,
      step: scope?.step,
      invocation: scope?.invocation ?? 0,
      index: scope === undefined ? -1 : scope.calls++,
      ...vendor,
    };
    return this.interceptor(call, proceed);
  }

  /** Adds the interception middleware to an AWS SDK v3 client. */
  instrument<Input extends object, Output extends object>(
    client: { middlewareStack: MiddlewareStack<Input, Output> },
    service: Exclude<CallService, 'vendor'>,
  ): void {
    const middleware: InitializeMiddleware<Input, Output> = (next, context) => (args) =>
      this.around(service, (context.commandName ?? 'Unknown').replace(/Command$/, ''), () =>
        next(args),
      );
    client.middlewareStack.add(middleware, { step: 'initialize', name: 'safetyCallTracer' });
  }
}

/** The product's HttpClient, each request traced (and possibly failed) first. */
export class TracedHttpClient extends HttpClient {
  constructor(
    options: HttpClientOptions,
    private readonly tracer: CallTracer,
  ) {
    super(options);
  }

  override request(req: HttpRequest): Promise<HttpResponse> {
    return this.tracer.around(
      'vendor',
      `${req.method} ${routeOf(req.url.pathname)}`,
      () => super.request(req),
      { origin: req.url.origin, path: req.url.pathname, method: req.method },
    );
  }
}

/**
 * The same call of any secret gets the same name, whatever vendor: path segments holding ids
 * (any segment with a digit or an underscore, API versions such as `v1` aside) become `:id`, e.g.
 * `/api/organizations/:id/users/:id/keys`, `/v1/keys/:id`.
 */
function routeOf(path: string): string {
  return path
    .split('/')
    .map((segment) => (isIdSegment(segment) ? ':id' : segment))
    .join('/');
}

/** Ids are random: a digit is likely but not certain (`key_AbCd…`), a prefix's `_` is. */
function isIdSegment(segment: string): boolean {
  if (/^v\d+$/.test(segment)) return false;
  return /\d/.test(segment) || segment.includes('_');
}

/** The fault kinds of the matrix. */
export const FAULT_KINDS = [
  'timeout',
  '5xx',
  '429',
  'reset',
  'commit-then-drop',
  'malformed',
  'killed',
  'kms-disabled',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A never-settling promise: what a killed function's pending call turns into. */
export function frozen<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/** The error the AWS SDK surfaces for a fault once its own retries are spent. */
export function awsFaultError(kind: Exclude<FaultKind, 'killed' | 'kms-disabled'>): Error {
  const shapes: Record<
    typeof kind,
    { name: string; message: string; status?: number; code?: string }
  > = {
    timeout: { name: 'TimeoutError', message: 'Connection timed out after 3000 ms' },
    '5xx': {
      name: 'InternalServiceError',
      message: 'An error occurred on the server side.',
      status: 500,
    },
    '429': { name: 'ThrottlingException', message: 'Rate exceeded', status: 400 },
    reset: { name: 'Error', message: 'socket hang up', code: 'ECONNRESET' },
    'commit-then-drop': { name: 'Error', message: 'socket hang up', code: 'ECONNRESET' },
    malformed: {
      name: 'SyntaxError',
      message:
        'Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
      status: 200,
    },
  };
  const shape = shapes[kind];
  return Object.assign(new Error(shape.message), {
    name: shape.name,
    ...(shape.code === undefined ? {} : { code: shape.code }),
    $metadata: { httpStatusCode: shape.status, attempts: 3 },
  });
}
