import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { KeyVersion } from './parse-key';
import { readCurrentKey } from './read-key';
import type { SecretValueClient } from './read-key';
import { SingleFlight } from './single-flight';
import type { KeyReader, KeyReaderOptions, KeyRotation } from './types';
import { callWithKey } from './with-key';

/** Default {@link KeyReaderOptions.maxAgeMs}: 5 minutes. */
export const DEFAULT_MAX_AGE_MS = 5 * 60 * 1000;

/** Default {@link KeyReaderOptions.rejectedKeyBackoff}: from 1 second, doubling up to 1 minute. */
export const DEFAULT_REJECTED_KEY_BACKOFF = { initialMs: 1_000, maxMs: 60_000 } as const;

/** Default {@link KeyReaderOptions.field}. */
export const DEFAULT_KEY_FIELD = 'apiKey';

/**
 * Creates a {@link KeyReader} for one secret. Nothing is read until the first call.
 *
 * @example
 * ```ts
 * const reader = createKeyReader({ secretId: 'poelis/production' });
 * const res = await reader.withKey((key) =>
 *   fetch(url, { headers: { authorization: `Bearer ${key}` } }),
 * );
 * ```
 */
export function createKeyReader(options: KeyReaderOptions): KeyReader {
  return new CachedKeyReader(options);
}

/** A key read from the secret, and when it was read. */
interface CachedKey extends KeyVersion {
  readonly readAt: number;
}

class CachedKeyReader implements KeyReader {
  public readonly secretId: string;
  readonly #maxAgeMs: number;
  readonly #client: SecretValueClient;
  readonly #field: string;
  readonly #onRotate: ((rotation: KeyRotation) => void) | undefined;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly #read = new SingleFlight<string>();
  #cached: CachedKey | undefined;
  /** Reads after a 401 that found the rejected key again (or failed), since the key last changed. */
  #fruitlessReads = 0;
  /** Before this time, a 401 on the key in memory retries with it instead of reading. */
  #nextRejectedReadAt = 0;

  public constructor(options: KeyReaderOptions) {
    if (options.secretId.length === 0) throw new TypeError('secretId must not be empty');
    const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    if (!(maxAgeMs >= 0)) throw new RangeError('maxAgeMs must be a number >= 0');
    const initialMs =
      options.rejectedKeyBackoff?.initialMs ?? DEFAULT_REJECTED_KEY_BACKOFF.initialMs;
    const maxMs = options.rejectedKeyBackoff?.maxMs ?? DEFAULT_REJECTED_KEY_BACKOFF.maxMs;
    if (!(initialMs >= 0 && maxMs >= initialMs)) {
      throw new RangeError('rejectedKeyBackoff needs 0 <= initialMs <= maxMs');
    }

    this.secretId = options.secretId;
    this.#maxAgeMs = maxAgeMs;
    this.#client = options.client ?? new SecretsManagerClient({});
    this.#field = options.field ?? DEFAULT_KEY_FIELD;
    this.#onRotate = options.onRotate;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#backoff = { initialMs, maxMs };
  }

  public get versionId(): string | undefined {
    return this.#cached?.versionId;
  }

  public getKey(): Promise<string> {
    const cached = this.#cached;
    if (cached !== undefined && this.#now() - cached.readAt < this.#maxAgeMs) {
      return Promise.resolve(cached.key);
    }
    return this.refresh();
  }

  public refresh(): Promise<string> {
    return this.#read.run(() => this.#readAndCache());
  }

  public replaceRejectedKey(rejectedKey: string): Promise<string> {
    const cached = this.#cached;
    // Another caller already replaced the rejected key: no need to read again.
    if (cached !== undefined && cached.key !== rejectedKey) return this.getKey();
    // A read in flight answers this 401 too, whoever started it.
    const inFlight = this.#read.current;
    if (inFlight !== undefined) return inFlight;
    // The secret still held this key a moment ago: a storm of 401s must not become a storm of reads.
    if (cached !== undefined && this.#now() < this.#nextRejectedReadAt) {
      return Promise.resolve(cached.key);
    }
    return this.#read.run(() => this.#readAfterRejection(rejectedKey));
  }

  public withKey<T>(fn: (key: string) => Promise<T>): Promise<T> {
    return callWithKey(this, fn);
  }

  async #readAfterRejection(rejectedKey: string): Promise<string> {
    let key: string;
    try {
      key = await this.#readAndCache();
    } catch (error) {
      this.#backOff();
      throw error;
    }
    if (key === rejectedKey) this.#backOff();
    return key;
  }

  /** Sets the next 401 read to a jittered wait that doubles with each fruitless read. */
  #backOff(): void {
    const { initialMs, maxMs } = this.#backoff;
    const ceiling = Math.min(maxMs, initialMs * 2 ** this.#fruitlessReads);
    this.#fruitlessReads += 1;
    // Between half and all of the ceiling: the floor keeps the rate bounded, the rest spreads readers.
    this.#nextRejectedReadAt = this.#now() + ceiling * (0.5 + this.#random() / 2);
  }

  async #readAndCache(): Promise<string> {
    const next = await readCurrentKey(this.#client, this.secretId, this.#field);
    const previous = this.#cached;
    this.#cached = { ...next, readAt: this.#now() };
    if (previous !== undefined && previous.key !== next.key) {
      this.#fruitlessReads = 0;
      this.#nextRejectedReadAt = 0;
    }
    if (previous !== undefined && previous.versionId !== next.versionId) {
      this.#notifyRotation(previous.versionId, next.versionId);
    }
    return next.key;
  }

  #notifyRotation(previousVersionId: string | undefined, versionId: string | undefined): void {
    if (this.#onRotate === undefined) return;
    try {
      this.#onRotate({ secretId: this.secretId, previousVersionId, versionId });
    } catch (error) {
      // An observer's bug must not take the key away from the application.
      process.emitWarning(error instanceof Error ? error : String(error), 'KeyReaderWarning');
    }
  }
}
