/**
 * Acme, a test-only vendor of the most common SaaS shape: several live keys per account,
 * created and deleted by the account's admin key, and an identity endpoint. It proves that
 * such a vendor needs only a provider, a simulator and one registry line.
 *
 * Its API is documented in `./simulator.ts`.
 */
import type { HttpResponse } from '../../../lambda/http/client';
import { IdentityMismatchError, VendorResponseError } from '../../../lambda/providers/errors';
import type { KeyChangeContext, KeyProvider, Revocation } from '../../../lambda/providers/provider';
import {
  assertKeyAccepted,
  assertSuccess,
  parseJsonBody,
  quoteVendorText,
  stringAt,
} from '../../../lambda/providers/vendor-response';
import { describeError } from '../../../lambda/shared/errors';
import { fingerprint } from '../../../lambda/shared/fingerprint';
import {
  requiredId,
  requiredString,
  SecretFormatError,
  type RevokePolicy,
  type RotatedSecret,
} from '../../../lambda/shared/secret';

/** An Acme secret: one API key of an account, and where the account's admin key is stored. */
export interface AcmeSecret extends RotatedSecret {
  readonly provider: 'acme';
  /** Acme's id of `apiKey` (`key_…`): what `DELETE /v1/keys/{id}` revokes. */
  readonly keyId: string;
  /** The account the key belongs to (`acct_…`). */
  readonly accountId: string;
  /** The secret holding the account's admin key, bare (`acme_admin_…`). */
  readonly adminKeySecretId: string;
  readonly revokePrevious?: RevokePolicy;
}

export const ACME_DEFAULT_BASE_URL = 'https://api.acme.example';

/** `acme_sk_` and 40 base62 characters. */
export const ACME_API_KEY = /^acme_sk_[A-Za-z0-9]{40}$/;
/** `acme_admin_` and 40 base62 characters. */
export const ACME_ADMIN_KEY = /^acme_admin_[A-Za-z0-9]{40}$/;

/**
 * Acme: each rotation has the admin key create a second key for the account (the current one
 * stays live, so there is no downtime), and finishSecret deletes the replaced key by its id.
 */
export const acmeProvider: KeyProvider<AcmeSecret> = {
  name: 'acme',
  displayName: 'Acme',
  defaultOrigins: [ACME_DEFAULT_BASE_URL],

  parseSecret(envelope) {
    if (!ACME_API_KEY.test(envelope.apiKey)) {
      throw new SecretFormatError(
        'apiKey',
        'must be an Acme API key ("acme_sk_" and 40 letters or digits)',
      );
    }
    return {
      ...envelope,
      provider: 'acme',
      keyId: requiredId(envelope, 'keyId'),
      accountId: requiredId(envelope, 'accountId'),
      adminKeySecretId: requiredString(envelope, 'adminKeySecretId'),
    };
  },

  keyReference(secret) {
    return { fingerprint: fingerprint(secret.apiKey) };
  },

  async issueKey(current, context) {
    const operation = 'Acme key creation (POST /v1/keys)';
    const adminKey = await readAdminKey(current, context);
    const response = await context.http.request({
      method: 'POST',
      url: new URL('/v1/keys', baseUrl(current)),
      headers: {
        ...headers(adminKey),
        'Content-Type': 'application/json',
        'Idempotency-Key': context.idempotencyKey,
      },
      // The same name on every retry keeps the body identical, so Acme replays the first key.
      body: JSON.stringify({ name: `api-key-rotator ${context.idempotencyKey}` }),
      deadline: context.deadline,
    });
    assertKeyAccepted(response, 'partner key', adminKey);
    assertSuccess(operation, response);
    const body = parseJsonBody(operation, response);
    const apiKey = stringAt(body, 'secret');
    if (apiKey === undefined || !ACME_API_KEY.test(apiKey)) {
      const problem = 'the response has no Acme API key in "secret"';
      throw await deleteRefusedKey(current, stringAt(body, 'id'), context, problem, response);
    }
    const keyId = vendorId(stringAt(body, 'id'));
    if (keyId === undefined) throw unusable(operation, response, 'the response has no valid "id"');
    // Deleting the replaced key by id later must never hit the new one.
    if (keyId === current.keyId || apiKey === current.apiKey) {
      throw unusable(operation, response, 'the new key is the current one');
    }
    return { ...current, apiKey, keyId };
  },

  async verifyIdentity(secret, context) {
    const operation = 'Acme identity check (GET /v1/me)';
    const response = await context.http.request({
      method: 'GET',
      url: new URL('/v1/me', baseUrl(secret)),
      headers: headers(secret.apiKey),
      deadline: context.deadline,
    });
    assertApiKeyAccepted(operation, response, secret.apiKey);
    assertSuccess(operation, response);
    const body = parseJsonBody(operation, response);
    const actual = { accountId: stringAt(body, 'account_id'), keyId: stringAt(body, 'key_id') };
    if (actual.accountId !== secret.accountId || actual.keyId !== secret.keyId) {
      throw new IdentityMismatchError(
        fingerprint(secret.apiKey),
        `key ${secret.keyId} of account ${secret.accountId}`,
        `key ${quoteVendorText(response, actual.keyId)} of account ${quoteVendorText(response, actual.accountId)}`,
      );
    }
  },

  // Only `target` is deleted, by its own id, so target === replaced (recover) is just as safe.
  async revokeKey(target, _replaced, context): Promise<Revocation> {
    const operation = `Acme key deletion (DELETE /v1/keys/${target.keyId})`;
    const adminKey = await readAdminKey(target, context);
    const response = await context.http.request({
      method: 'DELETE',
      url: new URL(`/v1/keys/${encodeURIComponent(target.keyId)}`, baseUrl(target)),
      headers: headers(adminKey),
      deadline: context.deadline,
    });
    assertKeyAccepted(response, 'partner key', adminKey);
    if (response.status === 404) {
      // Only Acme's own not_found proves the key is gone; a proxy's 404 proves nothing.
      if (stringAt(parseJsonBody(operation, response), 'error') !== 'not_found') {
        throw unusable(operation, response, 'the 404 is not Acme\'s "not_found"');
      }
      return { kind: 'already-revoked' };
    }
    assertSuccess(operation, response);
    // Only Acme's documented 204 says the key was deleted: a 200 page from a proxy did nothing.
    if (response.status !== 204) throw unusable(operation, response, 'the answer is not a 204');
    return { kind: 'revoked' };
  },

  disposePendingKey(pending) {
    return {
      kind: 'revoke',
      plan: `delete the pending key ${fingerprint(pending.apiKey)} (Acme key ${pending.keyId}) with the account's admin key (DELETE /v1/keys/{id})`,
    };
  },

  unstoredPendingRisk: () => undefined,

  guidance: {
    replaceKey: (secretName) =>
      `Rotate now (\`api-key-rotator rotate ${secretName}\`) to create a working key.`,
    revokeKey: (secret, key, secretName) =>
      `Rotate again (\`api-key-rotator rotate ${secretName}\`), or delete key ${secret.keyId} (${key.fingerprint}) in the Acme dashboard (Settings > API keys).`,
  },
};

/**
 * Only Acme's documented `401 {"error":"invalid_api_key"}` says the key is dead (audits take it
 * as proof of revocation); any other 401/403, e.g. a proxy's, is an unusable answer.
 */
function assertApiKeyAccepted(operation: string, response: HttpResponse, apiKey: string): void {
  if (response.status !== 401 && response.status !== 403) return;
  const documented =
    response.status === 401 &&
    stringAt(parseJsonBody(operation, response), 'error') === 'invalid_api_key';
  if (!documented) {
    throw unusable(operation, response, 'the refusal is not Acme\'s "invalid_api_key"');
  }
  assertKeyAccepted(response, 'API key', apiKey);
}

/** Reads the account's admin key; a bare key, checked before it goes into a header. */
async function readAdminKey(secret: AcmeSecret, context: KeyChangeContext): Promise<string> {
  const text = await context.secrets.getValue(secret.adminKeySecretId, {
    versionStage: 'AWSCURRENT',
  });
  const adminKey = text.trim();
  if (!ACME_ADMIN_KEY.test(adminKey)) {
    throw new SecretFormatError(
      'adminKey',
      `(secret ${secret.adminKeySecretId}) must be an Acme admin key ("acme_admin_" and 40 letters or digits)`,
    );
  }
  return adminKey;
}

/** A vendor id as the secret would accept it, or undefined. */
function vendorId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return requiredId({ id: value }, 'id');
  } catch {
    return undefined;
  }
}

/**
 * An answer whose key is never stored: the key Acme may have created is deleted by the answer's
 * id (never the current key's), or the error says it could not be and what to do.
 */
async function deleteRefusedKey(
  current: AcmeSecret,
  answeredId: string | undefined,
  context: KeyChangeContext,
  problem: string,
  response: HttpResponse,
): Promise<VendorResponseError> {
  const operation = 'Acme key creation (POST /v1/keys)';
  const keyId = vendorId(answeredId);
  if (keyId === undefined || keyId === current.keyId) {
    return unusable(
      operation,
      response,
      `${problem}, nor a valid new key id to delete it by: delete the key this rotation created in the Acme dashboard (Settings > API keys)`,
    );
  }
  try {
    await acmeProvider.revokeKey({ ...current, keyId }, current, context);
  } catch (error) {
    const { name, message } = describeError(error);
    return unusable(
      operation,
      response,
      `${problem}; deleting the created key ${keyId} failed (${name}: ${message}): delete it in the Acme dashboard (Settings > API keys)`,
    );
  }
  return unusable(operation, response, `${problem}; the created key ${keyId} was deleted`);
}

function unusable(operation: string, response: HttpResponse, problem: string): VendorResponseError {
  return new VendorResponseError(operation, problem, response.status, response.requestId);
}

function baseUrl(secret: AcmeSecret): string {
  return secret.baseUrl ?? ACME_DEFAULT_BASE_URL;
}

function headers(bearer: string): Record<string, string> {
  return { Authorization: `Bearer ${bearer}`, Accept: 'application/json' };
}
