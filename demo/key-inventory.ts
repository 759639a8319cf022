/**
 * Which live vendor keys are accounted for: compares the simulators' ledgers with every key the
 * story's secrets hold now or ever held, so an orphan live key cannot hide.
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { readSecretSnapshot } from '../lambda/audit/secret-snapshot';
import { fingerprint } from '../lambda/shared/fingerprint';
import { parsePartnerKey, parseSecret, parseStagedKey } from '../lambda/shared/secret';
import type { LedgerEntry } from '../local/vendors';
import type { OrphanFact } from './summary';

/** The keys the secrets account for, by fingerprint. */
export interface HeldKeys {
  /** Keys in the AWSCURRENT version of each secret. */
  readonly current: ReadonlySet<string>;
  /** Keys in any version of the secrets, deprecated ones included. */
  readonly everStored: ReadonlySet<string>;
  /** Standby users of the Polytomic secrets: revocation re-issues a key for them and drops it. */
  readonly standbyUserIds: ReadonlySet<string>;
}

type SecretKind = 'managed' | 'partner-key';

/** Reads every version of each secret; `managed` secrets hold a rotated key, the others a partner key. */
export async function inventoryHeldKeys(
  secretsManager: Pick<SecretsManagerClient, 'send'>,
  secrets: readonly { readonly arn: string; readonly kind: SecretKind }[],
): Promise<HeldKeys> {
  const current = new Set<string>();
  const everStored = new Set<string>();
  const standbyUserIds = new Set<string>();
  for (const { arn, kind } of secrets) {
    const { versions } = await readSecretSnapshot(secretsManager, arn);
    for (const version of versions) {
      const text = await readVersion(secretsManager, arn, version.versionId);
      if (text === undefined) continue;
      const key = keyOf(text, kind);
      everStored.add(fingerprint(key));
      if (version.stages.includes('AWSCURRENT')) {
        current.add(fingerprint(key));
        const secret = kind === 'managed' ? parseSecret(text) : undefined;
        if (secret?.provider === 'polytomic' && secret.standbyUserId !== undefined) {
          standbyUserIds.add(secret.standbyUserId);
        }
      }
    }
  }
  return { current, everStored, standbyUserIds };
}

/**
 * Live keys no secret holds. A live Polytomic user key of a standby user that was never stored
 * is the revocation re-issue (one per user at most): accounted for, not an orphan.
 */
export function findOrphanLiveKeys(ledger: readonly LedgerEntry[], held: HeldKeys): OrphanFact {
  const orphans: string[] = [];
  const reissuedFor = new Set<string>();
  for (const entry of ledger) {
    if (entry.status !== 'live' || held.current.has(entry.fingerprint)) continue;
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
  return { count: orphans.length, fingerprints: orphans, discardedReissues: reissuedFor.size };
}

/** A version's key: the rotated secret's, a STAGED key, or a partner key. */
function keyOf(text: string, kind: SecretKind): string {
  if (kind === 'partner-key') return parsePartnerKey(text);
  const record = JSON.parse(text) as { provider?: unknown };
  return record.provider === undefined ? parseStagedKey(text).apiKey : parseSecret(text).apiKey;
}

/** A version's value; undefined for a version a failed rotation left without one. */
async function readVersion(
  secretsManager: Pick<SecretsManagerClient, 'send'>,
  arn: string,
  versionId: string,
): Promise<string | undefined> {
  try {
    const read = await secretsManager.send(
      new GetSecretValueCommand({ SecretId: arn, VersionId: versionId }),
    );
    return read.SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
