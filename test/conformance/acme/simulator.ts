/**
 * A loopback stand-in for Acme, the conformance kit's test-only vendor, and Acme as the kit
 * sees it (`acmeUnderTest`). Keys are kept only as SHA-256 hashes in the shared key ledger.
 *
 * Acme's API (Bearer auth; JSON bodies; every response carries `X-Request-Id`):
 * - Keys: `acme_sk_` + 40 base62 characters, several live per account. Each account also has
 *   one admin key, `acme_admin_` + 40 base62, which manages keys and is not itself rotated.
 * - `GET /v1/me` → 200 `{"account_id":"acct_…","key_id":"key_…"}` (an admin key answers its
 *   own id, `adm_…`).
 * - `POST /v1/keys` (admin key) body `{"name":"…"}` (1-256 characters, no control characters)
 *   → 201 `{"id":"key_…","name":"…","secret":"acme_sk_…"}`; the secret is shown only here.
 *   `Idempotency-Key` (1-255 visible ASCII characters), per account, for 24 h: the same key
 *   with the same body replays the first response (same id and secret); with another body → 422
 *   `idempotency_key_reused`. Invalid bodies (400) are not recorded.
 * - `GET /v1/keys` (admin key) → 200 `{"data":[{"id","name","created_at","revoked":false}]}`:
 *   the account's live API keys, never their secrets (deleted keys are gone).
 * - `DELETE /v1/keys/{id}` (admin key) → 204, and the key stops authenticating at once; a key
 *   that is unknown, already deleted or another account's → 404 `not_found`.
 * - Errors are `{"error":"<code>","message":"…"}`: 400 `invalid_request`, 401 `invalid_api_key`
 *   (missing, unknown or deleted key), 403 `forbidden` (an API key on an admin route), 404
 *   `not_found`, 405 `method_not_allowed`, 422 `idempotency_key_reused`; injected faults use
 *   the same shape (`internal_error`, `rate_limited`, …). No rate limit.
 *
 * Ledger: API keys are `kind: 'user'` entries, admin keys `kind: 'partner'` (which the
 * invariant checks ignore), both with `organizationId` = the account id. Deletions, by the API
 * or by hand, are `revokedBy: 'admin'`.
 *
 * HTTP admin, besides the common `/_admin` routes: `POST /_admin/accounts {name}` →
 * `{id,name,adminKey}`, `POST /_admin/accounts/:account/keys {name}` → `{id,name,secret}`,
 * `GET /_admin/accounts/:account/keys`, `POST /_admin/accounts/:account/keys/revoke {fingerprint}`.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../../local/aws/types';
import { SimulatorAdminError } from '../../../local/vendors/shared/admin-error';
import type { AdminRoute } from '../../../local/vendors/shared/admin-routes';
import { bearerToken, headerValue, requireString } from '../../../local/vendors/shared/http-io';
import { IdempotencyStore } from '../../../local/vendors/shared/idempotency';
import type { KeyLedger } from '../../../local/vendors/shared/ledger';
import { startSimulator } from '../../../local/vendors/shared/simulator';
import type {
  VendorDialect,
  VendorRequest,
  VendorResponse,
} from '../../../local/vendors/shared/vendor-server';
import type { SimulatorBase, SimulatorOptions } from '../../../local/vendors/types';
import { simulatedVendor, type SimulatedVendor, type VendorUnderTest } from '../vendor-under-test';
import { acmeProvider } from './provider';

export const ACME_API_KEY_PREFIX = 'acme_sk_';
export const ACME_ADMIN_KEY_PREFIX = 'acme_admin_';
/** Length of the random part of every Acme key. */
export const ACME_KEY_RANDOM_LENGTH = 40;

export const ACME_ROUTES = { me: '/v1/me', keys: '/v1/keys', key: '/v1/keys/:id' } as const;

/** Acme keeps idempotency records for 24 hours. */
export const ACME_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const MAX_KEY_NAME_LENGTH = 256;
// eslint-disable-next-line no-control-regex -- control characters are what it rejects
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

const ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'invalid_request',
  401: 'invalid_api_key',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  422: 'idempotency_key_reused',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
};

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Uniformly random base62 text. */
function base62(length: number): string {
  let text = '';
  while (text.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 × 62: keeping larger bytes would favour the first characters.
      if (byte < 248 && text.length < length) text += BASE62[byte % 62];
    }
  }
  return text;
}

/** An API key as `GET /v1/keys` lists it. */
export interface AcmeKeyView {
  readonly id: string;
  readonly name: string;
  readonly created_at: string;
  readonly revoked: boolean;
}

/** A new API key, its secret shown this once. */
export interface AcmeCreatedKey {
  readonly id: string;
  readonly name: string;
  readonly secret: string;
}

/** Who a presented key authenticates as. */
export interface AcmeCaller {
  readonly accountId: string;
  readonly keyId: string;
  readonly role: 'admin' | 'api';
}

interface AcmeKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly sha256: string;
}

interface AcmeAccount {
  readonly id: string;
  readonly name: string;
  /** Live API keys by id; a deleted key is removed. */
  readonly keys: Map<string, AcmeKeyRecord>;
}

/** Acme's accounts, their admin keys and their live API keys. */
export class AcmeDirectory {
  private readonly accounts = new Map<string, AcmeAccount>();
  private readonly callers = new Map<string, AcmeCaller>();

  constructor(private readonly ledger: KeyLedger) {}

  /** A new account and its admin key, whose value is returned this once. */
  createAccount(name: string): { id: string; name: string; adminKey: string } {
    if (name.trim() === '') throw new SimulatorAdminError(400, 'An account needs a name.');
    const account: AcmeAccount = { id: `acct_${base62(16)}`, name, keys: new Map() };
    this.accounts.set(account.id, account);
    const adminKey = ACME_ADMIN_KEY_PREFIX + base62(ACME_KEY_RANDOM_LENGTH);
    const entry = this.ledger.record(adminKey, {
      kind: 'partner',
      organizationId: account.id,
      keyName: 'admin key',
    });
    const keyId = `adm_${base62(20)}`;
    this.callers.set(entry.sha256, { accountId: account.id, keyId, role: 'admin' });
    return { id: account.id, name, adminKey };
  }

  /** A new API key of the account, as `POST /v1/keys` or the dashboard creates it. */
  createKey(accountId: string, name: string): AcmeCreatedKey {
    const account = this.required(accountId);
    const secret = ACME_API_KEY_PREFIX + base62(ACME_KEY_RANDOM_LENGTH);
    const entry = this.ledger.record(secret, {
      kind: 'user',
      organizationId: account.id,
      keyName: name,
    });
    const key: AcmeKeyRecord = {
      id: `key_${base62(20)}`,
      name,
      createdAt: entry.issuedAt,
      sha256: entry.sha256,
    };
    account.keys.set(key.id, key);
    this.callers.set(entry.sha256, { accountId: account.id, keyId: key.id, role: 'api' });
    return { id: key.id, name, secret };
  }

  /** Deletes a live key of the account; false when it has none with that id. */
  deleteKey(accountId: string, keyId: string): boolean {
    const account = this.accounts.get(accountId);
    const key = account?.keys.get(keyId);
    if (account === undefined || key === undefined) return false;
    this.ledger.revoke(key.sha256, 'admin');
    account.keys.delete(keyId);
    return true;
  }

  /** A person deletes the account's live key with this fingerprint in the dashboard. */
  revokeByHand(accountId: string, fingerprint: string): void {
    const matching = this.ledger.entries(
      (entry) =>
        entry.kind === 'user' &&
        entry.organizationId === accountId &&
        entry.fingerprint === fingerprint &&
        entry.status === 'live',
    );
    if (matching.length === 0) {
      throw new SimulatorAdminError(404, `No live key ${fingerprint} in account ${accountId}.`);
    }
    if (matching.length > 1) {
      throw new SimulatorAdminError(409, `Fingerprint ${fingerprint} names several live keys.`);
    }
    const caller = this.callers.get(matching[0].sha256);
    if (caller !== undefined) this.deleteKey(accountId, caller.keyId);
  }

  /** The account's live API keys, as `GET /v1/keys` lists them. */
  listKeys(accountId: string): AcmeKeyView[] {
    return [...this.required(accountId).keys.values()].map((key) => ({
      id: key.id,
      name: key.name,
      created_at: key.createdAt,
      revoked: false,
    }));
  }

  /** Who a presented key is, if it is live. */
  identify(value: string): AcmeCaller | undefined {
    const entry = this.ledger.liveEntryFor(value);
    return entry === undefined ? undefined : this.callers.get(entry.sha256);
  }

  keyStatus(value: string): 'live' | 'revoked' | 'unknown' {
    return this.ledger.statusOf(value);
  }

  private required(accountId: string): AcmeAccount {
    const account = this.accounts.get(accountId);
    if (account === undefined) throw new SimulatorAdminError(404, `No account ${accountId}.`);
    return account;
  }
}

function acmeError(status: number, message: string): VendorResponse {
  return { status, body: { error: ERROR_CODES[status] ?? 'error', message } };
}

/** The key name of a `POST /v1/keys` body, or the 400 answering it. */
function keyNameOf(body: string): string | VendorResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return acmeError(400, 'The body must be JSON.');
  }
  const name =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>).name
      : undefined;
  if (
    typeof name !== 'string' ||
    name.trim() === '' ||
    name.length > MAX_KEY_NAME_LENGTH ||
    CONTROL_CHARACTERS.test(name)
  ) {
    return acmeError(
      400,
      `"name" must be 1-${MAX_KEY_NAME_LENGTH} characters, none of them control.`,
    );
  }
  return name;
}

/** Acme's API over the directory: identity, key creation, listing and deletion. */
export function createAcmeDialect(directory: AcmeDirectory, clock: Clock): VendorDialect {
  const idempotency = new IdempotencyStore<VendorResponse>(clock, ACME_IDEMPOTENCY_TTL_MS);

  const createKey = (request: VendorRequest, caller: AcmeCaller): VendorResponse => {
    const name = keyNameOf(request.body);
    if (typeof name !== 'string') return name;
    const issue = (): VendorResponse => ({
      status: 201,
      body: directory.createKey(caller.accountId, name),
    });
    const idempotencyKey = headerValue(request.headers, 'idempotency-key');
    if (idempotencyKey === undefined) return issue();
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
      return acmeError(400, 'Idempotency-Key must be 1-255 visible ASCII characters.');
    }
    const signature = JSON.stringify({ name });
    const previous = idempotency.lookup(caller.accountId, idempotencyKey, signature);
    if (previous.kind === 'replay') return previous.response;
    if (previous.kind === 'mismatch') {
      return acmeError(422, 'Idempotency-Key was already used with another request body.');
    }
    const response = issue();
    idempotency.remember(caller.accountId, idempotencyKey, signature, response);
    return response;
  };

  return {
    routes: [
      { method: 'GET', pattern: ACME_ROUTES.me },
      { method: 'GET', pattern: ACME_ROUTES.keys },
      { method: 'POST', pattern: ACME_ROUTES.keys },
      { method: 'DELETE', pattern: ACME_ROUTES.key },
    ],
    commonHeaders: (request) => ({ 'X-Request-Id': request.requestId }),
    errorResponse: (_request, status, message) => acmeError(status, message),
    handle(request) {
      const { resolution } = request;
      if (resolution.kind === 'not-found') return acmeError(404, 'No such route.');
      if (resolution.kind === 'method-not-allowed') {
        return acmeError(405, `${request.method} is not allowed on ${resolution.pattern}.`);
      }
      const token = bearerToken(request.headers);
      const caller = token === undefined ? undefined : directory.identify(token);
      if (caller === undefined) return acmeError(401, 'Missing, unknown or deleted API key.');

      const { route, match } = resolution;
      if (route.pattern === ACME_ROUTES.me) {
        return { status: 200, body: { account_id: caller.accountId, key_id: caller.keyId } };
      }
      if (caller.role !== 'admin') return acmeError(403, 'This route needs the admin key.');
      if (route.method === 'POST') return createKey(request, caller);
      if (route.method === 'GET') {
        return { status: 200, body: { data: directory.listKeys(caller.accountId) } };
      }
      return directory.deleteKey(caller.accountId, match.params.id)
        ? { status: 204 }
        : acmeError(404, `No key ${match.params.id}.`);
    },
  };
}

/** The dashboard's key management over HTTP; new key values are answered once. */
function acmeAdminRoutes(directory: AcmeDirectory): AdminRoute[] {
  return [
    {
      method: 'POST',
      pattern: '/_admin/accounts',
      handle: (_params, body) => directory.createAccount(requireString(body, 'name')),
    },
    {
      method: 'POST',
      pattern: '/_admin/accounts/:account/keys',
      handle: (params, body) => directory.createKey(params.account, requireString(body, 'name')),
    },
    {
      method: 'GET',
      pattern: '/_admin/accounts/:account/keys',
      handle: (params) => directory.listKeys(params.account),
    },
    {
      method: 'POST',
      pattern: '/_admin/accounts/:account/keys/revoke',
      handle: (params, body) => {
        directory.revokeByHand(params.account, requireString(body, 'fingerprint'));
        return undefined;
      },
    },
  ];
}

/** A running Acme stand-in and its dashboard. */
export type AcmeSimulator = SimulatorBase & { readonly admin: AcmeDirectory };

/** Starts an Acme stand-in on loopback (a free port unless one is given). */
export function startAcmeSimulator(options: SimulatorOptions = {}): Promise<AcmeSimulator> {
  return startSimulator({
    vendor: 'acme',
    options,
    createDirectory: (ledger) => new AcmeDirectory(ledger),
    createDialect: (directory, _ledger, clock) => createAcmeDialect(directory, clock),
    adminRoutes: acmeAdminRoutes,
  });
}

// A lookahead finds runs that start inside another run (`acme_sk_acme_sk_…`).
const ACME_KEY_RUN = /(?=(acme_(?:sk|admin)_[A-Za-z0-9]+))/g;

/**
 * Every `acme_sk_`- and `acme_admin_`-shaped substring of `text`, in order of first appearance.
 * A run longer than a key also yields its key-length prefix, so a key glued to following word
 * characters is still found.
 */
export function acmeKeyShapedStrings(text: string): string[] {
  const hits: string[] = [];
  for (const match of text.matchAll(ACME_KEY_RUN)) {
    const run = match[1];
    const prefix = run.startsWith(ACME_ADMIN_KEY_PREFIX)
      ? ACME_ADMIN_KEY_PREFIX
      : ACME_API_KEY_PREFIX;
    const keyLength = prefix.length + ACME_KEY_RANDOM_LENGTH;
    if (run.length > keyLength) hits.push(run.slice(0, keyLength));
    hits.push(run);
  }
  return [...new Set(hits)];
}

/** Acme: several keys per account, created and deleted by the admin key; revocation is automatic. */
export const acmeUnderTest: VendorUnderTest = {
  provider: acmeProvider,
  revocation: 'automatic',
  revokesByReissue: false,
  variants: [{ name: 'one key per rotation', options: {} }],
  // Acme is not part of the local world: it runs its own simulator on the kit's clock.
  async start(_world, clock): Promise<SimulatedVendor> {
    const simulator = await startAcmeSimulator({ host: '127.0.0.1', port: 0, clock });
    const { admin } = simulator;
    return simulatedVendor(
      simulator,
      {
        keyShapedStrings: acmeKeyShapedStrings,
        keyStatus: (value) => admin.keyStatus(value),
        async openAccount({ name, storeCredential }) {
          const account = admin.createAccount(`${name} account`);
          const adminKeySecretId = await storeCredential(`${name}/admin-key`, account.adminKey);
          const first = admin.createKey(account.id, `${name} #1`);
          return {
            value: {
              provider: 'acme',
              apiKey: first.secret,
              keyId: first.id,
              accountId: account.id,
              adminKeySecretId,
              baseUrl: simulator.url,
            },
            organizationId: account.id,
            principals: [],
            currentKeyDiesAtIssue: false,
          };
        },
        revokeByHand: (accountId, fingerprint) => admin.revokeByHand(accountId, fingerprint),
      },
      true,
    );
  },
};
