import { describeKey, type KeyReference } from '../shared/key-reference';
import { fingerprint } from '../shared/fingerprint';
import {
  assertKeyName,
  optionalString,
  parseStagedKeyEnvelope,
  SecretFormatError,
  STAGED_LABEL,
  type RevokePolicy,
  type RotatedSecret,
  type StagedKey,
} from '../shared/secret';
import { NothingStagedError, VendorResponseError } from './errors';
import type { KeyProvider, KeyStaging, Revocation } from './provider';
import { assertKeyAccepted, assertSuccess, parseJsonBody } from './vendor-response';

export const POELIS_DEFAULT_BASE_URL = 'https://api.poelis.com';

/** A Poelis secret: an organization's REST API key, made in the web app. */
export interface PoelisSecret extends RotatedSecret {
  readonly provider: 'poelis';
  /** The key's name in the Poelis web app, used to tell the operator which key to revoke. */
  readonly keyName?: string;
  readonly revokePrevious?: RevokePolicy;
}

const POELIS_KEY = /^poelis_api_[A-Za-z0-9_-]{16,200}$/;

/** Poelis keys are made and revoked in the web app; a person stages each new one. */
const poelisStaging: KeyStaging<PoelisSecret> = {
  parseStagedKey(text) {
    const staged = parseStagedKeyEnvelope(text);
    assertPoelisKey(staged.apiKey, 'STAGED.apiKey');
    return staged;
  },
  // An unnamed stage drops the old key's name rather than mislabel the new key.
  withStagedKey: (current, staged: StagedKey) => ({
    ...current,
    apiKey: staged.apiKey,
    keyName: staged.keyName,
  }),
  createKeyIn: 'the Poelis web app (Settings > Manage REST API Keys)',
  revokeKeyIn: 'the Poelis web app (Settings > Manage REST API Keys > Revoke)',
};

/**
 * Poelis: keys are created and revoked only in the web app, so rotation is assisted. An
 * operator stages the new key under the `STAGED` label; the rotation validates, tests and
 * promotes it, then names the old key for the operator to revoke.
 */
export const poelisProvider: KeyProvider<PoelisSecret> = {
  name: 'poelis',
  displayName: 'Poelis',
  defaultOrigins: [POELIS_DEFAULT_BASE_URL],
  staging: poelisStaging,

  parseSecret(envelope) {
    assertPoelisKey(envelope.apiKey, 'apiKey');
    const keyName = optionalString(envelope, 'keyName');
    if (keyName !== undefined) assertKeyName(keyName, 'keyName');
    return { ...envelope, provider: 'poelis' };
  },

  keyReference: poelisKeyReference,

  async issueKey(current, context) {
    const text = await context.secrets.findValue(context.secretId, { versionStage: STAGED_LABEL });
    const createKeyIn = poelisStaging.createKeyIn;
    if (text === undefined) {
      throw new NothingStagedError(
        context.secretId,
        'No Poelis key is staged for this secret',
        createKeyIn,
      );
    }
    const staged = poelisStaging.parseStagedKey(text);
    if (staged.apiKey === current.apiKey) {
      throw new NothingStagedError(
        context.secretId,
        'The staged Poelis key is already the current one',
        createKeyIn,
      );
    }
    return poelisStaging.withStagedKey(current, staged);
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

  disposePendingKey(pending) {
    return {
      kind: 'manual',
      // The pending key never became AWSCURRENT: no app read it, so it can go at once.
      instruction: `Revoke the Poelis key ${describeKey(poelisKeyReference(pending))} in ${poelisStaging.revokeKeyIn}: it never became AWSCURRENT.`,
    };
  },

  unstoredPendingRisk: () => undefined,

  guidance: {
    replaceKey: (secretName) =>
      `Create a new key in the Poelis web app, run \`api-key-rotator stage ${secretName}\`, then \`api-key-rotator rotate ${secretName} --wait\`.`,
    revokeKey: (_secret, key) =>
      `Revoke ${describeKey(key)} in ${poelisStaging.revokeKeyIn}; this reminder repeats daily until it is revoked.`,
  },
};

function poelisKeyReference(secret: PoelisSecret): KeyReference {
  const key = { fingerprint: fingerprint(secret.apiKey) };
  return secret.keyName === undefined ? key : { ...key, keyName: secret.keyName };
}

function assertPoelisKey(key: string, field: string): void {
  if (!POELIS_KEY.test(key)) {
    throw new SecretFormatError(
      field,
      'must be a Poelis REST API key ("poelis_api_" and 16+ letters, digits, "_" or "-")',
    );
  }
}
