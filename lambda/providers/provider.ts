import type { HttpClient } from '../http/client';
import type { KeyReference } from '../shared/key-reference';
import type { RotatedSecret, StagedKey } from '../shared/secret';
import type { VersionSelector } from '../aws/secrets';

/** What verifying a key takes: HTTP, and a time by which the vendor must have answered. */
export interface VerifyContext {
  /** Reaches only the origins of the provider the registry bound the call to. */
  readonly http: Pick<HttpClient, 'request'>;
  /** Epoch ms by which vendor calls must be over. */
  readonly deadline: number;
}

/** The secret reads a provider may make (a partner key, a staged key). */
export interface SecretReader {
  /** A version's value, or undefined when it has none. */
  findValue(secretId: string, selector: VersionSelector): Promise<string | undefined>;
  /** A version's value; fails with a named error when it has none. */
  getValue(secretId: string, selector: VersionSelector): Promise<string>;
}

/** What issuing or revoking a key takes, besides HTTP and a deadline. */
export interface KeyChangeContext extends VerifyContext {
  readonly secrets: SecretReader;
  /** The rotated secret's ARN. */
  readonly secretId: string;
  /**
   * A key for the vendor's idempotency: the same rotation (or recovery) sends the same key,
   * so a retry after a lost response replays instead of issuing again.
   */
  readonly idempotencyKey: string;
  /** The function's default partner-key secret (ROTATOR_PARTNER_KEY_SECRET_ID), if any. */
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

/** What `recover` does with a key left under AWSPENDING by a rotation that never finished. */
export type PendingKeyDisposal =
  /** `revokeKey(pending, pending)` kills exactly the pending key; `plan` says how, for the operator. */
  | { readonly kind: 'revoke'; readonly plan: string }
  /** Only a human can revoke it: `instruction` tells the operator how. */
  | { readonly kind: 'manual'; readonly instruction: string }
  /** Clearing AWSPENDING would lose the only working key: `reason` says why and what to do. */
  | { readonly kind: 'refuse'; readonly reason: string };

/** What the operator is told to do about a key, in the vendor's words. */
export interface OperatorGuidance<S extends RotatedSecret = RotatedSecret> {
  /** The vendor rejects AWSCURRENT's key: how to get a working one. */
  replaceKey(secretName: string): string;
  /** A key that policy says is dead still works: how to kill it. */
  revokeKey(secret: S, key: KeyReference, secretName: string): string;
}

/**
 * Keys that a person creates in the vendor's web app (assisted rotation): they are stored
 * under the `STAGED` label, and createSecret rotates the staged key in.
 */
export interface KeyStaging<S extends RotatedSecret = RotatedSecret> {
  /** Validates a staged key (its shape, its name) and names a bad field. */
  parseStagedKey(text: string): StagedKey;
  /** The secret a staged key makes when it replaces `current`'s key. */
  withStagedKey(current: S, staged: StagedKey): S;
  /** Where keys are created, e.g. "the Poelis web app (Settings > Manage REST API Keys)". */
  readonly createKeyIn: string;
  /** Where keys are revoked, e.g. "the Poelis web app (Settings > Manage REST API Keys > Revoke)". */
  readonly revokeKeyIn: string;
}

/**
 * One vendor: the shape of its secrets, how its keys are issued, checked, named and revoked,
 * and what operators are told. Register it in a {@link ProviderRegistry} and every rotation
 * step, the audit and the CLI handle its secrets.
 *
 * @example
 * const registry = new ProviderRegistry([polytomicProvider, poelisProvider, myVendorProvider]);
 * const secret = registry.parseSecret(text); // validated by the provider it names
 */
export interface KeyProvider<S extends RotatedSecret = RotatedSecret> {
  /** The secret's `provider` field. */
  readonly name: S['provider'];
  /** The vendor's name as people write it. */
  readonly displayName: string;
  /**
   * The only origins this provider's secrets' keys are sent to when the function's settings
   * (ROTATOR_ALLOWED_ORIGINS) name none for it.
   */
  readonly defaultOrigins: readonly string[];
  /** Validates the vendor's fields of an envelope whose `provider` names this provider. */
  parseSecret(envelope: RotatedSecret): S;
  /** Names a key without revealing it: fingerprint, plus the vendor's key name if it has one. */
  keyReference(secret: S): KeyReference;
  /** createSecret: the next version of the secret, holding a new key. */
  issueKey(current: S, context: KeyChangeContext): Promise<S>;
  /** testSecret: the key authenticates, as the principal the secret names. */
  verifyIdentity(secret: S, context: VerifyContext): Promise<void>;
  /**
   * finishSecret, once `replaced` has lost AWSCURRENT: revoke `target`'s key — `replaced`
   * itself under `on-finish`, the version before it under `next-rotation`. `recover` calls it
   * with the pending version as both, to revoke exactly that key.
   */
  revokeKey(target: S, replaced: S, context: KeyChangeContext): Promise<Revocation>;
  /** `recover`: how to dispose of `pending`'s key so AWSPENDING can be cleared. */
  disposePendingKey(pending: S, current: S): PendingKeyDisposal;
  /**
   * `recover` when AWSPENDING holds no value: a reason to refuse clearing it (the failed
   * createSecret may have killed AWSCURRENT's key), or undefined when clearing is safe.
   */
  unstoredPendingRisk(current: S): string | undefined;
  readonly guidance: OperatorGuidance<S>;
  /** Present for vendors whose keys are made by a person and staged. */
  readonly staging?: KeyStaging<S>;
}
