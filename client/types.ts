import type { SecretValueClient } from './read-key';

/** Options of {@link createKeyReader}. */
export interface KeyReaderOptions {
  /** Name or ARN of the secret whose `AWSCURRENT` version holds the key. */
  readonly secretId: string;
  /**
   * How long a key read from the secret is served from memory, in milliseconds. A 401 from
   * the vendor re-reads it sooner (see {@link KeyReader.withKey}). `0` reads on every call,
   * still one read for all concurrent callers; `Infinity` keeps the key until a 401 or `refresh()`.
   * @default 300_000 (5 minutes)
   */
  readonly maxAgeMs?: number;
  /**
   * Client used for GetSecretValue.
   * @default new SecretsManagerClient({}) — region, credentials and endpoint from the SDK's
   *   standard settings (`AWS_REGION`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`, …)
   */
  readonly client?: SecretValueClient;
  /**
   * Field of the secret's JSON object that holds the key.
   * @default 'apiKey'
   */
  readonly field?: string;
  /**
   * Called when a read returns a different `VersionId` than the previous read, i.e. the
   * secret was rotated. Not called for the first read. Runs synchronously before the new key
   * is handed out; an error it throws is reported with `process.emitWarning` and ignored.
   */
  readonly onRotate?: (rotation: KeyRotation) => void;
  /**
   * How soon a 401 may re-read the secret again when the last such read found the same key (the
   * vendor rejects a key the secret still holds: revoked by hand, or a rotation not finished).
   * The first 401 reads at once; each read that returns the rejected key again, or fails, doubles
   * the wait from `initialMs` up to `maxMs`, and the actual wait is drawn between half of it and
   * all of it, so many processes do not read in step. Until then, a 401 on that key retries with
   * it without a read (and ends in {@link KeyRejectedError}). A read that returns another key
   * resets the wait. `refresh()` and reads for `maxAgeMs` are not delayed.
   * @default { initialMs: 1_000, maxMs: 60_000 }
   */
  readonly rejectedKeyBackoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * Clock used for cache expiry and the 401 backoff, in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Source of the backoff's jitter, in [0, 1).
   * @default Math.random
   */
  readonly random?: () => number;
}

/** What {@link KeyReaderOptions.onRotate} receives. Carries version ids only, never keys. */
export interface KeyRotation {
  readonly secretId: string;
  readonly previousVersionId: string | undefined;
  readonly versionId: string | undefined;
}

/**
 * Reads an API key from the `AWSCURRENT` version of a Secrets Manager secret and keeps it in
 * memory. All methods are safe to call concurrently: at most one GetSecretValue call is in
 * flight at any time, and every caller waiting for a read shares its result.
 */
export interface KeyReader {
  /** Name or ARN of the secret. */
  readonly secretId: string;
  /** `VersionId` of the key held in memory; `undefined` before the first successful read. */
  readonly versionId: string | undefined;

  /** The key: from memory while younger than `maxAgeMs`, otherwise read from the secret. */
  getKey(): Promise<string>;

  /** Reads the secret now, whatever the age of the key in memory (joins a read in flight). */
  refresh(): Promise<string>;

  /**
   * The key to retry with after the vendor rejected `rejectedKey`: re-reads the secret if
   * the key in memory is still the rejected one, otherwise returns the newer key in memory.
   * Many requests rejected together therefore cause one read, not one each; and while reads
   * keep returning the rejected key, further reads wait for a growing, jittered backoff
   * ({@link KeyReaderOptions.rejectedKeyBackoff}), during which the rejected key is returned.
   */
  replaceRejectedKey(rejectedKey: string): Promise<string>;

  /**
   * Calls `fn` with the key. If `fn` reports a 401, re-reads the secret (see
   * {@link replaceRejectedKey}) and calls `fn` once more with the new key; a second 401
   * rejects with {@link KeyRejectedError}.
   *
   * `fn` reports a 401 by throwing, or returning, a value whose `status` or `statusCode` is
   * 401, or whose `response.status` / `response.statusCode` is 401. That covers a fetch
   * `Response`, undici's `request()` result and `ResponseError`, and the errors of the common
   * HTTP clients. The body of a returned 401 response is released (cancelled or dumped).
   */
  withKey<T>(fn: (key: string) => Promise<T>): Promise<T>;
}
