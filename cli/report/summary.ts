/** The fleet summary of `report`: what an auditor asks first, computed from each secret's evidence. */
import type { KeyReference } from '../../lambda/shared/key-reference';
import type { KeyEvidence, SecretEvidence } from './evidence';

/** One key named in the summary, with the secret and version holding it. */
export interface SummarizedKey {
  readonly secret: string;
  readonly versionId: string;
  readonly key: KeyReference | null;
  readonly ageDays: number | null;
}

export interface FleetSummary {
  readonly secrets: number;
  /** Secrets whose rotation is off or more than a day past due. */
  readonly overdue: readonly string[];
  /** Live keys older than their schedule allows. */
  readonly keysOverAge: readonly SummarizedKey[];
  /** Keys the vendor accepts that the policy says are dead. */
  readonly liveKeysThatShouldBeDead: readonly SummarizedKey[];
  /** Secrets with an audit check that did not pass. */
  readonly auditNotPassed: readonly string[];
}

/**
 * Sums up the evidence of a fleet.
 *
 * @example
 * ```ts
 * summarize(evidence).liveKeysThatShouldBeDead.length; // 0 for a healthy fleet
 * ```
 */
export function summarize(evidence: readonly SecretEvidence[]): FleetSummary {
  const keys = (secret: SecretEvidence, keep: (key: KeyEvidence) => boolean): SummarizedKey[] =>
    [...(secret.current === null ? [] : [secret.current]), ...secret.storedKeys]
      .filter(keep)
      .map((key) => ({
        secret: secret.name,
        versionId: key.versionId,
        key: key.key,
        ageDays: key.ageDays,
      }));
  return {
    secrets: evidence.length,
    overdue: evidence.filter((secret) => secret.overdue).map((secret) => secret.name),
    keysOverAge: evidence.flatMap((secret) => keys(secret, (key) => key.overAge)),
    liveKeysThatShouldBeDead: evidence.flatMap((secret) => keys(secret, (key) => key.shouldBeDead)),
    auditNotPassed: evidence.filter((secret) => !secret.audit.passed).map((secret) => secret.name),
  };
}
