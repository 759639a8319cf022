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
 * do not replace it (latency, reset, commit-then-drop).
 */
export function injectedResponse(fault: FaultSpec, errorWire: ErrorWire): WireResponse | undefined {
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
    case 'latency':
    case 'reset':
    case 'commit-then-drop':
      return undefined;
  }
}

function wire(status: number, contentType: string, payload: string): WireResponse {
  return { status, headers: {}, contentType, payload };
}
