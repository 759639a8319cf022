/** Small HTTP helpers shared by both simulators: headers, JSON bodies, writing responses. */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { SimulatorAdminError } from './admin-error';

/** A fully formed response, ready for the wire. */
export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType?: string;
  readonly payload?: string;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The first value of a request header, if present. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The token of an `Authorization: Bearer <token>` header; undefined when absent or another scheme. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headerValue(headers, 'authorization');
  const match = authorization === undefined ? null : /^Bearer +(\S+) *$/i.exec(authorization);
  return match === null ? undefined : match[1];
}

const MAX_ADMIN_BODY_BYTES = 1024 * 1024;

/** Reads a JSON object body; an empty body is `{}`. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY_BYTES)
      throw new SimulatorAdminError(400, 'Request body is too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SimulatorAdminError(400, 'Request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SimulatorAdminError(400, 'Request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** A required non-empty string field of an admin request body. */
export function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new SimulatorAdminError(400, `Field "${field}" must be a non-empty string.`);
  }
  return value;
}

/** An optional string field of an admin request body. */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new SimulatorAdminError(400, `Field "${field}" must be a string.`);
  return value;
}

export function jsonWire(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): WireResponse {
  return body === undefined
    ? { status, headers }
    : { status, headers, contentType: JSON_CONTENT_TYPE, payload: JSON.stringify(body) };
}

export function writeWire(res: ServerResponse, wire: WireResponse): void {
  const headers: Record<string, string | number> = { ...wire.headers };
  if (wire.contentType !== undefined) headers['Content-Type'] = wire.contentType;
  headers['Content-Length'] = Buffer.byteLength(wire.payload ?? '', 'utf8');
  res.writeHead(wire.status, headers);
  res.end(wire.payload ?? '');
}
