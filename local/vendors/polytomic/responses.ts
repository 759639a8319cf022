/** Polytomic's response bodies: `{"data": …}`, `ApiError` and, for 401s, `RestErrResponse`. */
import { STATUS_CODES } from 'node:http';
import type { VendorResponse } from '../shared/vendor-server';

export function ok(data: unknown): VendorResponse {
  return { status: 200, body: { data } };
}

/** Polytomic's `ApiError` body. */
export function apiError(status: number, message: string): VendorResponse {
  return { status, body: { status, message } };
}

/** Polytomic's `RestErrResponse` body, which its clients decode for 401s. */
export function unauthorized(message: string): VendorResponse {
  return { status: 401, body: { code: 401, status: STATUS_CODES[401], error: message } };
}
