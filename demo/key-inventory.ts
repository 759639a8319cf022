/**
 * Which live vendor keys are accounted for: compares the simulators' ledgers with every key the
 * story's secrets hold now or ever held, so an orphan live key cannot hide.
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { readSecretMetadata } from '../lambda/aws/secret-metadata';
import { fingerprint } from '../lambda/shared/fingerprint';
import { parsePartnerKey } from '../lambda/providers/polytomic';
import { builtInProviders } from '../lambda/providers/registry';
import { parseStagedKeyEnvelope, type RevokePolicy } from '../lambda/shared/secret';
import type { LedgerEntry } from '../local/vendors';
import type { OrphanFact } from './summary';

/** The keys the secrets account for, by fingerprint. */
export interface HeldKeys {
  /** Keys in the AWSCURRENT version of each secret, partner keys included. */
  readonly current: ReadonlySet<string>;
  /** Of those, the partner keys: credentials in their own secret, not rotated by the stack. */
  readonly partnerKeys: ReadonlySet<string>;
  /** Keys in any version of the secrets, deprecated ones included. */
  readonly everStored: ReadonlySet<string>;
  /** Keys in AWSPREVIOUS of secrets whose policy is `next-rotation`: live by design (invariant 2). */
  readonly keptByPolicy: ReadonlySet<string>;
  /** Standby users of the Polytomic secrets: revocation re-issues a key for them and drops it. */
  readonly standbyUserIds: ReadonlySet<string>;
}

/** A secret to read: a managed one (with the revoke policy its stack tag gives it) or a partner key. */
export type InventoriedSecret =
  | { readonly arn: string; readonly kind: 'managed'; readonly revokePolicy: RevokePolicy }
  | { readonly arn: string; readonly kind: 'partner-key' };

/** Who reads what: the stack grants no single role both the version list and every value. */
export interface InventoryReaders {
  /** Lists every version of a managed secret, deprecated ones included, and reads each. */
  readonly managed: SecretsManagerClient;
  /** Reads the partner key (AWSCURRENT: it does not rotate). */
  readonly partnerKey: Pick<SecretsManagerClient, 'send'>;
}

/** Reads every version of each managed secret, and the partner key's current value. */
export async function inventoryHeldKeys(
  readers: InventoryReaders,
  secrets: readonly InventoriedSecret[],
): Promise<HeldKeys> {
  const current = new Set<string>();
  const partnerKeys = new Set<string>();
  const everStored = new Set<string>();
  const keptByPolicy = new Set<string>();
  const standbyUserIds = new Set<string>();
  for (const spec of secrets) {
    if (spec.kind === 'partner-key') {
      const key = keyOf(await readVersion(readers.partnerKey, spec.arn), spec.kind);
      if (key !== undefined) {
        current.add(fingerprint(key));
        partnerKeys.add(fingerprint(key));
        everStored.add(fingerprint(key));
      }
      continue;
    }
    const { versions } = await readSecretMetadata(readers.managed, spec.arn, { versions: 'all' });
    const previous: string[] = [];
    let policy = spec.revokePolicy;
    for (const version of versions) {
      const text = await readVersion(readers.managed, spec.arn, version.versionId);
      const key = text === undefined ? undefined : keyOf(text, spec.kind);
      if (text === undefined || key === undefined) continue;
      everStored.add(fingerprint(key));
      if (version.stages.includes('AWSPREVIOUS')) previous.push(fingerprint(key));
      if (version.stages.includes('AWSCURRENT')) {
        current.add(fingerprint(key));
        const secret = builtInProviders.parseSecret(text);
        // The value's own policy wins over the tag's, as the rotation function reads it.
        policy = secret.revokePrevious ?? policy;
        if (secret.provider === 'polytomic' && typeof secret.standbyUserId === 'string') {
          standbyUserIds.add(secret.standbyUserId);
        }
      }
    }
    if (policy === 'next-rotation') for (const key of previous) keptByPolicy.add(key);
  }
  return { current, partnerKeys, everStored, keptByPolicy, standbyUserIds };
}

/**
 * Live keys no secret holds. A live Polytomic user key of a standby user that was never stored
 * is the revocation re-issue (one per user at most), and AWSPREVIOUS under `next-rotation` is kept
 * live by the policy: both accounted for, not orphans.
 */
export function findOrphanLiveKeys(ledger: readonly LedgerEntry[], held: HeldKeys): OrphanFact {
  const orphans: string[] = [];
  const reissuedFor = new Set<string>();
  let keptByPolicy = 0;
  let currentKeys = 0;
  let partnerKeys = 0;
  for (const entry of ledger) {
    if (entry.status !== 'live') continue;
    if (held.current.has(entry.fingerprint)) {
      if (held.partnerKeys.has(entry.fingerprint)) partnerKeys += 1;
      else currentKeys += 1;
      continue;
    }
    if (held.keptByPolicy.has(entry.fingerprint)) {
      keptByPolicy += 1;
      continue;
    }
    const discardedReissue =
      entry.vendor === 'polytomic' &&
      entry.kind === 'user' &&
      entry.userId !== undefined &&
      held.standbyUserIds.has(entry.userId) &&
      !held.everStored.has(entry.fingerprint) &&
      !reissuedFor.has(entry.userId);
    if (discardedReissue && entry.userId !== undefined) reissuedFor.add(entry.userId);
    else orphans.push(entry.fingerprint);
  }
  return {
    count: orphans.length,
    fingerprints: orphans,
    currentKeys,
    partnerKeys,
    discardedReissues: reissuedFor.size,
    reissuedForUserIds: [...reissuedFor],
    keptByPolicy,
  };
}

/**
 * A version's key: the rotated secret's, a STAGED key, or a partner key; undefined for the
 * placeholder the stack created the secret with (`{"provider":"…"}`, `{"partnerKey":""}`).
 */
function keyOf(text: string | undefined, kind: InventoriedSecret['kind']): string | undefined {
  if (text === undefined) return undefined;
  if (kind === 'partner-key') {
    const placeholder =
      text.trimStart().startsWith('{') &&
      (JSON.parse(text) as { partnerKey?: unknown }).partnerKey === '';
    return placeholder ? undefined : parsePartnerKey(text);
  }
  if (builtInProviders.isPlaceholder(text)) return undefined;
  const record = JSON.parse(text) as { provider?: unknown };
  return record.provider === undefined
    ? parseStagedKeyEnvelope(text).apiKey
    : builtInProviders.parseSecret(text).apiKey;
}

/** A version's value (AWSCURRENT's by default); undefined for a version a failed rotation left without one. */
async function readVersion(
  secretsManager: Pick<SecretsManagerClient, 'send'>,
  arn: string,
  versionId?: string,
): Promise<string | undefined> {
  try {
    const read = await secretsManager.send(
      // Without a version id, AWSCURRENT by name: the partner key is readable only so.
      new GetSecretValueCommand(
        versionId === undefined
          ? { SecretId: arn, VersionStage: 'AWSCURRENT' }
          : { SecretId: arn, VersionId: versionId },
      ),
    );
    return read.SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
