import { createHash } from 'node:crypto';
import type { Clock } from '../../aws/types';
import { fingerprint } from '../../../lambda/shared/fingerprint';
import type { LedgerEntry, Vendor } from '../types';

export type RevokedBy = NonNullable<LedgerEntry['revokedBy']>;

export interface IssuedKeyDetails {
  readonly kind: LedgerEntry['kind'];
  readonly organizationId: string;
  readonly userId?: string;
  readonly keyName?: string;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Every key a simulator ever issued, indexed by SHA-256. Values are hashed on the way in and
 * never kept, so neither the ledger nor anything derived from it can leak a key.
 */
export class KeyLedger {
  private readonly byHash = new Map<string, LedgerEntry>();

  constructor(
    private readonly vendor: Vendor,
    private readonly clock: Clock,
  ) {}

  record(value: string, details: IssuedKeyDetails): LedgerEntry {
    const sha256 = sha256Hex(value);
    if (this.byHash.has(sha256)) throw new Error('Key collision: the same key was issued twice.');
    const entry: LedgerEntry = {
      vendor: this.vendor,
      kind: details.kind,
      fingerprint: fingerprint(value),
      sha256,
      organizationId: details.organizationId,
      ...(details.userId === undefined ? {} : { userId: details.userId }),
      ...(details.keyName === undefined ? {} : { keyName: details.keyName }),
      status: 'live',
      issuedAt: this.isoNow(),
    };
    this.byHash.set(sha256, entry);
    return { ...entry };
  }

  /** The live entry a presented key authenticates as, if any. */
  liveEntryFor(value: string): LedgerEntry | undefined {
    const entry = this.byHash.get(sha256Hex(value));
    return entry?.status === 'live' ? { ...entry } : undefined;
  }

  statusOf(value: string): 'live' | 'revoked' | 'unknown' {
    return this.byHash.get(sha256Hex(value))?.status ?? 'unknown';
  }

  isIssued(candidate: string): boolean {
    return this.byHash.has(sha256Hex(candidate));
  }

  /** Revokes a live key; revoking a revoked key changes nothing. */
  revoke(sha256: string, by: RevokedBy): void {
    const entry = this.byHash.get(sha256);
    if (entry === undefined) throw new Error(`No key with hash ${sha256.slice(0, 8)} was issued.`);
    if (entry.status === 'revoked') return;
    entry.status = 'revoked';
    entry.revokedAt = this.isoNow();
    entry.revokedBy = by;
  }

  /**
   * Makes a revoked key live again, as a vendor fault or a restore from backup would: the audit
   * must notice. Returns false for a key never issued.
   */
  revive(value: string): boolean {
    const entry = this.byHash.get(sha256Hex(value));
    if (entry === undefined) return false;
    entry.status = 'live';
    delete entry.revokedAt;
    delete entry.revokedBy;
    return true;
  }

  /** Replaces every entry with ones read back from a state file (`shared/persistence.ts`). */
  restore(entries: readonly LedgerEntry[]): void {
    this.byHash.clear();
    for (const entry of entries) this.byHash.set(entry.sha256, { ...entry });
  }

  entries(filter: (entry: LedgerEntry) => boolean = () => true): LedgerEntry[] {
    return [...this.byHash.values()].filter(filter).map((entry) => ({ ...entry }));
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
