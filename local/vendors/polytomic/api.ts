/**
 * Polytomic's API as the rotator uses it: `GET /api/me`,
 * `POST /api/organizations/{org_id}/users/{id}/keys?force=`, and the partner endpoints that
 * onboard a customer (`GET|POST /api/organizations`, `GET|POST /api/organizations/{org_id}/users`),
 * with Polytomic's error bodies (`RestErrResponse` for 401, `ApiError` otherwise), version header
 * and idempotency keys.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../aws/types';
import { bearerToken, headerValue } from '../shared/http-io';
import { IdempotencyStore } from '../shared/idempotency';
import type { KeyLedger } from '../shared/ledger';
import type { LedgerEntry } from '../types';
import type { VendorDialect, VendorRequest, VendorResponse } from '../shared/vendor-server';
import type { PolytomicDirectory } from './directory';
import { PARTNER_ROUTES, partnerRoutes } from './partner-routes';
import { apiError, ok, unauthorized } from './responses';

export const POLYTOMIC_ROUTES = {
  me: '/api/me',
  userKeys: '/api/organizations/:org/users/:user/keys',
  ...PARTNER_ROUTES,
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
  const partnerEndpoints = partnerRoutes(directory);

  /**
   * Runs a POST once per Idempotency-Key: a repeat of the same request (method, path, query and
   * body) replays the first outcome, errors included; another request with the key is refused.
   */
  const idempotent = (
    request: VendorRequest,
    caller: LedgerEntry,
    signature: string,
    handle: () => VendorResponse,
  ): VendorResponse => {
    const idempotencyKey = headerValue(request.headers, 'idempotency-key');
    if (idempotencyKey === undefined) return handle();
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
      return apiError(
        400,
        'Idempotency-Key must be 8 to 255 alphanumeric characters, dashes or underscores.',
      );
    }
    const previous = idempotency.lookup(caller.sha256, idempotencyKey, signature);
    if (previous.kind === 'replay') return previous.response;
    if (previous.kind === 'mismatch') {
      return apiError(422, 'Idempotency-Key was already used with a different request.');
    }
    const response = handle();
    idempotency.remember(caller.sha256, idempotencyKey, signature, response);
    return response;
  };

  /** The partner endpoints for organizations and users; partner keys only. */
  const partnerCall = (
    request: VendorRequest,
    caller: LedgerEntry,
    pattern: string,
    params: Readonly<Record<string, string>>,
  ): VendorResponse => {
    if (caller.kind !== 'partner') {
      return apiError(
        403,
        'Organization and user endpoints are only accessible using partner keys.',
      );
    }
    const bodyHash = createHash('sha256').update(request.body).digest('hex');
    const signature = `${request.method} ${request.path} ${bodyHash}`;
    if (pattern === POLYTOMIC_ROUTES.organizations) {
      return request.method === 'GET'
        ? partnerEndpoints.listOrganizations()
        : idempotent(request, caller, signature, () =>
            partnerEndpoints.createOrganization(request.body),
          );
    }
    return request.method === 'GET'
      ? partnerEndpoints.listUsers(params.org)
      : idempotent(request, caller, signature, () =>
          partnerEndpoints.createUser(params.org, request.body),
        );
  };

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
    const value = request.fault?.kind === 'issued-value' ? request.fault.value : undefined;
    const signature = `${request.method} ${request.path}?force=${String(force)}`;
    return idempotent(request, caller, signature, () => issue(params, force, value));
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
      { method: 'GET', pattern: POLYTOMIC_ROUTES.organizations },
      { method: 'POST', pattern: POLYTOMIC_ROUTES.organizations },
      { method: 'GET', pattern: POLYTOMIC_ROUTES.organizationUsers },
      { method: 'POST', pattern: POLYTOMIC_ROUTES.organizationUsers },
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

      const { pattern } = resolution.route;
      if (pattern === POLYTOMIC_ROUTES.me) return me(caller);
      if (pattern === POLYTOMIC_ROUTES.userKeys) {
        return createKey(request, caller, resolution.match.params);
      }
      return partnerCall(request, caller, pattern, resolution.match.params);
    },
  };
}

function servedVersion(request: VendorRequest): string {
  const requested = headerValue(request.headers, 'x-polytomic-version');
  return requested !== undefined && POLYTOMIC_VERSIONS.includes(requested)
    ? requested
    : POLYTOMIC_VERSIONS[0];
}
