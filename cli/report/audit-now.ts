/**
 * The audit's checks on one secret, run now by the CLI as the operator: what `rollback` shows
 * after it acts and what `report` records as the last audit outcome. Read-only.
 */
import { auditSecret, type AuditFinding } from '../../lambda/audit/checks';
import { FunctionEnv } from '../../lambda/shared/contracts';
import { providersOf, type CliDependencies } from '../dependencies';
import { ExitCode, worstExitCode } from '../exit-codes';

/** Vendor calls of one secret's audit must be over within this. */
const VENDOR_DEADLINE_MS = 30_000;

/**
 * Runs every audit check on `secretArn` with the CLI's clients and vendor allowlist.
 *
 * @example
 * ```ts
 * const findings = await auditNow(deps, arn);
 * auditExitCode(findings); // ExitCode.Ok when every check passed
 * ```
 */
export function auditNow(deps: CliDependencies, secretArn: string): Promise<AuditFinding[]> {
  return auditSecret(
    {
      secretsManager: deps.secretsManager,
      kms: deps.kms,
      http: deps.vendorHttp(),
      now: deps.now,
      providers: providersOf(deps),
      expectedKmsKeyArn: deps.env[FunctionEnv.ExpectedKmsKeyArn],
      deadline: deps.now() + VENDOR_DEADLINE_MS,
    },
    secretArn,
  );
}

/** 1 when a check failed, 4 when one could not complete, else 0 (as `verify` exits). */
export function auditExitCode(findings: readonly AuditFinding[]): ExitCode {
  return findings.reduce<ExitCode>((worst, found) => {
    if (found.outcome === 'fail') return worstExitCode(worst, ExitCode.Failed);
    if (found.outcome === 'error') return worstExitCode(worst, ExitCode.Unavailable);
    return worst;
  }, ExitCode.Ok);
}
