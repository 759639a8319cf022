/**
 * Polytomic partner onboarding: with a partner key, find or create a customer organization and
 * its two service users, mint the primary user's first key, and prove it at `GET /api/me`
 * (the seed's partner workflow, with the endpoints of Polytomic's public API clients). Every
 * create carries an Idempotency-Key and is preceded by a lookup, so a run cut short anywhere
 * runs again without a second organization, user or key.
 */
import { createHash } from 'node:crypto';
import { bindToProvider } from '../http/origin-policy';
import type { HttpResponse } from '../http/client';
import { describeError, RotatorError } from '../shared/errors';
import { fingerprint } from '../shared/fingerprint';
import { headerUnsafeReason } from '../shared/secret';
import { IdentityMismatchError, VendorResponseError } from './errors';
import {
  polytomicHeaders,
  polytomicProvider,
  postUserKey,
  type IssuedUserKey,
  POLYTOMIC_DEFAULT_API_VERSION,
  type PolytomicSecret,
} from './polytomic';
import type { VerifyContext } from './provider';
import {
  assertKeyAccepted,
  assertSuccess,
  parseJsonBody,
  quoteVendorText,
} from './vendor-response';

/**
 * The role service users get when none is asked for. The rotation itself needs only that the
 * user's key authenticates at `GET /api/me` (keys are minted with the partner key), and Viewer
 * is the built-in role that can create, modify and delete nothing.
 */
export const DEFAULT_SERVICE_USER_ROLE = 'viewer';

/** Where the partner endpoints are, and the partner key that calls them. */
export interface PartnerEndpoint {
  readonly baseUrl: string;
  readonly apiVersion?: string;
  readonly partnerKey: string;
}

/** What to onboard: an organization (existing or to create) and its two service users. */
export interface PolytomicOnboardingRequest extends PartnerEndpoint {
  readonly organization: { readonly id: string } | { readonly createName: string };
  readonly userEmail: string;
  readonly standbyEmail: string;
  readonly role: string;
  /** The partner-key secret the rotation reads, written into the secret value. */
  readonly partnerKeySecretId: string;
  /**
   * Scopes every Idempotency-Key this onboarding sends (e.g. the secret's ARN): the same
   * onboarding sends the same keys, so Polytomic replays a create whose answer was lost.
   */
  readonly idempotencyScope: string;
}

/** A service user, as found or created. */
export interface OnboardedUser {
  readonly id: string;
  readonly email: string;
  readonly role: string;
  readonly created: boolean;
}

/** The organization and users an onboarding uses. */
export interface OnboardedAccount {
  readonly organization: { readonly id: string; readonly created: boolean };
  readonly primary: OnboardedUser;
  readonly standby: OnboardedUser;
}

/** A bad input of an onboarding: the message says what to change; nothing was written. */
export abstract class PolytomicOnboardingInputError extends RotatorError {}

/** Polytomic rejects the partner key itself (401, or 403 on a partner endpoint). */
export class PartnerKeyRejectedError extends PolytomicOnboardingInputError {
  constructor(partnerKey: string, status: number, options?: ErrorOptions) {
    super(
      `Polytomic rejected the partner key ${fingerprint(partnerKey)} (status ${status}): it is not a live partner key. Use the partner key Polytomic support issued to your partner account.`,
      options,
    );
  }
}

/** The key authenticates, but as a user of an organization rather than as a partner. */
export class NotAPartnerKeyError extends PolytomicOnboardingInputError {
  constructor(partnerKey: string) {
    super(
      `The key ${fingerprint(partnerKey)} given as the partner key is a Polytomic user's or organization's API key, not a partner key: only a partner key may create organizations, users and their keys. Use the partner key Polytomic support issued to your partner account.`,
    );
  }
}

/** `--organization` names no organization of the partner account. */
export class UnknownOrganizationError extends PolytomicOnboardingInputError {
  constructor(organizationId: string) {
    super(
      `Polytomic has no organization ${organizationId} under this partner account. Check the organization id, or have one created by name.`,
    );
  }
}

/** Several organizations of the partner account have the name to create. */
export class AmbiguousOrganizationError extends PolytomicOnboardingInputError {
  constructor(name: string, ids: readonly string[]) {
    super(
      `${ids.length} Polytomic organizations are named "${name}" (${ids.join(', ')}): name the one to use by its id.`,
    );
  }
}

/** An email belongs to a user of another organization (emails sign users in, so are unique). */
export class UserInOtherOrganizationError extends PolytomicOnboardingInputError {
  constructor(email: string, organizationId: string) {
    super(
      `${email} is a Polytomic user of another organization than ${organizationId}: a service user must belong to the organization whose key it holds. Choose an email that is not in use, e.g. a plus address (rotation-a+${organizationId.slice(0, 8)}@your-domain).`,
    );
  }
}

/** The primary user already holds a live key that minting would have to replace. */
export class UserHasKeyError extends PolytomicOnboardingInputError {
  constructor(email: string, userId: string) {
    super(
      `Polytomic user ${email} (${userId}) already has a live API key, which the secret does not hold: it was issued elsewhere, or by an onboarding cut short more than 24 hours ago. Minting a new key would revoke it (Polytomic keeps one key per user). Replace it explicitly, or choose a user with no key.`,
    );
  }
}

/** Polytomic refused a create as invalid (422): an email or role it does not accept. */
export class PolytomicRequestRefusedError extends PolytomicOnboardingInputError {
  constructor(operation: string, vendorMessage: string) {
    super(`Polytomic refused the ${operation}: ${vendorMessage}. Fix the value and run again.`);
  }
}

/**
 * Finds the organization and both users without creating anything: undefined when one of them
 * does not exist yet (an onboarding would create it).
 *
 * @example
 * const account = await findPolytomicAccount(request, { http, deadline });
 * if (account !== undefined && account.primary.id === stored.userId) { … } // already onboarded
 */
export async function findPolytomicAccount(
  request: PolytomicOnboardingRequest,
  context: VerifyContext,
): Promise<OnboardedAccount | undefined> {
  const partner = new PolytomicPartner(request, context);
  const organizationId = await partner.findOrganization(request.organization);
  if (organizationId === undefined) return undefined;
  const users = await partner.listUsers(organizationId);
  const primary = findUser(users, request.userEmail);
  const standby = findUser(users, request.standbyEmail);
  if (primary === undefined || standby === undefined) return undefined;
  return {
    organization: { id: organizationId, created: false },
    primary: { ...primary, created: false },
    standby: { ...standby, created: false },
  };
}

/**
 * Finds or creates the organization and the two service users (lookups first; creates with
 * Idempotency-Keys scoped by `request.idempotencyScope`). Check the partner key first with
 * {@link assertPartnerKey}: a refused one fails here too, but less clearly.
 *
 * @throws {PolytomicOnboardingInputError} for a bad partner key, organization or email
 * @example
 * await assertPartnerKey(request, { http, deadline });
 * const account = await ensurePolytomicAccount(request, { http, deadline });
 */
export async function ensurePolytomicAccount(
  request: PolytomicOnboardingRequest,
  context: VerifyContext,
): Promise<OnboardedAccount> {
  const partner = new PolytomicPartner(request, context);
  const organization = await partner.ensureOrganization(request.organization, request);
  const users = await partner.listUsers(organization.id);
  const primary = await partner.ensureUser(organization.id, users, request.userEmail, request);
  const standby = await partner.ensureUser(organization.id, users, request.standbyEmail, request);
  return { organization, primary, standby };
}

/** Checks that the partner key authenticates as a partner (`GET /api/me`, `is_partner`). */
export async function assertPartnerKey(
  endpoint: PartnerEndpoint,
  context: VerifyContext,
): Promise<void> {
  await new PolytomicPartner(endpoint, context).assertPartner();
}

/**
 * Mints the primary user's key (`force` only when replacing is asked for), proves it at
 * `GET /api/me` as that user of that organization, and returns the secret value (schema 1).
 * A key that cannot be stored, or that is not the expected principal's, is revoked at once by a
 * forced re-issue whose value is dropped unseen, and the call fails.
 *
 * @example
 * const secret = await mintFirstKey(request, account, { force: false }, { http, deadline });
 */
export async function mintFirstKey(
  request: PolytomicOnboardingRequest,
  account: OnboardedAccount,
  options: { readonly force: boolean },
  context: VerifyContext,
): Promise<PolytomicSecret> {
  const http = bindToProvider(context.http, polytomicProvider.name);
  const bound = { ...context, http };
  const target = {
    organizationId: account.organization.id,
    baseUrl: request.baseUrl,
    apiVersion: request.apiVersion ?? POLYTOMIC_DEFAULT_API_VERSION,
  };
  const userId = account.primary.id;
  const idempotencyKey = idempotencyKeyFor(
    request,
    'key',
    target.organizationId,
    userId,
    String(options.force),
  );
  let issued: IssuedUserKey;
  try {
    issued = await postUserKey(
      target,
      request.partnerKey,
      userId,
      { idempotencyKey, force: options.force },
      bound,
    );
  } catch (error) {
    if (error instanceof VendorResponseError && error.status === 409) {
      throw new UserHasKeyError(request.userEmail, userId);
    }
    throw rejectedPartnerKey(error, request.partnerKey);
  }
  const secret: PolytomicSecret = {
    provider: 'polytomic',
    apiKey: issued.apiKey,
    organizationId: target.organizationId,
    userId,
    standbyUserId: account.standby.id,
    baseUrl: request.baseUrl,
    apiVersion: target.apiVersion,
    partnerKeySecretId: request.partnerKeySecretId,
  };
  const unsafe = headerUnsafeReason(issued.apiKey);
  try {
    if (unsafe !== undefined) {
      throw new VendorResponseError(
        issued.operation,
        `the issued key ${unsafe}, so it is never stored`,
        issued.status,
        issued.requestId,
      );
    }
    await polytomicProvider.verifyIdentity(secret, bound);
  } catch (error) {
    // Only a key proven unusable is revoked: one that could not be checked stays live, and a
    // run again replays it (same Idempotency-Key) and stores it.
    if (unsafe !== undefined || error instanceof IdentityMismatchError) {
      await revokeUnseen(target, request, userId, idempotencyKey, bound, error);
    }
    throw error;
  }
  return secret;
}

/** Revokes a minted key that is not stored: a forced re-issue whose value is dropped here. */
async function revokeUnseen(
  target: Pick<PolytomicSecret, 'organizationId' | 'baseUrl' | 'apiVersion'>,
  request: PartnerEndpoint,
  userId: string,
  idempotencyKey: string,
  context: VerifyContext,
  reason: unknown,
): Promise<void> {
  try {
    await postUserKey(
      target,
      request.partnerKey,
      userId,
      { idempotencyKey: `${idempotencyKey}-refused`, force: true },
      context,
    );
  } catch (error) {
    const { name, message } = describeError(error);
    throw new VendorResponseError(
      `Polytomic key issue for user ${userId}`,
      `the issued key failed its check (${describeError(reason).name}) and revoking it by a forced re-issue failed too (${name}: ${message}); it stays live until that user's key is re-issued`,
      0,
      undefined,
    );
  }
}

/** A user of the list by email, compared as Polytomic signs users in (case-insensitively). */
function findUser(
  users: readonly ListedUser[],
  email: string,
): Omit<OnboardedUser, 'created'> | undefined {
  return users.find((user) => user.email.toLowerCase() === email.toLowerCase());
}

interface ListedUser {
  readonly id: string;
  readonly email: string;
  readonly organizationId: string;
  readonly role: string;
}

/** The partner endpoints, each call bound to Polytomic's origins and made with the partner key. */
class PolytomicPartner {
  private readonly http: VerifyContext['http'];

  constructor(
    private readonly endpoint: PartnerEndpoint,
    private readonly context: VerifyContext,
  ) {
    this.http = bindToProvider(context.http, polytomicProvider.name);
  }

  async assertPartner(): Promise<void> {
    const operation = 'Polytomic identity check of the partner key (GET /api/me)';
    const response = await this.call('GET', '/api/me', operation);
    const data = dataOf(operation, response);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new VendorResponseError(
        operation,
        'the response has no data object',
        response.status,
        response.requestId,
      );
    }
    if ((data as { is_partner?: unknown }).is_partner !== true) {
      throw new NotAPartnerKeyError(this.endpoint.partnerKey);
    }
  }

  async findOrganization(
    organization: PolytomicOnboardingRequest['organization'],
  ): Promise<string | undefined> {
    if ('id' in organization) {
      await this.listUsers(organization.id);
      return organization.id;
    }
    return this.organizationNamed(organization.createName);
  }

  async ensureOrganization(
    organization: PolytomicOnboardingRequest['organization'],
    request: PolytomicOnboardingRequest,
  ): Promise<OnboardedAccount['organization']> {
    if ('id' in organization) return { id: organization.id, created: false };
    const name = organization.createName;
    const found = await this.organizationNamed(name);
    if (found !== undefined) return { id: found, created: false };
    const operation = 'Polytomic organization create (POST /api/organizations)';
    const response = await this.call('POST', '/api/organizations', operation, {
      body: { name },
      idempotencyKey: idempotencyKeyFor(request, 'organization', name),
      accept: [409, 422],
    });
    // 409: the name was taken since the lookup (a create whose answer was lost): use that one.
    if (response.status === 409) {
      const taken = await this.organizationNamed(name);
      if (taken !== undefined) return { id: taken, created: false };
    }
    if (response.status === 409 || response.status === 422) {
      throw new PolytomicRequestRefusedError('organization create', vendorMessage(response));
    }
    return { id: idAt(operation, response, dataOf(operation, response)), created: true };
  }

  async listUsers(organizationId: string): Promise<ListedUser[]> {
    const operation = `Polytomic user list of organization ${organizationId}`;
    const response = await this.call(
      'GET',
      `${organizationPath(organizationId)}/users`,
      operation,
      {
        accept: [404],
      },
    );
    if (response.status === 404) throw new UnknownOrganizationError(organizationId);
    const data = dataListOf(operation, response);
    return data.map((user: unknown) => {
      const listed = {
        id: idAt(operation, response, user),
        email: stringField(user, 'email'),
        organizationId: stringField(user, 'organization_id'),
        role: stringField(user, 'role'),
      };
      if (listed.organizationId !== '' && listed.organizationId !== organizationId) {
        throw new VendorResponseError(
          operation,
          'a listed user belongs to another organization',
          response.status,
          response.requestId,
        );
      }
      return listed;
    });
  }

  async ensureUser(
    organizationId: string,
    users: readonly ListedUser[],
    email: string,
    request: PolytomicOnboardingRequest,
  ): Promise<OnboardedUser> {
    const found = findUser(users, email);
    if (found !== undefined) return { ...found, created: false };
    const operation = `Polytomic user create in organization ${organizationId}`;
    const response = await this.call(
      'POST',
      `${organizationPath(organizationId)}/users`,
      operation,
      {
        body: { email, role: request.role },
        idempotencyKey: idempotencyKeyFor(request, 'user', organizationId, email.toLowerCase()),
        accept: [404, 409, 422],
      },
    );
    if (response.status === 404) throw new UnknownOrganizationError(organizationId);
    if (response.status === 422) {
      throw new PolytomicRequestRefusedError(`user create for ${email}`, vendorMessage(response));
    }
    if (response.status === 409) {
      // Taken since the lookup (a create whose answer was lost), or by another organization.
      const again = findUser(await this.listUsers(organizationId), email);
      if (again !== undefined) return { ...again, created: false };
      throw new UserInOtherOrganizationError(email, organizationId);
    }
    const data = dataOf(operation, response);
    return { id: idAt(operation, response, data), email, role: request.role, created: true };
  }

  private async organizationNamed(name: string): Promise<string | undefined> {
    const operation = 'Polytomic organization list (GET /api/organizations)';
    const response = await this.call('GET', '/api/organizations', operation);
    const data = dataListOf(operation, response);
    const named = data.filter(
      (organization: unknown) => stringField(organization, 'name') === name,
    );
    const ids = named.map((organization: unknown) => idAt(operation, response, organization));
    if (ids.length > 1) throw new AmbiguousOrganizationError(name, ids);
    return ids[0];
  }

  /** One call with the partner key; statuses in `accept` come back, other failures throw. */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    operation: string,
    options: {
      readonly body?: Record<string, string>;
      readonly idempotencyKey?: string;
      readonly accept?: readonly number[];
    } = {},
  ): Promise<HttpResponse> {
    const { partnerKey } = this.endpoint;
    const headers: Record<string, string> = polytomicHeaders(
      { apiVersion: this.endpoint.apiVersion ?? POLYTOMIC_DEFAULT_API_VERSION },
      partnerKey,
    );
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
    const response = await this.http.request({
      method,
      url: new URL(path, this.endpoint.baseUrl),
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      deadline: this.context.deadline,
    });
    if (response.status === 401 || response.status === 403) {
      throw rejectedPartnerKey(captureRejection(response, partnerKey), partnerKey);
    }
    if (options.accept?.includes(response.status) === true) return response;
    assertSuccess(operation, response);
    return response;
  }
}

/** A KeyRejectedError for the partner key, captured to become the PartnerKeyRejectedError's cause. */
function captureRejection(response: HttpResponse, partnerKey: string): unknown {
  try {
    assertKeyAccepted(response, 'partner key', partnerKey);
    return undefined;
  } catch (error) {
    return error;
  }
}

/** A partner key refused by Polytomic becomes a {@link PartnerKeyRejectedError}; others pass. */
function rejectedPartnerKey(error: unknown, partnerKey: string): unknown {
  const status = (error as { status?: unknown } | null)?.status;
  const name = describeError(error).name;
  if (name === 'KeyRejectedError' && typeof status === 'number') {
    return new PartnerKeyRejectedError(partnerKey, status, { cause: error });
  }
  return error;
}

/**
 * An Idempotency-Key for one create of this onboarding: `onboard-<kind>-` and 40 hex characters
 * of the SHA-256 of the scope and `parts`, within Polytomic's 8–255 `[A-Za-z0-9_-]`.
 */
function idempotencyKeyFor(
  request: Pick<PolytomicOnboardingRequest, 'idempotencyScope'>,
  kind: string,
  ...parts: string[]
): string {
  const digest = createHash('sha256')
    .update([request.idempotencyScope, kind, ...parts].join('\u0000'), 'utf8')
    .digest('hex');
  return `onboard-${kind}-${digest.slice(0, 40)}`;
}

function organizationPath(organizationId: string): string {
  return `/api/organizations/${encodeURIComponent(organizationId)}`;
}

/** `data` of a list answer; anything but an array is an answer the onboarding cannot use. */
function dataListOf(operation: string, response: HttpResponse): unknown[] {
  const data = dataOf(operation, response);
  if (!Array.isArray(data)) {
    throw new VendorResponseError(
      operation,
      'the response has no data list',
      response.status,
      response.requestId,
    );
  }
  return data as unknown[];
}

function dataOf(operation: string, response: HttpResponse): unknown {
  const body = parseJsonBody(operation, response);
  return typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
}

/** Vendor ids become URL path segments and secret fields: the secret's own id rule. */
const VENDOR_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function idAt(operation: string, response: HttpResponse, value: unknown): string {
  const id = stringField(value, 'id');
  if (!VENDOR_ID.test(id)) {
    throw new VendorResponseError(
      operation,
      'the response has no usable id',
      response.status,
      response.requestId,
    );
  }
  return id;
}

function stringField(value: unknown, key: string): string {
  const field =
    typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)[key]
      : undefined;
  return typeof field === 'string' ? field : '';
}

/** The vendor's error message, quoted safely (capped, escaped, keys redacted). */
function vendorMessage(response: HttpResponse): string {
  let message: string | undefined;
  try {
    message = stringField(JSON.parse(response.body) as unknown, 'message') || undefined;
  } catch {
    message = undefined;
  }
  return message === undefined
    ? `status ${response.status}`
    : quoteVendorText(response, message, 200);
}
