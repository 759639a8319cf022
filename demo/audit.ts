/**
 * The audit's proof at the end of the story: the scheduled audit's own checks, run on each
 * secret in the local world (current key works, previous key revoked, nothing stuck, not
 * overdue, the customer-managed key in use).
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { auditSecret, type AuditFinding } from '../lambda/audit/checks';
import type { HttpClient } from '../lambda/http/client';

export interface StoryAuditDependencies {
  readonly secretsManager: SecretsManagerClient;
  readonly kms: Pick<KMSClient, 'send'>;
  readonly http: HttpClient;
  /** The emulator's clock: overdue and stuck rotations are judged in the story's time. */
  readonly now: () => number;
  readonly expectedKmsKeyArn: string;
}

const AUDIT_TIMEOUT_MS = 30_000;

/** Every finding of every secret, in the order given. */
export async function auditSecrets(
  deps: StoryAuditDependencies,
  secretArns: readonly string[],
): Promise<AuditFinding[]> {
  const findings: AuditFinding[] = [];
  for (const secretArn of secretArns) {
    findings.push(
      ...(await auditSecret({ ...deps, deadline: Date.now() + AUDIT_TIMEOUT_MS }, secretArn)),
    );
  }
  return findings;
}
