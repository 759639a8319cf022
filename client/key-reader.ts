import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { KeyVersion } from './parse-key';
import { readCurrentKey } from './read-key';
import type { SecretValueClient } from './read-key';
import { SingleFlight } from './single-flight';
import type { KeyReader, KeyReaderOptions, KeyRotation } from './types';
import { callWithKey } from './with-key';

/** Default {@link KeyReaderOptions.maxAgeMs}: 5 minutes. */
export const DEFAULT_MAX_AGE_MS = 5 * 60 * 1000;

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
  readonly #read = new SingleFlight<string>();
  #cached: CachedKey | undefined;

  public constructor(options: KeyReaderOptions) {
    if (options.secretId.length === 0) throw new TypeError('secretId must not be empty');
    const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    if (!(maxAgeMs >= 0)) throw new RangeError('maxAgeMs must be a number >= 0');

    this.secretId = options.secretId;
    this.#maxAgeMs = maxAgeMs;
    this.#client = options.client ?? new SecretsManagerClient({});
    this.#field = options.field ?? DEFAULT_KEY_FIELD;
    this.#onRotate = options.onRotate;
    this.#now = options.now ?? Date.now;
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
    // Another caller already replaced the rejected key: no need to read again.
    if (this.#cached !== undefined && this.#cached.key !== rejectedKey) return this.getKey();
    return this.refresh();
  }

  public withKey<T>(fn: (key: string) => Promise<T>): Promise<T> {
    return callWithKey(this, fn);
  }

  async #readAndCache(): Promise<string> {
    const next = await readCurrentKey(this.#client, this.secretId, this.#field);
    const previous = this.#cached;
    this.#cached = { ...next, readAt: this.#now() };
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
