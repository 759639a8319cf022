/**
 * What the conformance kit needs from a vendor: its provider (the module the function runs)
 * and a simulator of its API on loopback with the hooks the invariant checks read (the key
 * ledger, key status) and the hands of a person at the vendor's web app.
 */
import type { KeyProvider } from '../../lambda/providers/provider';
import type { Clock } from '../../local/aws/types';
import type { SimulatorBase } from '../../local/vendors';
import type { LocalWorld } from '../../local/world';

/** A vendor account opened for one secret under test. */
export interface VendorAccount {
  /** The secret's first value: the envelope and the provider's fields, without `revokePrevious`. */
  readonly value: Readonly<Record<string, unknown>>;
  /** The account the keys belong to (the ledger's `organizationId`). */
  readonly organizationId: string;
  /**
   * The principals the rotation issues keys for (the ledger's `userId`): a live key of another
   * principal is never the rotation's. Empty when keys belong to the account, not to users.
   */
  readonly principals: readonly string[];
  /** The current key dies when the new one is issued (Polytomic single-user mode). */
  readonly currentKeyDiesAtIssue: boolean;
}

/** What opening an account may use. */
export interface AccountRequest {
  /** A unique name for the account (and its secret). */
  readonly name: string;
  /** The variant's options, e.g. `{ standby: false }`. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Stores a credential the secret points at (e.g. a partner key) in Secrets Manager; returns its ARN. */
  readonly storeCredential: (name: string, value: string) => Promise<string>;
}

/** A running simulator of the vendor, with the kit's hooks. */
export interface SimulatedVendor extends SimulatorBase {
  /** Every substring of `text` shaped like one of this vendor's keys (the leak scanner's candidates). */
  keyShapedStrings(text: string): string[];
  keyStatus(value: string): 'live' | 'revoked' | 'unknown';
  /** A new account with its first key. */
  openAccount(request: AccountRequest): Promise<VendorAccount>;
  /** A person revokes a key (by fingerprint) in the vendor's web app. */
  revokeByHand(organizationId: string, fingerprint: string): void;
  /** Assisted vendors: a person creates a key in the web app; returns its value once. */
  createKeyByHand?(organizationId: string, keyName: string): string;
}

/** One way a vendor's secrets are set up, run through the whole kit. */
export interface VendorVariant {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** A vendor registered with the conformance kit. */
export interface VendorUnderTest {
  readonly provider: KeyProvider;
  /** `automatic`: the rotation revokes replaced keys itself; `manual`: it tells a person which. */
  readonly revocation: 'automatic' | 'manual';
  /**
   * Revoking re-issues a principal's key and drops the new value unseen (Polytomic), so a live
   * key of one of the account's principals that no version holds is accounted for.
   */
  readonly revokesByReissue: boolean;
  /** The set-ups the kit runs. */
  readonly variants: readonly VendorVariant[];
  /** Starts the simulator, or hands over the local world's own. */
  start(world: LocalWorld, clock: Clock): Promise<SimulatedVendor>;
}

/** The kit's hooks on a running simulator: what a vendor adds to {@link SimulatorBase}. */
export type VendorHooks = Omit<SimulatedVendor, keyof SimulatorBase>;

/**
 * A simulator with the kit's hooks. `owned`: closing the kit's vendor closes the simulator
 * (false for the local world's own simulators, which the world closes).
 */
export function simulatedVendor(
  simulator: SimulatorBase,
  hooks: VendorHooks,
  owned: boolean,
): SimulatedVendor {
  return {
    url: simulator.url,
    injectFault: (fault) => simulator.injectFault(fault),
    clearFaults: () => simulator.clearFaults(),
    ledger: () => simulator.ledger(),
    requests: () => simulator.requests(),
    routeCounts: () => simulator.routeCounts(),
    isIssuedKey: (candidate) => simulator.isIssuedKey(candidate),
    close: () => (owned ? simulator.close() : Promise.resolve()),
    ...hooks,
  };
}
