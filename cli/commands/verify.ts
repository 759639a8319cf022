import { auditSecret, type AuditFinding } from '../../lambda/audit/checks';
import { SecretsStore } from '../../lambda/aws/secrets';
import { describeKey } from '../../lambda/shared/key-reference';
import { printable } from '../../lambda/shared/printable';
import { providersOf, type CliDependencies } from '../dependencies';
import { ExitCode, worstExitCode } from '../exit-codes';
import { colorsFor, type Colors } from '../io';
import { outputWidth, renderFitted, writeJson } from '../output';

export interface VerifyOptions {
  readonly json: boolean;
}

/** Vendor calls of one command must be over within this. */
const VENDOR_DEADLINE_MS = 30_000;

/**
 * `verify <secret>`: the audit's checks on one secret, now — above all that AWSCURRENT works
 * and the key it replaced is dead at the vendor. Read-only.
 */
export async function verifyCommand(
  deps: CliDependencies,
  secretId: string,
  options: VerifyOptions,
): Promise<ExitCode> {
  // The audit turns every error into a finding; a missing or forbidden secret is the
  // operator's mistake instead, and exits 3 with the SDK's own message.
  const { arn } = await new SecretsStore(deps.secretsManager).describe(secretId);
  const findings = await auditSecret(
    {
      secretsManager: deps.secretsManager,
      kms: deps.kms,
      http: deps.vendorHttp(),
      now: deps.now,
      providers: providersOf(deps),
      expectedKmsKeyArn: deps.env.ROTATOR_EXPECTED_KMS_KEY_ARN,
      deadline: deps.now() + VENDOR_DEADLINE_MS,
    },
    arn,
  );
  const exitCode = findings.reduce<ExitCode>(
    (worst, found) => worstExitCode(worst, exitCodeOf(found)),
    ExitCode.Ok,
  );
  if (options.json) {
    writeJson(deps.io, { secretId, arn, passed: exitCode === ExitCode.Ok, findings });
    return exitCode;
  }
  const colors = colorsFor(deps.io.stdout, deps.env);
  deps.io.stdout.write(
    renderFitted(
      ['Check', 'Outcome', 'Key', 'Details'],
      findings.map((found) => [
        found.check,
        paint(colors, found),
        keyOf(found),
        printable(found.message),
      ]),
      colors,
      outputWidth(deps.io.stdout, deps.env),
    ),
  );
  const failed = findings.filter((found) => found.outcome !== 'pass').length;
  deps.io.stdout.write(
    failed === 0
      ? `${colors.green('All')} ${findings.length} checks of ${printable(secretId)} passed.\n`
      : `${colors.red(`${failed} of ${findings.length} checks`)} of ${printable(secretId)} did not pass.\n`,
  );
  return exitCode;
}

function exitCodeOf(found: AuditFinding): ExitCode {
  if (found.outcome === 'fail') return ExitCode.Failed;
  if (found.outcome === 'error') return ExitCode.Unavailable;
  return ExitCode.Ok;
}

function paint(colors: Colors, found: AuditFinding): string {
  if (found.outcome === 'pass') return colors.green('pass');
  return found.outcome === 'fail' ? colors.red('FAIL') : colors.yellow('error');
}

function keyOf(found: AuditFinding): string {
  if (found.keyFingerprint === undefined) return '-';
  return describeKey({ fingerprint: found.keyFingerprint, keyName: found.keyName });
}
