/**
 * Each rotation step in one clause a security engineer can check: which user got a key, which
 * key was revoked or handed to a person to revoke, and what proved it — told from what the
 * vendor's key ledger, the notification topic and the story's own identity calls showed.
 */
import { describeKey, type KeyReference } from '../lambda/shared/key-reference';

/** A key and, for vendors whose keys belong to users (Polytomic), its user's name. */
export interface KeyHolder {
  readonly key: KeyReference;
  readonly user?: string;
}

/** What the story observed around one successful rotation. */
export interface RotationEvidence {
  /** Whether a person stages the vendor's keys (Poelis) instead of the rotation minting them. */
  readonly assisted: boolean;
  /** The vendor's identity call, as the function and the story make it (`GET /api/me`). */
  readonly identityCall: string;
  readonly previous: KeyHolder;
  readonly current: KeyHolder;
  /** Keys the vendor's ledger shows revoked during the rotation, but those `replaced` holds. */
  readonly revoked: readonly KeyHolder[];
  /**
   * Keys the new user's new key replaced when it was minted: the never-stored key an earlier
   * revocation re-issued to that user (Polytomic has one live key per user).
   */
  readonly replaced: readonly KeyHolder[];
  /** Keys a notice published during the rotation asks a person to revoke. */
  readonly revokeRequested: readonly KeyReference[];
  /** The status the vendor gave the replaced key once the rotation was over (401: dead). */
  readonly previousStatus: number;
  /** Whether the secret still had a STAGED label after the rotation (assisted vendors). */
  readonly stagedLeft: boolean;
}

/**
 * One clause for `step` of a rotation that succeeded.
 *
 * @example
 * ```ts
 * stepClause('createSecret', evidence); // 'minted key 1a2b3c4d for user rotation-b, stored as AWSPENDING'
 * stepClause('finishSecret', evidence);
 * // 'AWSCURRENT → 1a2b3c4d; revoked 9f8e7d6c (user rotation-a); GET /api/me with it → 401'
 * ```
 */
export function stepClause(step: string, evidence: RotationEvidence): string {
  const { current } = evidence;
  switch (step) {
    case 'createSecret':
      return evidence.assisted
        ? `took the staged key ${describeKey(current.key)} as AWSPENDING`
        : `minted key ${describeKey(current.key)}${named(current, (user) => ` for user ${user}`)}, stored as AWSPENDING${replacedClause(evidence.replaced)}`;
    case 'setSecret':
      if (!evidence.assisted) return 'nothing to set: a minted key works at once';
      return evidence.stagedLeft
        ? 'kept STAGED: it holds another key, for the next rotation'
        : 'cleared the STAGED label from the key being rotated in';
    case 'testSecret':
      return `${evidence.identityCall} with ${current.key.fingerprint} → 200${named(current, (user) => ` as user ${user}`)}: the new key works`;
    case 'finishSecret':
      return finishClause(evidence);
    default:
      return step;
  }
}

function finishClause(evidence: RotationEvidence): string {
  const { previous, current } = evidence;
  const parts = [`AWSCURRENT → ${current.key.fingerprint}`];
  const previousRevoked = evidence.revoked.some(
    (holder) => holder.key.fingerprint === previous.key.fingerprint,
  );
  for (const holder of evidence.revoked) {
    parts.push(`revoked ${describeKey(holder.key)}${named(holder, (user) => ` (user ${user})`)}`);
  }
  for (const key of evidence.revokeRequested) {
    parts.push(`asked a person to revoke ${describeKey(key)} (SNS notice, alarm)`);
  }
  const proof = `${evidence.identityCall} with ${previous.key.fingerprint} → ${evidence.previousStatus}`;
  if (previousRevoked) parts.push(proof);
  else if (evidence.previousStatus === 200) {
    parts.push(`${describeKey(previous.key)} stays live as AWSPREVIOUS (${proof})`);
  }
  return parts.join('; ');
}

/** The never-stored keys a mint replaced, said as such. */
function replacedClause(replaced: readonly KeyHolder[]): string {
  if (replaced.length === 0) return '';
  const keys = replaced.map((holder) => holder.key.fingerprint).join(', ');
  return `; this revoked ${keys}, the user's never-stored re-issue from the last revocation`;
}

/** `text(user)` for a key that belongs to a user; nothing for a vendor whose keys do not. */
function named(holder: KeyHolder, text: (user: string) => string): string {
  return holder.user === undefined ? '' : text(holder.user);
}
