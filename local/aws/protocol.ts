import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { AwsError } from './errors';

export const AMZ_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Reads the whole request body; a body larger than `maxBytes` is drained, not kept, then refused. */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    request.on('end', () => {
      if (size <= maxBytes) resolve(Buffer.concat(chunks));
      else
        reject(
          new AwsError(
            'ValidationException',
            `Request body must not exceed ${maxBytes} bytes`,
            413,
          ),
        );
    });
    request.on('error', reject);
  });
}

/** The access key id of a SigV4 `Authorization` header; signatures are not verified. */
export function accessKeyIdOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /Credential=([^/,\s]+)\//.exec(header) : null;
  return match?.[1];
}

/** Decodes a JSON 1.1 body; an empty body is an empty request. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON');
  }
}

function send(
  response: ServerResponse,
  statusCode: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(statusCode, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  response.end(body);
}

export function sendJson(response: ServerResponse, output: unknown, statusCode = 200): void {
  send(response, statusCode, AMZ_JSON_CONTENT_TYPE, JSON.stringify(output ?? {}));
}

export function sendJsonError(response: ServerResponse, error: AwsError): void {
  send(
    response,
    error.statusCode,
    AMZ_JSON_CONTENT_TYPE,
    JSON.stringify({ __type: error.type, message: error.message }),
    { 'x-amzn-errortype': error.type },
  );
}

export function sendXml(response: ServerResponse, xml: string, statusCode = 200): void {
  send(response, statusCode, 'text/xml', xml);
}

export function sendPlainJson(response: ServerResponse, value: unknown, statusCode = 200): void {
  send(response, statusCode, 'application/json', JSON.stringify(value));
}

/** Epoch seconds, as AWS JSON 1.1 sends timestamps. */
export function epochSeconds(epochMs: number | undefined): number | undefined {
  return epochMs === undefined ? undefined : epochMs / 1000;
}
