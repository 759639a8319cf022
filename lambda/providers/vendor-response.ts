import type { HttpResponse } from '../http/client';
import { fingerprint } from '../shared/fingerprint';
import { quoteUntrusted, UNTRUSTED_ID_MAX_LENGTH } from '../shared/untrusted-text';
import { KeyRejectedError, VendorResponseError } from './errors';

/** Parses a vendor's JSON body, failing with the operation's name rather than a SyntaxError. */
export function parseJsonBody(operation: string, response: HttpResponse): unknown {
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    throw new VendorResponseError(
      operation,
      'the response is not JSON',
      response.status,
      response.requestId,
    );
  }
}

/** Reads `object.a.b…` as a string, or undefined. */
export function stringAt(value: unknown, ...path: string[]): string | undefined {
  let node = value;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'string' ? node : undefined;
}

/**
 * A field of the vendor's answer (an id, an error message), safe to put in a log line or an
 * error: capped, printable ASCII, key-shaped tokens and the credentials the request sent
 * redacted. A missing value is `(none)`. Compare the raw value; print only this.
 */
export function quoteVendorText(
  response: HttpResponse,
  value: string | undefined,
  maxLength = UNTRUSTED_ID_MAX_LENGTH,
): string {
  if (value === undefined) return '(none)';
  // A response the client did not make (a stub) has no credentials to redact; shapes still are.
  return response.quote?.(value, maxLength) ?? quoteUntrusted(value, { maxLength });
}

/** A 401/403 means the vendor refused the key itself: name it by fingerprint. */
export function assertKeyAccepted(
  response: HttpResponse,
  keyRole: KeyRejectedError['keyRole'],
  key: string,
): void {
  if (response.status === 401 || response.status === 403) {
    throw new KeyRejectedError(keyRole, fingerprint(key), response.status, response.requestId);
  }
}

/** Anything but 2xx is an answer the operation cannot use. */
export function assertSuccess(operation: string, response: HttpResponse): void {
  if (response.status < 200 || response.status > 299) {
    throw new VendorResponseError(
      operation,
      `unexpected status ${response.status}`,
      response.status,
      response.requestId,
    );
  }
}
