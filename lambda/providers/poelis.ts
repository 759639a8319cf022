import { parseStagedKey, STAGED_LABEL, type PoelisSecret } from '../shared/secret';
import { NothingStagedError, VendorResponseError } from './errors';
import type { KeyProvider, Revocation } from './provider';
import { assertKeyAccepted, assertSuccess, parseJsonBody } from './vendor-response';

export const POELIS_DEFAULT_BASE_URL = 'https://api.poelis.com';

/**
 * Poelis: keys are created and revoked only in the web app, so rotation is assisted. An
 * operator stages the new key under the `STAGED` label; the rotation validates, tests and
 * promotes it, then names the old key for the operator to revoke.
 */
export const poelisProvider: KeyProvider<PoelisSecret> = {
  name: 'poelis',

  async issueKey(current, context) {
    const text = await context.secrets.findValue(context.secretId, { versionStage: STAGED_LABEL });
    if (text === undefined)
      throw new NothingStagedError(context.secretId, 'No Poelis key is staged for this secret');
    const staged = parseStagedKey(text);
    if (staged.apiKey === current.apiKey) {
      throw new NothingStagedError(
        context.secretId,
        'The staged Poelis key is already the current one',
      );
    }
    // An unnamed stage drops the old key's name rather than mislabel the new key.
    return { ...current, apiKey: staged.apiKey, keyName: staged.keyName };
  },

  async verifyIdentity(secret, context) {
    const operation = 'Poelis identity check (GET /v1/public/workspaces)';
    const url = new URL('/v1/public/workspaces', secret.baseUrl ?? POELIS_DEFAULT_BASE_URL);
    url.searchParams.set('limit', '1');
    const response = await context.http.request({
      method: 'GET',
      url,
      headers: { Authorization: `Bearer ${secret.apiKey}`, Accept: 'application/json' },
      deadline: context.deadline,
    });
    assertKeyAccepted(response, 'API key', secret.apiKey);
    assertSuccess(operation, response);
    const body = parseJsonBody(operation, response);
    if (
      typeof body !== 'object' ||
      body === null ||
      !Array.isArray((body as { items?: unknown }).items)
    ) {
      throw new VendorResponseError(
        operation,
        'the response has no items list',
        response.status,
        response.requestId,
      );
    }
  },

  revokeKey(): Promise<Revocation> {
    return Promise.resolve({ kind: 'manual' });
  },
};
