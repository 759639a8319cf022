/**
 * The audit's checks on one managed secret. Read-only: they call DescribeSecret,
 * ListSecretVersionIds, GetSecretValue, KMS DescribeKey and the vendor's identity endpoint,
 * and never change a secret, a key or a vendor account.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readSecretMetadata, type SecretMetadata } from '../aws/secret-metadata';
import { SecretsStore } from '../aws/secrets';
import type { HttpClient } from '../http/client';
import type { VerifyContext } from '../providers/provider';
import { builtInProviders, type ProviderRegistry } from '../providers/registry';
import { checkEncryptionKey } from './encryption-check';
import {
  AUDIT_CHECKS,
  checkNotCompleted,
  type AuditCheck,
  type AuditFinding,
  type AuditSubject,
} from './findings';
import { checkKeys } from './key-checks';
import {
  checkNoStuckPending,
  checkRotationNotOverdue,
  DEFAULT_OVERDUE_GRACE_MS,
} from './schedule-checks';

export {
  AUDIT_CHECKS,
  type AuditCheck,
  type AuditFinding,
  type AuditOutcome,
  type AuditSubject,
} from './findings';
export { DEFAULT_OVERDUE_GRACE_MS, rotationWindowMs } from './schedule-checks';

/** What the checks use: real clients in the Lambda and the CLI, the local world in tests. */
export interface AuditDependencies {
  /** A real client: the SDK's paginators accept nothing else. */
  readonly secretsManager: SecretsManagerClient;
  readonly kms: Pick<KMSClient, 'send'>;
  readonly http: HttpClient;
  /** Epoch ms; the time overdue and stuck rotations are judged against. */
  readonly now: () => number;
  /** The vendors whose secrets are audited. @default builtInProviders (Polytomic and Poelis) */
  readonly providers?: ProviderRegistry;
  /** ROTATOR_EXPECTED_KMS_KEY_ARN: the customer-managed key every secret must use. */
  readonly expectedKmsKeyArn?: string;
  /** Epoch ms by which vendor calls must be over. */
  readonly deadline: number;
  /** How long past NextRotationDate before a rotation is overdue. @default 24 hours */
  readonly overdueGraceMs?: number;
}

/** Runs all six checks on one secret; never changes anything. Findings come in AUDIT_CHECKS order. */
export async function auditSecret(
  deps: AuditDependencies,
  secretId: string,
): Promise<AuditFinding[]> {
  let snapshot: SecretMetadata;
  try {
    // Every version, deprecated ones with their dates: the key before AWSPREVIOUS is among them.
    snapshot = await readSecretMetadata(deps.secretsManager, secretId, { versions: 'all' });
  } catch (error) {
    const subject = { secretArn: secretId, secretName: secretId };
    return AUDIT_CHECKS.map((check) =>
      checkNotCompleted(subject, check, 'describe the secret', error),
    );
  }
  const subject: AuditSubject = { secretArn: snapshot.arn, secretName: snapshot.name };
  const secrets = new SecretsStore(deps.secretsManager);
  const providers = deps.providers ?? builtInProviders;
  const vendor: VerifyContext = { http: deps.http, deadline: deps.deadline };
  const now = deps.now();
  // A check that throws anyway becomes an `error` finding instead of hiding the others.
  const guard = (
    checks: readonly AuditCheck[],
    run: () => AuditFinding[] | Promise<AuditFinding[]>,
  ): Promise<AuditFinding[]> =>
    Promise.resolve()
      .then(run)
      .catch((error: unknown) =>
        checks.map((check) => checkNotCompleted(subject, check, `run ${check}`, error)),
      );

  const findings = (
    await Promise.all([
      guard(['current-key-works', 'previous-key-revoked', 'stored-keys-dead'], () =>
        checkKeys({ subject, snapshot, secrets, providers, vendor }),
      ),
      guard(['no-stuck-pending'], async () => [
        await checkNoStuckPending(subject, snapshot, now, async (versionId) => {
          const text = await secrets.findValue(snapshot.arn, { versionId });
          return text === undefined
            ? undefined
            : providers.keyReference(providers.parseSecret(text));
        }),
      ]),
      guard(['rotation-not-overdue'], () => [
        checkRotationNotOverdue(
          subject,
          snapshot,
          now,
          deps.overdueGraceMs ?? DEFAULT_OVERDUE_GRACE_MS,
        ),
      ]),
      guard(['encryption-key-ok'], async () => [
        await checkEncryptionKey(subject, snapshot, deps.kms, deps.expectedKmsKeyArn),
      ]),
    ])
  ).flat();
  return AUDIT_CHECKS.flatMap((check) => findings.filter((found) => found.check === check));
}
