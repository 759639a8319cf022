/**
 * Polytomic's API as the rotator uses it: `GET /api/me` and
 * `POST /api/organizations/{org_id}/users/{id}/keys?force=`, with Polytomic's error bodies
 * (`RestErrResponse` for 401, `ApiError` otherwise), version header and idempotency keys.
 */
import { STATUS_CODES } from 'node:http';
import type { Clock } from '../../aws/types';
import { bearerToken, headerValue } from '../shared/http-io';
import { IdempotencyStore } from '../shared/idempotency';
import type { KeyLedger } from '../shared/ledger';
import type { LedgerEntry } from '../types';
import type { VendorDialect, VendorRequest, VendorResponse } from '../shared/vendor-server';
import type { PolytomicDirectory } from './directory';

export const POLYTOMIC_ROUTES = {
  me: '/api/me',
  userKeys: '/api/organizations/:org/users/:user/keys',
} as const;

/** Versions Polytomic documents as supported, newest first. */
export const POLYTOMIC_VERSIONS: readonly string[] = [
  '2025-09-18',
  '2024-02-08',
  '2023-04-25',
  '2022-12-12',
  '2021-05-23',
];

/** Polytomic keeps idempotency keys for at least 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** Polytomic's rule: 8 to 255 alphanumerics, dashes and underscores. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,255}$/;

export function createPolytomicDialect(
  directory: PolytomicDirectory,
  ledger: KeyLedger,
  clock: Clock,
): VendorDialect {
  const idempotency = new IdempotencyStore<VendorResponse>(clock, IDEMPOTENCY_TTL_MS);

  const me = (caller: LedgerEntry): VendorResponse => {
    if (caller.kind === 'partner') {
      const { partner } = directory;
      return ok({
        id: partner.id,
        email: partner.email,
        organization_id: partner.organizationId,
        organization_name: partner.organizationName,
        is_user: false,
        is_partner: true,
        is_organization: false,
        is_system: false,
        role: '',
      });
    }
    const user = directory.user(caller.userId ?? '');
    const organization = directory.organization(caller.organizationId);
    if (user === undefined || organization === undefined) return unauthorized('unknown user');
    return ok({
      id: user.id,
      email: user.email,
      organization_id: organization.id,
      organization_name: organization.name,
      is_user: true,
      is_partner: false,
      is_organization: false,
      is_system: false,
      role: user.role,
    });
  };

  const createKey = (
    request: VendorRequest,
    caller: LedgerEntry,
    params: Readonly<Record<string, string>>,
  ): VendorResponse => {
    if (caller.kind !== 'partner') {
      return apiError(403, 'User endpoints are only accessible using partner keys.');
    }
    const forceParam = request.query.get('force');
    if (forceParam !== null && forceParam !== 'true' && forceParam !== 'false') {
      return apiError(400, 'force must be true or false.');
    }
    const force = forceParam === 'true';
    const idempotencyKey = headerValue(request.headers, 'idempotency-key');
    const value = request.fault?.kind === 'issued-value' ? request.fault.value : undefined;
    if (idempotencyKey === undefined) return issue(params, force, value);
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
      return apiError(
        400,
        'Idempotency-Key must be 8 to 255 alphanumeric characters, dashes or underscores.',
      );
    }
    const signature = `${request.method} ${request.path}?force=${String(force)}`;
    const previous = idempotency.lookup(caller.sha256, idempotencyKey, signature);
    if (previous.kind === 'replay') return previous.response;
    if (previous.kind === 'mismatch') {
      return apiError(422, 'Idempotency-Key was already used with a different request.');
    }
    const response = issue(params, force, value);
    idempotency.remember(caller.sha256, idempotencyKey, signature, response);
    return response;
  };

  const issue = (
    params: Readonly<Record<string, string>>,
    force: boolean,
    value: string | undefined,
  ): VendorResponse => {
    const outcome = directory.createUserKey(params.org, params.user, force, value);
    switch (outcome.kind) {
      case 'issued':
        return ok({ value: outcome.value });
      case 'organization-not-found':
        return apiError(404, 'organization not found');
      case 'user-not-found':
        return apiError(404, 'user not found');
      case 'user-has-key':
        return apiError(409, 'user already has an API key; use force=true to replace it');
    }
  };

  return {
    routes: [
      { method: 'GET', pattern: POLYTOMIC_ROUTES.me },
      { method: 'POST', pattern: POLYTOMIC_ROUTES.userKeys },
    ],
    commonHeaders: (request) => ({ 'X-Polytomic-Version': servedVersion(request) }),
    errorResponse: (_request, status, message) =>
      status === 401 ? unauthorized(message) : apiError(status, message),
    handle(request) {
      // Stricter than Polytomic, which falls back to a default version: the rotator must pin one.
      const version = headerValue(request.headers, 'x-polytomic-version');
      if (version === undefined || version === '') {
        return apiError(400, 'The X-Polytomic-Version header is required.');
      }
      if (!POLYTOMIC_VERSIONS.includes(version)) {
        return apiError(400, `Unsupported X-Polytomic-Version "${version}".`);
      }
      const { resolution } = request;
      if (resolution.kind === 'not-found') return apiError(404, 'Not Found');
      if (resolution.kind === 'method-not-allowed') return apiError(405, 'Method Not Allowed');

      const token = bearerToken(request.headers);
      if (token === undefined) return unauthorized('missing bearer token');
      const caller = ledger.liveEntryFor(token);
      if (caller === undefined) return unauthorized('invalid or revoked API key');

      return resolution.route.pattern === POLYTOMIC_ROUTES.me
        ? me(caller)
        : createKey(request, caller, resolution.match.params);
    },
  };
}

function servedVersion(request: VendorRequest): string {
  const requested = headerValue(request.headers, 'x-polytomic-version');
  return requested !== undefined && POLYTOMIC_VERSIONS.includes(requested)
    ? requested
    : POLYTOMIC_VERSIONS[0];
}

function ok(data: unknown): VendorResponse {
  return { status: 200, body: { data } };
}

/** Polytomic's `ApiError` body. */
function apiError(status: number, message: string): VendorResponse {
  return { status, body: { status, message } };
}

/** Polytomic's `RestErrResponse` body, which its clients decode for 401s. */
function unauthorized(message: string): VendorResponse {
  return { status: 401, body: { code: 401, status: STATUS_CODES[401], error: message } };
}
