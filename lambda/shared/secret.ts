import { RotatorError } from './errors';
import { hasControlCharacters } from './printable';
import { REVOKE_POLICY_TAG } from './contracts';

/** What happens to the key a rotation replaces. */
export type RevokePolicy = 'on-finish' | 'next-rotation';

export const REVOKE_POLICIES: readonly RevokePolicy[] = ['on-finish', 'next-rotation'];
export const DEFAULT_REVOKE_POLICY: RevokePolicy = 'on-finish';

/**
 * A managed secret's value: the envelope every vendor shares. A vendor's own fields (its ids,
 * API version, key name…) are validated by its provider; fields nobody knows ride along
 * unchanged, so a rotation never drops them.
 */
export interface RotatedSecret {
  /** Names the provider that rotates the key (`polytomic`, `poelis`, …). */
  readonly provider: string;
  /** The key applications use. */
  readonly apiKey: string;
  /** The vendor's API origin; each provider has its default. */
  readonly baseUrl?: string;
  readonly revokePrevious?: RevokePolicy;
  readonly [field: string]: unknown;
}

/** A key a person created in the vendor's web app and stored under the `STAGED` label. */
export interface StagedKey {
  readonly apiKey: string;
  /** The key's name in the vendor's web app, used to tell the operator which key to revoke. */
  readonly keyName?: string;
}

/** The custom staging label of a key waiting to be rotated in (assisted vendors). */
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
 * Rotation, audit and CLI all ask this one function.
 *
 * @example
 * resolveRevokePolicy(secret, metadata.arn, metadata.tags); // 'next-rotation' when tagged so
 */
export function resolveRevokePolicy(
  secret: Pick<RotatedSecret, 'revokePrevious'>,
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

/**
 * Parses the envelope of a secret value: a JSON object with a `provider` name, a non-empty
 * `apiKey`, and optionally an origin-only `baseUrl` and a `revokePrevious` policy. The
 * provider validates the rest.
 */
export function parseSecretEnvelope(text: string): RotatedSecret {
  assertValueSize(text, 'secret');
  const record = parseJsonObject(text, 'secret');
  const provider = requiredString(record, 'provider');
  const apiKey = requiredString(record, 'apiKey');
  assertHeaderSafe(apiKey, 'apiKey');
  const baseUrl = optionalString(record, 'baseUrl');
  if (baseUrl !== undefined) assertOrigin(baseUrl);
  const policy = record.revokePrevious;
  if (policy !== undefined && !REVOKE_POLICIES.includes(policy as RevokePolicy)) {
    throw new SecretFormatError('revokePrevious', `must be one of ${REVOKE_POLICIES.join(', ')}`);
  }
  return { ...record, provider, apiKey };
}

/**
 * The stack's placeholder `{"provider":"…"}` (no `apiKey` field), or undefined for any other
 * value. Returns the provider it names.
 */
export function placeholderProvider(text: string): string | undefined {
  let record: Record<string, unknown>;
  try {
    record = parseJsonObject(text, 'secret');
  } catch {
    return undefined;
  }
  if (typeof record.provider !== 'string') return undefined;
  return Object.prototype.hasOwnProperty.call(record, 'apiKey') ? undefined : record.provider;
}

/** Serializes a secret for PutSecretValue; unknown fields come out as they went in. */
export function stringifySecret(secret: RotatedSecret): string {
  return JSON.stringify(secret);
}

/** Parses a `STAGED` value: `{"apiKey":"…","keyName":"…"}`; the provider checks the key's shape. */
export function parseStagedKeyEnvelope(text: string): StagedKey {
  assertValueSize(text, 'STAGED');
  const record = parseJsonObject(text, 'STAGED');
  const apiKey = requiredString(record, 'apiKey', 'STAGED.apiKey');
  assertHeaderSafe(apiKey, 'STAGED.apiKey');
  const keyName = optionalString(record, 'keyName', 'STAGED.keyName');
  if (keyName !== undefined) assertKeyName(keyName, 'STAGED.keyName');
  return keyName === undefined ? { apiKey } : { apiKey, keyName };
}

/** Secrets Manager's limit on a SecretString, in bytes. */
export const SECRETS_MANAGER_MAX_VALUE_BYTES = 65_536;
/** The longest key, partner key or other header value accepted; no vendor's key comes near it. */
export const MAX_KEY_LENGTH = 4_096;
/** The longest key name; it is printed in notifications and terminals. */
export const MAX_KEY_NAME_LENGTH = 200;
/**
 * The largest secret value accepted. The next version swaps in a new key (at most
 * MAX_KEY_LENGTH characters, twice that once JSON-escaped) and a key name, so it still fits.
 */
export const MAX_SECRET_VALUE_BYTES =
  SECRETS_MANAGER_MAX_VALUE_BYTES - 2 * MAX_KEY_LENGTH - 8 * MAX_KEY_NAME_LENGTH - 1_024;

/** Visible ASCII only: what an HTTP header value (a bearer token, a version) may safely hold. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * Why `value` cannot be sent as an HTTP header value (CR, LF, NUL, spaces, other control or
 * non-ASCII characters, or longer than `maxLength`), or undefined when it can. Never quotes it.
 */
export function headerUnsafeReason(
  value: string,
  maxLength: number = MAX_KEY_LENGTH,
): string | undefined {
  if (value.length > maxLength) return `is longer than ${maxLength} characters`;
  if (!HEADER_SAFE.test(value)) {
    return 'must be visible ASCII characters only (no spaces, line breaks or control characters): it is sent as an HTTP header';
  }
  return undefined;
}

/** A value that becomes an HTTP header (a key, a partner key, an API version): see {@link headerUnsafeReason}. */
export function assertHeaderSafe(
  value: string,
  field: string,
  maxLength: number = MAX_KEY_LENGTH,
): void {
  const reason = headerUnsafeReason(value, maxLength);
  if (reason !== undefined) throw new SecretFormatError(field, reason);
}

// A lone surrogate is no character at all: a notification or terminal cannot show it.
const LONE_SURROGATE = /\p{Cs}/u;

/** A key's name as the vendor's web app shows it: printable, at most MAX_KEY_NAME_LENGTH characters. */
export function assertKeyName(value: string, field: string): void {
  if (value.length > MAX_KEY_NAME_LENGTH) {
    throw new SecretFormatError(field, `is longer than ${MAX_KEY_NAME_LENGTH} characters`);
  }
  // The characters printing would escape (controls, separators, bidi) rewrite the line it is in.
  if (hasControlCharacters(value) || LONE_SURROGATE.test(value)) {
    throw new SecretFormatError(
      field,
      'must not contain control characters, line breaks or direction overrides',
    );
  }
}

/** A value too large for its next version to fit Secrets Manager is refused before any key is issued. */
function assertValueSize(text: string, what: string): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_SECRET_VALUE_BYTES) {
    throw new SecretFormatError(
      what,
      `is larger than ${MAX_SECRET_VALUE_BYTES} bytes, which leaves no room for the next version within Secrets Manager's ${SECRETS_MANAGER_MAX_VALUE_BYTES}-byte limit`,
    );
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses JSON text that must be an object; `what` names it in the error. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
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

/** Vendor ids become URL path segments and revocation targets: keep them plain. */
const VENDOR_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A field holding a vendor id (1-128 letters, digits, `.`, `_`, `:` or `-`). */
export function requiredId(record: Record<string, unknown>, key: string): string {
  const value = requiredString(record, key);
  if (!VENDOR_ID.test(value)) {
    throw new SecretFormatError(
      key,
      'must be a vendor id (1-128 letters, digits, ".", "_", ":" or "-")',
    );
  }
  return value;
}

/** A field holding a non-empty string; `field` names it in the error. */
export function requiredString(record: Record<string, unknown>, key: string, field = key): string {
  const value = record[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SecretFormatError(field, 'must be a non-empty string');
  }
  return value;
}

/** A field that is absent or holds a non-empty string. */
export function optionalString(
  record: Record<string, unknown>,
  key: string,
  field = key,
): string | undefined {
  if (record[key] === undefined) return undefined;
  return requiredString(record, key, field);
}

function assertOrigin(baseUrl: string): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new SecretFormatError(
      'baseUrl',
      'must be an absolute URL such as https://api.example.com',
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
