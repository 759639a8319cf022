import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { OperationTable } from './operations';
import type { AccessPolicy } from './access';
import type { SnsService } from './sns';
import type { JsonObject } from './input';
import type { Principal } from './authorization';
import { AwsError, isAwsError } from './errors';
import { InputReader } from './input';
import {
  accessKeyIdOf,
  parseJsonBody,
  readBody,
  sendJson,
  sendJsonError,
  sendPlainJson,
  sendXml,
} from './protocol';
import { snsErrorXml } from './sns';

/** One AWS JSON 1.1 service reachable through `X-Amz-Target: <targetPrefix>.<Operation>`. */
export interface JsonService {
  targetPrefix: string;
  /** The IAM service prefix used in access checks, e.g. `kms`. */
  iamPrefix: string;
  operations: OperationTable;
  /** The error type for unexpected failures (InternalServiceError, KMSInternalException). */
  internalErrorType: string;
  /** The identifiers and IAM resource name of the resource a request addresses. */
  resourceOf(input: JsonObject): { ids: string[]; resource: string };
  /** Evaluates the caller's policies and the resource's policy; throws the service's denial. */
  authorize(operation: string, input: JsonObject, principal: Principal): Promise<void>;
}

/** The read-only views and actions served under `/_emulator/`. */
export interface AdminViews {
  calls(): Record<string, number>;
  rotations(secretId?: string): unknown;
  messages(topicArn?: string): unknown;
  runDueRotations(): Promise<number>;
}

export interface RequestHandlerOptions {
  services: JsonService[];
  sns: SnsService;
  access: AccessPolicy;
  /** The principal a request's access key id belongs to; throws for keys nobody issued. */
  resolveCaller(accessKeyId: string | undefined): Principal;
  admin: AdminViews;
  maxBodyBytes: number;
  countCall(target: string): void;
  /** Called after every handled request, so state changes can be persisted. */
  afterRequest(): void;
}

function internalError(type: string, error: unknown): AwsError {
  // Only the error's class reaches the log: messages could quote request data.
  console.error(`aws emulator: unexpected ${error instanceof Error ? error.name : typeof error}`);
  return new AwsError(type, 'An error occurred on the server side.', 500);
}

async function handleAdmin(
  request: IncomingMessage,
  response: ServerResponse,
  admin: AdminViews,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://emulator');
  const route = `${request.method ?? 'GET'} ${url.pathname}`;
  const param = (name: string): string | undefined => url.searchParams.get(name) ?? undefined;
  switch (route) {
    case 'GET /_emulator/calls':
      return sendPlainJson(response, admin.calls());
    case 'GET /_emulator/rotations':
      return sendPlainJson(response, admin.rotations(param('secretId')));
    case 'GET /_emulator/messages':
      return sendPlainJson(response, admin.messages(param('topicArn')));
    case 'POST /_emulator/run-due-rotations':
      return sendPlainJson(response, { started: await admin.runDueRotations() });
    default:
      return sendPlainJson(response, { message: `No emulator route ${route}` }, 404);
  }
}

/** Runs one JSON 1.1 operation for `principal`: authorization, then the operation. */
export async function runJsonOperation(
  services: readonly JsonService[],
  target: string,
  decoded: unknown,
  principal: Principal,
): Promise<unknown> {
  const separator = target.lastIndexOf('.');
  const operationName = target.slice(separator + 1);
  const service = services.find(
    (candidate) => candidate.targetPrefix === target.slice(0, separator),
  );
  const operation =
    service && Object.hasOwn(service.operations, operationName)
      ? service.operations[operationName]
      : undefined;
  if (!service || !operation)
    throw new AwsError('UnknownOperationException', `Unknown operation ${target}`);
  const input = InputReader.from(decoded);
  await service.authorize(operationName, decoded as JsonObject, principal);
  return operation(input, { principal });
}

async function handleJson(
  request: IncomingMessage,
  response: ServerResponse,
  target: string,
  options: RequestHandlerOptions,
): Promise<void> {
  const separator = target.lastIndexOf('.');
  const service = options.services.find(
    (candidate) => candidate.targetPrefix === target.slice(0, separator),
  );
  options.countCall(target);
  try {
    const body = await readBody(request, options.maxBodyBytes);
    const accessKeyId = accessKeyIdOf(request);
    const principal = options.resolveCaller(accessKeyId);
    const decoded = parseJsonBody(body);
    if (service) {
      InputReader.from(decoded); // refuses a body that is not a JSON object before rules read it
      const resource = service.resourceOf(decoded as JsonObject);
      options.access.check({
        action: `${service.iamPrefix}:${target.slice(separator + 1)}`,
        accessKeyId,
        resourceIds: resource.ids,
        resource: resource.resource,
      });
    }
    sendJson(response, await runJsonOperation(options.services, target, decoded, principal));
  } catch (error) {
    sendJsonError(
      response,
      isAwsError(error)
        ? error
        : internalError(service?.internalErrorType ?? 'InternalFailure', error),
    );
  }
}

async function handleSns(
  request: IncomingMessage,
  response: ServerResponse,
  options: RequestHandlerOptions,
): Promise<void> {
  try {
    const params = new URLSearchParams(
      (await readBody(request, options.maxBodyBytes)).toString('utf8'),
    );
    const action = params.get('Action') ?? 'Unknown';
    options.countCall(`sns.${action}`);
    const accessKeyId = accessKeyIdOf(request);
    const principal = options.resolveCaller(accessKeyId);
    options.access.check({
      action: `sns:${action}`,
      accessKeyId,
      resourceIds: [params.get('TopicArn') ?? params.get('Name') ?? ''],
      resource: params.get('TopicArn') ?? '*',
    });
    sendXml(response, await options.sns.handleAs(principal, params));
  } catch (error) {
    const failure = isAwsError(error) ? error : internalError('InternalError', error);
    sendXml(response, snsErrorXml(failure), failure.statusCode);
  }
}

/** Routes a request to the admin views, a JSON 1.1 service (by X-Amz-Target) or SNS (form-encoded). */
export function createRequestHandler(options: RequestHandlerOptions): RequestListener {
  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.url?.startsWith('/_emulator/'))
      return handleAdmin(request, response, options.admin);
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string') return handleJson(request, response, target, options);
    if ((request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return handleSns(request, response, options);
    }
    request.resume();
    sendJsonError(
      response,
      new AwsError(
        'UnknownOperationException',
        'Requests must carry X-Amz-Target or a form-encoded Action',
      ),
    );
  };
  return (request, response) => {
    route(request, response)
      .then(() => options.afterRequest())
      .catch(() => {
        if (!response.headersSent)
          sendJsonError(
            response,
            new AwsError('InternalFailure', 'An error occurred on the server side.', 500),
          );
        else response.destroy();
      });
  };
}
