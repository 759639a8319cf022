/** The wire responses of the faults that replace a vendor's answer. */
import { STATUS_CODES } from 'node:http';
import type { FaultSpec } from '../types';
import { JSON_CONTENT_TYPE, type WireResponse } from './http-io';

/** How a vendor words an error, so injected 5xx and 429 look like the vendor's own. */
export type ErrorWire = (
  status: number,
  message: string,
  retryAfterSeconds?: number,
) => WireResponse;

const HUGE_BODY_BYTES = 8 * 1024 * 1024;
let hugePayload: string | undefined;

/** Valid JSON of about 8 MiB, built once. */
function hugeJson(): string {
  hugePayload ??= JSON.stringify({ padding: 'x'.repeat(HUGE_BODY_BYTES) });
  return hugePayload;
}

const SIGN_IN_PAGE =
  '<!DOCTYPE html><html><head><title>Sign in</title></head>' +
  '<body><h1>Sign in</h1><form method="post" action="/login"></form></body></html>';

/**
 * The response a fault puts on the wire instead of the vendor's; undefined for the kinds that
 * do not replace it (latency, reset, commit-then-drop). `authorization` is the request's
 * Authorization header, which `reflect-auth` echoes.
 */
export function injectedResponse(
  fault: FaultSpec,
  errorWire: ErrorWire,
  authorization = '',
): WireResponse | undefined {
  switch (fault.kind) {
    case 'status': {
      const status = fault.status ?? 500;
      return errorWire(status, STATUS_CODES[status] ?? 'Error');
    }
    case 'rate-limit': {
      const retryAfter = fault.retryAfterSeconds ?? 1;
      const wire = errorWire(429, 'Too many requests', retryAfter);
      return { ...wire, headers: { ...wire.headers, 'Retry-After': String(retryAfter) } };
    }
    case 'malformed-json':
      return wire(fault.status ?? 200, JSON_CONTENT_TYPE, '{"data": {"value": "');
    case 'html':
      return wire(fault.status ?? 200, 'text/html; charset=utf-8', SIGN_IN_PAGE);
    case 'empty':
      return wire(fault.status ?? 200, JSON_CONTENT_TYPE, '');
    case 'huge':
      return wire(fault.status ?? 200, JSON_CONTENT_TYPE, hugeJson());
    case 'redirect':
      return { status: fault.status ?? 302, headers: { Location: fault.location ?? '/login' } };
    case 'reflect-auth':
      return reflectedWire(fault, authorization);
    case 'latency':
    case 'reset':
    case 'commit-then-drop':
    case 'issued-value':
      return undefined;
  }
}

/**
 * A vendor or proxy echoing the request: the reflected text as the request id and as every
 * id and message field the rotator reads (Polytomic's `data`, Poelis' and Acme's top level).
 */
function reflectedWire(fault: FaultSpec, authorization: string): WireResponse {
  const text = (fault.reflected ?? '{authorization}').split('{authorization}').join(authorization);
  // A header can carry only tab, visible ASCII and Latin-1: the rest is dropped there, kept in the body.
  const headerText = text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
  const fields = {
    id: text,
    organization_id: text,
    account_id: text,
    key_id: text,
    error: text,
    message: text,
  };
  return {
    ...wire(fault.status ?? 200, JSON_CONTENT_TYPE, JSON.stringify({ ...fields, data: fields })),
    headers: { 'X-Request-Id': headerText },
  };
}

function wire(status: number, contentType: string, payload: string): WireResponse {
  return { status, headers: {}, contentType, payload };
}
