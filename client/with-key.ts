import { KeyRejectedError } from './errors';
import { isUnauthorized, releaseBody } from './http-status';
import type { KeyReader } from './types';

/** The part of a reader that the 401 protocol needs. */
export type RotatingKeySource = Pick<
  KeyReader,
  'secretId' | 'versionId' | 'getKey' | 'replaceRejectedKey'
>;

/** Result of one call of the caller's function: its value, or the fact it was a 401. */
type Attempt<T> = { readonly rejected: false; readonly value: T } | { readonly rejected: true };

/**
 * Calls `fn` with the current key; on a 401 gets a replacement key and calls it once more.
 * See {@link KeyReader.withKey} for what counts as a 401.
 *
 * @throws {KeyRejectedError} when the retry is rejected too.
 */
export async function callWithKey<T>(
  source: RotatingKeySource,
  fn: (key: string) => Promise<T>,
): Promise<T> {
  const key = await source.getKey();
  const first = await attempt(fn, key);
  if (!first.rejected) return first.value;

  const second = await attempt(fn, await source.replaceRejectedKey(key));
  if (!second.rejected) return second.value;
  throw new KeyRejectedError(source.secretId, source.versionId);
}

async function attempt<T>(fn: (key: string) => Promise<T>, key: string): Promise<Attempt<T>> {
  let value: T;
  try {
    value = await fn(key);
  } catch (error) {
    if (isUnauthorized(error)) return { rejected: true };
    throw error;
  }
  if (!isUnauthorized(value)) return { rejected: false, value };
  await releaseBody(value);
  return { rejected: true };
}
