import type { HttpResponse } from '../http/client';
import { fingerprint } from '../shared/fingerprint';
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
