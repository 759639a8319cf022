/**
 * Poelis's public API as the rotator uses it: `GET /v1/public/workspaces`, organization-scoped
 * Bearer keys, `{"error","message"}` bodies, per-organization rate limits and request ids.
 */
import type { Clock } from '../../aws/types';
import { bearerToken } from '../shared/http-io';
import type { KeyLedger } from '../shared/ledger';
import { rateLimitHeaders, TokenBucketLimiter } from '../shared/rate-limiter';
import type { VendorDialect, VendorRequest, VendorResponse } from '../shared/vendor-server';
import type { RateLimitOptions } from '../types';
import type { PoelisDirectory } from './directory';

export const POELIS_ROUTES = {
  workspaces: '/v1/public/workspaces',
} as const;

export const DEFAULT_POELIS_RATE_LIMIT: RateLimitOptions = { perMinute: 60, burst: 10 };

const ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'validation_error',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  422: 'validation_error',
  429: 'rate_limit_exceeded',
  500: 'internal_error',
  503: 'service_unavailable',
};

/** Callers without a valid key share one bucket; valid keys are limited per organization. */
const UNAUTHENTICATED_BUCKET = 'unauthenticated';

export function createPoelisDialect(
  directory: PoelisDirectory,
  ledger: KeyLedger,
  clock: Clock,
  rateLimit: RateLimitOptions,
): VendorDialect {
  const limiter = new TokenBucketLimiter(clock, rateLimit);

  const listWorkspaces = (request: VendorRequest, organizationId: string): VendorResponse => {
    const limit = integerParam(request.query, 'limit', 50, 1, 200);
    const offset = integerParam(request.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    if (typeof limit === 'string') return invalid('limit', limit);
    if (typeof offset === 'string') return invalid('offset', offset);
    const items = directory.workspacesOf(organizationId).slice(offset, offset + limit);
    return { status: 200, body: { items, count: items.length } };
  };

  return {
    routes: [{ method: 'GET', pattern: POELIS_ROUTES.workspaces }],
    commonHeaders: (request) => ({ 'X-Request-ID': request.requestId }),
    errorResponse: (_request, status, message, retryAfterSeconds) => {
      const response = poelisError(status, message);
      if (status !== 429) return response;
      // An injected 429 reports an exhausted allowance, as a real one would.
      const resetAt = Math.ceil(clock.now() / 1000) + (retryAfterSeconds ?? 1);
      return {
        ...response,
        headers: {
          'X-RateLimit-Limit': String(rateLimit.perMinute),
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(resetAt),
        },
      };
    },
    handle(request) {
      const token = bearerToken(request.headers);
      const caller = token === undefined ? undefined : ledger.liveEntryFor(token);
      const decision = limiter.take(
        caller === undefined ? UNAUTHENTICATED_BUCKET : `organization:${caller.organizationId}`,
      );
      const headers = rateLimitHeaders(decision);
      const answer = (response: VendorResponse): VendorResponse => ({ ...response, headers });

      if (!decision.allowed) return answer(poelisError(429, 'Too many requests'));
      if (caller === undefined) return answer(poelisError(401, 'Invalid or missing API key'));
      const { resolution } = request;
      if (resolution.kind === 'not-found') return answer(poelisError(404, 'Resource not found'));
      if (resolution.kind === 'method-not-allowed') {
        return answer(poelisError(405, 'Method Not Allowed'));
      }
      return answer(listWorkspaces(request, caller.organizationId));
    },
  };
}

function poelisError(status: number, message: string): VendorResponse {
  return { status, body: { error: ERROR_CODES[status] ?? 'error', message } };
}

function invalid(field: string, reason: string): VendorResponse {
  return {
    status: 422,
    body: {
      error: 'validation_error',
      message: 'Invalid query parameters',
      details: { field, reason },
    },
  };
}

/** An integer query parameter within bounds, its default when absent, or why it is invalid. */
function integerParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number | string {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) return `${name} must be an integer`;
  const value = Number(raw);
  if (value < min || value > max) return `${name} must be between ${min} and ${max}`;
  return value;
}
