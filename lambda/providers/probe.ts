import type { RotatedSecret } from '../shared/secret';
import { IdentityMismatchError, KeyRejectedError } from './errors';
import type { ProviderContext } from './provider';
import { providerFor } from './registry';

/** How the vendor answered a key's identity check. */
export type KeyProbe =
  | { readonly kind: 'accepted' }
  /** The vendor refused the key (401/403): it is revoked, or was never valid. */
  | { readonly kind: 'rejected'; readonly status: number }
  /** The key authenticates, but as another principal than the secret names. */
  | { readonly kind: 'wrong-identity'; readonly error: IdentityMismatchError };

/**
 * Asks the vendor whether it still accepts a key, with the identity check testSecret uses.
 * Answers about the key are results; failures to get an answer (vendor down, bad response) throw.
 */
export async function probeKey(secret: RotatedSecret, context: ProviderContext): Promise<KeyProbe> {
  try {
    await providerFor(secret).verifyIdentity(secret, context);
    return { kind: 'accepted' };
  } catch (error) {
    if (error instanceof KeyRejectedError) return { kind: 'rejected', status: error.status };
    if (error instanceof IdentityMismatchError) return { kind: 'wrong-identity', error };
    throw error;
  }
}
