/**
 * Text a vendor (or a proxy in front of it) sent back, made safe to put in a log line or an error
 * message. A vendor may reflect the request's `Authorization` header, or send control
 * characters or megabytes where an id should be: none of that may reach an output as received.
 */
import { fingerprint as fingerprintOf } from './fingerprint';
import { escapeCharacter } from './printable';

/** What replaces a secret or a key-shaped token; it never carries the value's fingerprint. */
export const REDACTED = '[redacted]';
/** Ends text that was cut to its cap. */
export const TRUNCATED = '...';
/** The cap for an id (request id, user, organization or key id). */
export const UNTRUSTED_ID_MAX_LENGTH = 128;
/** The cap for a sentence that quotes vendor text (a problem description, an identity). */
export const UNTRUSTED_MESSAGE_MAX_LENGTH = 1024;

export interface UntrustedTextOptions {
  /**
   * Values sent in the request the text answers (the bearer key, a partner key, the whole
   * `Authorization` header): any occurrence is redacted, whatever its shape.
   */
  readonly secrets?: readonly string[];
  /**
   * Fingerprints of keys sent, for callers that hold only the fingerprint: any token
   * (a run of bearer-token characters) with one of these fingerprints is redacted.
   */
  readonly fingerprints?: readonly string[];
  /** Longest output, the {@link TRUNCATED} marker included. @default UNTRUSTED_ID_MAX_LENGTH */
  readonly maxLength?: number;
}

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;
/** A credential after an auth scheme, as a reflected `Authorization` header carries it. */
const AUTH_SCHEME_CREDENTIAL = /\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
/**
 * Vendor-prefixed keys: `poelis_api_…`, `acme_sk_…`, `acme_admin_…` and their kind. Ids such
 * as `key_…`, `acct_…` or UUIDs are not key-shaped and stay readable.
 */
const PREFIXED_KEY = /\b[A-Za-z][A-Za-z0-9]*_(?:api|sk|admin|secret|token|key)_[A-Za-z0-9_-]{8,}/gi;
/** The characters of an RFC 6750 bearer token: what a key reflected on its own looks like. */
const TOKEN = /[A-Za-z0-9._~+/=-]+/g;

/**
 * Makes vendor-supplied text safe to quote: redacts every secret of the request and every
 * key-shaped token, replaces control characters and anything outside printable ASCII by its
 * escape (`\x0D`, `\u202E`, as `printable` writes them), and caps the length (ending in {@link TRUNCATED}). The result never contains one of `secrets`,
 * a control character, or more than `maxLength` characters; applying it again changes nothing.
 *
 * Redaction never names what it removed: a fingerprint of a value that may not be a key would
 * only help someone guess it.
 *
 * @example
 * ```ts
 * quoteUntrusted(`Bearer ${apiKey}\r\n\u001b[31m`, { secrets: [apiKey] });
 * // → 'Bearer [redacted]\x0D\x0A\x1B[31m'
 * quoteUntrusted('x'.repeat(10_000)); // → 125 × 'x' + '...'
 * ```
 */
export function quoteUntrusted(value: string, options: UntrustedTextOptions = {}): string {
  const maxLength = Math.max(0, Math.floor(options.maxLength ?? UNTRUSTED_ID_MAX_LENGTH));
  // Longest first, so a header value is redacted whole rather than around the key inside it.
  const secrets = [...new Set(options.secrets ?? [])]
    .filter((secret) => secret.length > 0)
    .sort((a, b) => b.length - a.length);
  const fingerprints = new Set(options.fingerprints ?? []);
  const redact = (text: string): string => {
    let result = text;
    for (const secret of secrets) result = result.split(secret).join(REDACTED);
    if (fingerprints.size > 0) {
      result = result.replace(TOKEN, (token) =>
        fingerprints.has(fingerprintOf(token)) ? REDACTED : token,
      );
    }
    return result
      .replace(AUTH_SCHEME_CREDENTIAL, (_match, scheme: string, space: string) => {
        return `${scheme}${space}${REDACTED}`;
      })
      .replace(PREFIXED_KEY, REDACTED);
  };
  // Redact before capping, so a key cut by the cap cannot leave its first characters behind;
  // again after escaping, which may have formed a secret that contains `\`.
  let text = redact(String(value));
  text = redact(text.replace(NOT_PRINTABLE_ASCII, escapeCharacter));
  text = capped(text, maxLength);
  // The marker itself may complete a secret that ends in dots: then nothing of it is kept.
  if (secrets.some((secret) => text.includes(secret))) {
    text = capped(REDACTED, maxLength);
    if (secrets.some((secret) => text.includes(secret))) return '';
  }
  return text;
}

/** {@link quoteUntrusted} of an optional value; `absent` stands for a missing one. */
export function quoteUntrustedOptional(
  value: string | undefined,
  options: UntrustedTextOptions = {},
  absent = '(none)',
): string {
  return value === undefined ? absent : quoteUntrusted(value, options);
}

function capped(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  if (maxLength <= TRUNCATED.length) return text.slice(0, maxLength);
  return `${text.slice(0, maxLength - TRUNCATED.length)}${TRUNCATED}`;
}
