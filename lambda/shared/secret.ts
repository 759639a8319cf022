import { RotatorError } from './errors';
import { REVOKE_POLICY_TAG } from './tags';

/** What happens to the key a rotation replaces. */
export type RevokePolicy = 'on-finish' | 'next-rotation';

export const REVOKE_POLICIES: readonly RevokePolicy[] = ['on-finish', 'next-rotation'];
export const DEFAULT_REVOKE_POLICY: RevokePolicy = 'on-finish';

/** Fields the rotator does not know ride along unchanged, so a rotation never drops them. */
interface UnknownFields {
  readonly [field: string]: unknown;
}

export interface PolytomicSecret extends UnknownFields {
  readonly provider: 'polytomic';
  readonly apiKey: string;
  readonly organizationId: string;
  /** The user whose key is `apiKey`. */
  readonly userId: string;
  /** The user the next rotation issues a key for; absent in single-user mode. */
  readonly standbyUserId?: string;
  readonly baseUrl?: string;
  readonly apiVersion?: string;
  readonly partnerKeySecretId?: string;
  readonly revokePrevious?: RevokePolicy;
}

export interface PoelisSecret extends UnknownFields {
  readonly provider: 'poelis';
  readonly apiKey: string;
  /** The key's name in the Poelis web app, used to tell the operator which key to revoke. */
  readonly keyName?: string;
  readonly baseUrl?: string;
  readonly revokePrevious?: RevokePolicy;
}

export type RotatedSecret = PolytomicSecret | PoelisSecret;
export type ProviderName = RotatedSecret['provider'];
export const PROVIDER_NAMES: readonly ProviderName[] = ['polytomic', 'poelis'];

/** A Poelis key the operator created in the web app and stored under the `STAGED` label. */
export interface StagedKey {
  readonly apiKey: string;
  readonly keyName?: string;
}

/** The custom staging label of a Poelis key waiting to be rotated in. */
export const STAGED_LABEL = 'STAGED';

/** A secret value that does not have the documented shape. Names the field, never its value. */
export class SecretFormatError extends RotatorError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(
      `Secret field "${field}" ${problem}. Fix the secret value (see the README's secret format).`,
    );
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const POELIS_KEY = /^poelis_api_[A-Za-z0-9_-]{16,200}$/;

/** The secret's revoke-policy tag has a value the rotator does not know. */
export class RevokePolicyTagError extends RotatorError {
  constructor(secretId: string) {
    super(
      `Tag "${REVOKE_POLICY_TAG}" of secret ${secretId} must be one of ${REVOKE_POLICIES.join(', ')}. Fix the tag (the stack's revokePrevious setting).`,
    );
  }
}

/**
 * The revoke policy of a rotation: the value's `revokePrevious`, else the stack's tag, else
 * `on-finish`. A tag value that is not a policy fails rather than silently keeping keys live.
 */
export function resolveRevokePolicy(
  secret: RotatedSecret,
  secretId: string,
  tags: Readonly<Record<string, string>>,
): RevokePolicy {
  if (secret.revokePrevious !== undefined) return secret.revokePrevious;
  const tagged = tags[REVOKE_POLICY_TAG];
  if (tagged === undefined) return DEFAULT_REVOKE_POLICY;
  const policy = tagged.trim();
  if (!REVOKE_POLICIES.includes(policy as RevokePolicy)) throw new RevokePolicyTagError(secretId);
  return policy as RevokePolicy;
}

/** True for the stack's placeholder `{"provider":"…"}`: a known provider and no `apiKey` field. */
export function isPlaceholderSecret(text: string): boolean {
  let record: Record<string, unknown>;
  try {
    record = parseObject(text, 'secret');
  } catch {
    return false;
  }
  return (
    PROVIDER_NAMES.includes(record.provider as ProviderName) &&
    !Object.prototype.hasOwnProperty.call(record, 'apiKey')
  );
}

/** Parses and validates a rotated secret's JSON value, keeping unknown fields. */
export function parseSecret(text: string): RotatedSecret {
  const record = parseObject(text, 'secret');
  const provider = record.provider;
  if (provider === 'polytomic') return parsePolytomic(record);
  if (provider === 'poelis') return parsePoelis(record);
  throw new SecretFormatError('provider', `must be one of ${PROVIDER_NAMES.join(', ')}`);
}

/** Serializes a secret for PutSecretValue; unknown fields come out as they went in. */
export function stringifySecret(secret: RotatedSecret): string {
  return JSON.stringify(secret);
}

/** Parses the value of the `STAGED` version: `{"apiKey":"poelis_api_…","keyName":"…"}`. */
export function parseStagedKey(text: string): StagedKey {
  const record = parseObject(text, 'STAGED');
  const apiKey = requiredString(record, 'apiKey', 'STAGED.apiKey');
  assertPoelisKey(apiKey, 'STAGED.apiKey');
  const keyName = optionalString(record, 'keyName', 'STAGED.keyName');
  return keyName === undefined ? { apiKey } : { apiKey, keyName };
}

/** Parses a Polytomic partner-key secret: `{"partnerKey":"…"}` or the bare key. */
export function parsePartnerKey(text: string): string {
  if (!text.trimStart().startsWith('{')) {
    const key = text.trim();
    if (key === '') throw new SecretFormatError('partnerKey', 'must be a non-empty string');
    return key;
  }
  return requiredString(parseObject(text, 'partner key'), 'partnerKey', 'partnerKey');
}

function parsePolytomic(record: Record<string, unknown>): PolytomicSecret {
  const secret: PolytomicSecret = {
    ...record,
    provider: 'polytomic',
    apiKey: requiredString(record, 'apiKey'),
    organizationId: requiredId(record, 'organizationId'),
    userId: requiredId(record, 'userId'),
  };
  const standbyUserId =
    record.standbyUserId === undefined ? undefined : requiredId(record, 'standbyUserId');
  if (standbyUserId === secret.userId) {
    throw new SecretFormatError('standbyUserId', 'must name a different user than "userId"');
  }
  optionalString(record, 'apiVersion');
  optionalString(record, 'partnerKeySecretId');
  checkCommonFields(record);
  return secret;
}

function parsePoelis(record: Record<string, unknown>): PoelisSecret {
  const secret: PoelisSecret = {
    ...record,
    provider: 'poelis',
    apiKey: requiredString(record, 'apiKey'),
  };
  assertPoelisKey(secret.apiKey, 'apiKey');
  optionalString(record, 'keyName');
  checkCommonFields(record);
  return secret;
}

function checkCommonFields(record: Record<string, unknown>): void {
  const baseUrl = optionalString(record, 'baseUrl');
  if (baseUrl !== undefined) assertOrigin(baseUrl);
  const policy = record.revokePrevious;
  if (policy !== undefined && !REVOKE_POLICIES.includes(policy as RevokePolicy)) {
    throw new SecretFormatError('revokePrevious', `must be one of ${REVOKE_POLICIES.join(', ')}`);
  }
}

function assertPoelisKey(key: string, field: string): void {
  if (!POELIS_KEY.test(key)) {
    throw new SecretFormatError(
      field,
      'must be a Poelis REST API key ("poelis_api_" and 16+ letters, digits, "_" or "-")',
    );
  }
}

function assertOrigin(baseUrl: string): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new SecretFormatError(
      'baseUrl',
      'must be an absolute URL such as https://app.polytomic.com',
    );
  }
  const bare = url.pathname === '/' && url.search === '' && url.hash === '';
  if (!bare || url.username !== '' || url.password !== '') {
    throw new SecretFormatError(
      'baseUrl',
      'must be an origin only (scheme, host, port): no path, query or credentials',
    );
  }
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text, rejectForbiddenKeys);
  } catch (error) {
    if (error instanceof SecretFormatError) throw error;
    throw new SecretFormatError(what, 'must be valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SecretFormatError(what, 'must be a JSON object');
  }
  return value as Record<string, unknown>;
}

// Keys that could reach an object's prototype are refused at any depth, before anything copies them.
function rejectForbiddenKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new SecretFormatError(key, 'is not allowed');
  return value;
}

/** Polytomic ids (UUIDs) become URL path segments and revocation targets: keep them plain. */
const VENDOR_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requiredId(record: Record<string, unknown>, key: string): string {
  const value = requiredString(record, key);
  if (!VENDOR_ID.test(value)) {
    throw new SecretFormatError(
      key,
      'must be a vendor id (1-128 letters, digits, ".", "_", ":" or "-")',
    );
  }
  return value;
}

function requiredString(record: Record<string, unknown>, key: string, field = key): string {
  const value = record[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SecretFormatError(field, 'must be a non-empty string');
  }
  return value;
}

function optionalString(
  record: Record<string, unknown>,
  key: string,
  field = key,
): string | undefined {
  if (record[key] === undefined) return undefined;
  return requiredString(record, key, field);
}
