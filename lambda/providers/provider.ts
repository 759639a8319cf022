import type { HttpClient } from '../http/client';
import type { SecretsStore } from '../aws/secrets';
import type { RotatedSecret } from '../shared/secret';

/** What a provider may use while it works on one rotation step. */
export interface ProviderContext {
  readonly http: HttpClient;
  readonly secrets: SecretsStore;
  /** The rotated secret's ARN. */
  readonly secretId: string;
  /** The rotation's ClientRequestToken: the new version's id and the vendor idempotency key. */
  readonly token: string;
  /** Epoch ms by which vendor calls must be over. */
  readonly deadline: number;
  /** ROTATOR_PARTNER_KEY_SECRET_ID, used when a Polytomic secret names no partner-key secret. */
  readonly defaultPartnerKeySecretId: string | undefined;
}

/** How the key a rotation replaced was dealt with. */
export type Revocation =
  /** The vendor no longer accepts it. */
  | { readonly kind: 'revoked' }
  /** Issuing the new key already replaced it (same user), so nothing was left to do. */
  | { readonly kind: 'already-revoked' }
  /** Only a human can revoke it; the report names it. */
  | { readonly kind: 'manual' };

/** One vendor: how its keys are issued, checked and revoked. */
export interface KeyProvider<S extends RotatedSecret> {
  readonly name: S['provider'];
  /** createSecret: the next version of the secret, holding a new key. */
  issueKey(current: S, context: ProviderContext): Promise<S>;
  /** testSecret: the key authenticates, as the principal the secret names. */
  verifyIdentity(secret: S, context: ProviderContext): Promise<void>;
  /**
   * finishSecret, once `replaced` has lost AWSCURRENT: revoke `target`'s key — `replaced`
   * itself under `on-finish`, the version before it under `next-rotation`.
   */
  revokeKey(target: S, replaced: S, context: ProviderContext): Promise<Revocation>;
}
