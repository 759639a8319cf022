import { fingerprint } from '../shared/fingerprint';
import { describeError } from '../shared/errors';
import {
  assertHeaderSafe,
  headerUnsafeReason,
  optionalString,
  parseJsonObject,
  requiredId,
  requiredString,
  SecretFormatError,
  type RevokePolicy,
  type RotatedSecret,
} from '../shared/secret';
import { IdentityMismatchError, PartnerKeyMissingError, VendorResponseError } from './errors';
import type { KeyChangeContext, KeyProvider, Revocation, VerifyContext } from './provider';
import {
  assertKeyAccepted,
  assertSuccess,
  parseJsonBody,
  quoteVendorText,
  stringAt,
} from './vendor-response';

/** A Polytomic secret: a user's key, minted by the partner key. */
export interface PolytomicSecret extends RotatedSecret {
  readonly provider: 'polytomic';
  readonly organizationId: string;
  /** The user whose key is `apiKey`. */
  readonly userId: string;
  /** The user the next rotation issues a key for; absent in single-user mode. */
  readonly standbyUserId?: string;
  readonly apiVersion?: string;
  readonly partnerKeySecretId?: string;
  readonly revokePrevious?: RevokePolicy;
}

export const POLYTOMIC_DEFAULT_BASE_URL = 'https://app.polytomic.com';
export const POLYTOMIC_DEFAULT_API_VERSION = '2025-09-18';
/** Polytomic versions are dates; anything longer is not one. */
const MAX_API_VERSION_LENGTH = 64;

/**
 * Polytomic: keys are issued per user by a partner key, one live key per user, and a forced
 * issue replaces the user's key — which is also the only way to revoke one.
 *
 * With `standbyUserId`, each rotation issues a key for the standby user and the two users swap,
 * so the current key stays live until finishSecret (zero downtime). Without it (single-user
 * mode) createSecret replaces the current user's own key: the old key dies at createSecret and
 * apps fail until finishSecret promotes the new one — the documented downtime window.
 */
export const polytomicProvider: KeyProvider<PolytomicSecret> = {
  name: 'polytomic',
  displayName: 'Polytomic',
  defaultOrigins: [POLYTOMIC_DEFAULT_BASE_URL],

  parseSecret(envelope) {
    const secret: PolytomicSecret = {
      ...envelope,
      provider: 'polytomic',
      organizationId: requiredId(envelope, 'organizationId'),
      userId: requiredId(envelope, 'userId'),
    };
    const standbyUserId =
      envelope.standbyUserId === undefined ? undefined : requiredId(envelope, 'standbyUserId');
    if (standbyUserId === secret.userId) {
      throw new SecretFormatError('standbyUserId', 'must name a different user than "userId"');
    }
    const apiVersion = optionalString(envelope, 'apiVersion');
    if (apiVersion !== undefined) {
      assertHeaderSafe(apiVersion, 'apiVersion', MAX_API_VERSION_LENGTH);
    }
    optionalString(envelope, 'partnerKeySecretId');
    return secret;
  },

  keyReference(secret) {
    return { fingerprint: fingerprint(secret.apiKey) };
  },

  async issueKey(current, context) {
    const apiKey = await issueUserKey(
      current,
      current.standbyUserId ?? current.userId,
      context.idempotencyKey,
      context,
    );
    if (current.standbyUserId === undefined) return { ...current, apiKey };
    return { ...current, apiKey, userId: current.standbyUserId, standbyUserId: current.userId };
  },

  async verifyIdentity(secret, context) {
    const response = await context.http.request({
      method: 'GET',
      url: new URL('/api/me', baseUrl(secret)),
      headers: polytomicHeaders(secret, secret.apiKey),
      deadline: context.deadline,
    });
    const operation = 'Polytomic identity check (GET /api/me)';
    assertKeyAccepted(response, 'API key', secret.apiKey);
    assertSuccess(operation, response);
    const body = parseJsonBody(operation, response);
    const actual = {
      userId: stringAt(body, 'data', 'id'),
      organizationId: stringAt(body, 'data', 'organization_id'),
    };
    if (actual.userId !== secret.userId || actual.organizationId !== secret.organizationId) {
      throw new IdentityMismatchError(
        fingerprint(secret.apiKey),
        `user ${secret.userId} in organization ${secret.organizationId}`,
        // The vendor's ids are untrusted text: quoted (capped, escaped, keys redacted) before use.
        `user ${quoteVendorText(response, actual.userId)} in organization ${quoteVendorText(response, actual.organizationId)}`,
      );
    }
  },

  async revokeKey(target, replaced, context): Promise<Revocation> {
    // The swap made the replaced version's standby the promoted user (the same user in
    // single-user mode); the forced issue for that user already replaced their older key.
    const promotedUserId = replaced.standbyUserId ?? replaced.userId;
    if (target.userId === promotedUserId) return { kind: 'already-revoked' };
    await reissueUnseen(replaced, target.userId, `${context.idempotencyKey}-revoke`, context);
    return { kind: 'revoked' };
  },

  disposePendingKey(pending, current) {
    if (pending.userId === current.userId) {
      // Single-user mode: issuing the pending key already replaced the current one at Polytomic.
      return {
        kind: 'refuse',
        reason: `The pending key ${fingerprint(pending.apiKey)} belongs to the same Polytomic user as AWSCURRENT (single-user mode): issuing it already replaced the current key, so it is the only live one. Clearing it would leave no working key. Fix the failure's cause and let Secrets Manager reattempt the rotation, which promotes this version.`,
      };
    }
    return {
      kind: 'revoke',
      plan: `revoke the pending key of Polytomic user ${pending.userId}: Polytomic has no revoke call, so the user's key is re-issued (force=true) and the new value discarded unseen`,
    };
  },

  unstoredPendingRisk(current) {
    if (current.standbyUserId !== undefined) return undefined;
    // createSecret may have issued a key unseen; a forced issue for this user kills AWSCURRENT's.
    return `The secret is in Polytomic single-user mode and createSecret stored no key, but it may have issued one before failing: that forced issue for user ${current.userId} replaced AWSCURRENT's key at Polytomic. Clearing AWSPENDING could leave AWSCURRENT with a dead key. Fix the failure's cause and let Secrets Manager's retries finish the rotation (\`api-key-rotator status\` follows it): they reuse the rotation's Idempotency-Key, so Polytomic replays the issued key, which is then stored and promoted.`;
  },

  guidance: {
    replaceKey: (secretName) =>
      `Rotate now (\`api-key-rotator rotate ${secretName}\`) to issue a working key.`,
    revokeKey: (secret, _key, secretName) =>
      `Rotate again (\`api-key-rotator rotate ${secretName}\`): the next rotation re-issues user ${secret.userId}'s key, which revokes this one.`,
  },
};

/** Parses a Polytomic partner-key secret: `{"partnerKey":"…"}` or the bare key. */
export function parsePartnerKey(text: string): string {
  if (!text.trimStart().startsWith('{')) {
    const key = text.trim();
    if (key === '') throw new SecretFormatError('partnerKey', 'must be a non-empty string');
    assertHeaderSafe(key, 'partnerKey');
    return key;
  }
  const key = requiredString(parseJsonObject(text, 'partner key'), 'partnerKey');
  assertHeaderSafe(key, 'partnerKey');
  return key;
}

/**
 * Issues (force=true) a key for `userId`. A value that cannot be stored or sent as a header is
 * never returned: it is revoked by a second forced issue, whose value is dropped unseen.
 */
async function issueUserKey(
  secret: PolytomicSecret,
  userId: string,
  idempotencyKey: string,
  context: KeyChangeContext,
): Promise<string> {
  const issued = await requestUserKey(secret, userId, idempotencyKey, context);
  const reason = headerUnsafeReason(issued.apiKey);
  if (reason === undefined) return issued.apiKey;
  const problem = `the issued key ${reason}, so it is never stored`;
  try {
    await reissueUnseen(secret, userId, `${idempotencyKey}-refused`, context);
  } catch (error) {
    const { name, message } = describeError(error);
    throw new VendorResponseError(
      issued.operation,
      `${problem}; revoking it (a forced re-issue for user ${userId}) failed too (${name}: ${message}), so it stays live at Polytomic until the next rotation re-issues that user's key`,
      issued.status,
      issued.requestId,
    );
  }
  throw new VendorResponseError(
    issued.operation,
    `${problem}; it was revoked by a forced re-issue for user ${userId}`,
    issued.status,
    issued.requestId,
  );
}

/** Revokes `userId`'s key: a forced re-issue, whose value is dropped here, never stored or logged. */
async function reissueUnseen(
  secret: PolytomicSecret,
  userId: string,
  idempotencyKey: string,
  context: KeyChangeContext,
): Promise<void> {
  await requestUserKey(secret, userId, idempotencyKey, context);
}

/**
 * POSTs a forced key issue for `userId`. The Idempotency-Key makes a retry after a lost
 * response return the same key instead of replacing it again.
 */
async function requestUserKey(
  secret: PolytomicSecret,
  userId: string,
  idempotencyKey: string,
  context: KeyChangeContext,
): Promise<IssuedUserKey> {
  const partnerKey = await readPartnerKey(secret, context);
  return postUserKey(secret, partnerKey, userId, { idempotencyKey, force: true }, context);
}

/** A key Polytomic issued, with what names the call that issued it. */
export interface IssuedUserKey {
  readonly apiKey: string;
  readonly operation: string;
  readonly status: number;
  readonly requestId: string | undefined;
}

/**
 * `POST /api/organizations/{org}/users/{id}/keys?force=` with the partner key. Without `force`,
 * a user who holds a key gets 409 (a {@link VendorResponseError} with that status).
 *
 * @example
 * const { apiKey } = await postUserKey(secret, partnerKey, userId, { idempotencyKey, force: false }, context);
 */
export async function postUserKey(
  target: Pick<PolytomicSecret, 'organizationId' | 'baseUrl' | 'apiVersion'>,
  partnerKey: string,
  userId: string,
  options: { readonly idempotencyKey: string; readonly force: boolean },
  context: VerifyContext,
): Promise<IssuedUserKey> {
  const operation = `Polytomic key issue for user ${userId}`;
  const path = `/api/organizations/${encodeURIComponent(target.organizationId)}/users/${encodeURIComponent(userId)}/keys`;
  const url = new URL(path, target.baseUrl ?? POLYTOMIC_DEFAULT_BASE_URL);
  url.searchParams.set('force', String(options.force));
  const response = await context.http.request({
    method: 'POST',
    url,
    headers: { ...polytomicHeaders(target, partnerKey), 'Idempotency-Key': options.idempotencyKey },
    deadline: context.deadline,
  });
  assertKeyAccepted(response, 'partner key', partnerKey);
  assertSuccess(operation, response);
  const apiKey = stringAt(parseJsonBody(operation, response), 'data', 'value');
  if (apiKey === undefined || apiKey === '') {
    throw new VendorResponseError(
      operation,
      'the response has no data.value',
      response.status,
      response.requestId,
    );
  }
  return { apiKey, operation, status: response.status, requestId: response.requestId };
}

async function readPartnerKey(secret: PolytomicSecret, context: KeyChangeContext): Promise<string> {
  const secretId = secret.partnerKeySecretId ?? context.defaultPartnerKeySecretId;
  if (secretId === undefined) throw new PartnerKeyMissingError();
  return parsePartnerKey(await context.secrets.getValue(secretId, { versionStage: 'AWSCURRENT' }));
}

function baseUrl(secret: PolytomicSecret): string {
  return secret.baseUrl ?? POLYTOMIC_DEFAULT_BASE_URL;
}

/** Polytomic's headers for a call made with `bearer` (a user's or the partner key). */
export function polytomicHeaders(
  secret: Pick<PolytomicSecret, 'apiVersion'>,
  bearer: string,
): Record<string, string> {
  return {
    Authorization: `Bearer ${bearer}`,
    Accept: 'application/json',
    'X-Polytomic-Version': secret.apiVersion ?? POLYTOMIC_DEFAULT_API_VERSION,
  };
}
