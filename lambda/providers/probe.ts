import type { RotatedSecret } from '../shared/secret';
import { IdentityMismatchError, KeyRejectedError } from './errors';
import type { KeyProvider, VerifyContext } from './provider';

/** How the vendor answered a key's identity check. */
export type KeyProbe =
  | { readonly kind: 'accepted' }
  /** The vendor refused the key with 401: it is revoked, or was never valid. */
  | { readonly kind: 'rejected'; readonly status: number }
  /** The key authenticates, but as another principal than the secret names. */
  | { readonly kind: 'wrong-identity'; readonly error: IdentityMismatchError };

/**
 * Asks the vendor whether it still accepts a key, with the identity check testSecret uses.
 * Answers about the key are results; failures to get an answer (vendor down, bad response) throw.
 */
export async function probeKey(
  provider: KeyProvider,
  secret: RotatedSecret,
  context: VerifyContext,
): Promise<KeyProbe> {
  try {
    await provider.verifyIdentity(secret, context);
    return { kind: 'accepted' };
  } catch (error) {
    // Only 401 is the vendors' "invalid key": a 403 may come from a proxy or WAF in front of them.
    if (error instanceof KeyRejectedError && error.status === 401) {
      return { kind: 'rejected', status: error.status };
    }
    if (error instanceof IdentityMismatchError) return { kind: 'wrong-identity', error };
    throw error;
  }
}
