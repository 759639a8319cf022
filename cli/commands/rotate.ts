import {
  DescribeSecretCommand,
  InvalidRequestException,
  RotateSecretCommand,
  type DescribeSecretCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { readSecretMetadata, versionById } from '../../lambda/aws/secret-metadata';
import { AWSCURRENT, AWSPENDING, SecretsStore } from '../../lambda/aws/secrets';
import { describeError } from '../../lambda/shared/errors';
import { printable } from '../../lambda/shared/printable';
import { providersOf, type CliDependencies } from '../dependencies';
import { CliError, toCliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { colorsFor } from '../io';
import { describeVersionKey, writeJson } from '../output';
import {
  cliCommand,
  keyToRevoke,
  revokeAdvice,
  stepsAfterFailure,
  withoutAdvice,
  type FailedStep,
  type RotationContext,
} from '../rotation-advice';
import type { RotationAttempt } from '../rotation-history';
import { readKeyVersion, readSecretState, type KeyVersion } from '../secret-state';

export interface RotateOptions {
  readonly json: boolean;
  readonly wait: boolean;
  /** How long `--wait` follows the rotation before giving up. */
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
}

type RotationResult =
  | { readonly outcome: 'started' }
  | { readonly outcome: 'succeeded'; readonly newKey: KeyVersion }
  | {
      readonly outcome: 'failed';
      readonly reason: string;
      readonly rotated: boolean;
      readonly failure?: FailedStep;
    }
  | { readonly outcome: 'timed-out'; readonly reason: string };

/**
 * `rotate <secret>`: RotateSecret, and with `--wait` follow the new version until AWSCURRENT
 * moves to it (done), the rotation is reported failed (when the history knows) or gives up its
 * AWSPENDING label, or the timeout passes (against AWS a failing function is retried, and only
 * its logs tell why).
 */
export async function rotateCommand(
  deps: CliDependencies,
  secretId: string,
  options: RotateOptions,
): Promise<ExitCode> {
  // Read first: once the rotation ends, the key it replaced is no longer AWSCURRENT.
  const context = options.wait ? await rotationContext(deps, secretId) : undefined;
  const versionId = await startRotation(deps, secretId);
  const { arn, result } =
    context === undefined
      ? { arn: secretId, result: { outcome: 'started' } as const }
      : await follow(deps, secretId, versionId, options);
  const exitCode = exitCodeOf(result);
  const revoke =
    result.outcome === 'succeeded' && context !== undefined ? keyToRevoke(context) : undefined;
  const next =
    result.outcome === 'failed' && !result.rotated && context !== undefined
      ? stepsAfterFailure(context, result.failure)
      : [];
  if (options.json) {
    writeJson(deps.io, {
      secretId,
      arn,
      versionId,
      ...result,
      ...(result.outcome === 'succeeded'
        ? { keyToRevoke: revoke === undefined ? null : keyJson(revoke) }
        : {}),
      ...(next.length === 0 ? {} : { next }),
    });
    return exitCode;
  }
  const colors = colorsFor(deps.io.stdout, deps.env);
  const say = (line: string): unknown => deps.io.stdout.write(`${line}\n`);
  switch (result.outcome) {
    case 'started':
      say(
        `Rotation of ${printable(secretId)} started: new version ${versionId}. Follow it with:\n  ${cliCommand('status', secretId)}\nor rotate with --wait.`,
      );
      break;
    case 'succeeded':
      say(
        `${colors.green('Rotated')} ${printable(secretId)}: AWSCURRENT is version ${versionId}, key ${describeVersionKey(result.newKey)}.`,
      );
      if (revoke !== undefined && context?.assisted !== undefined) {
        for (const line of revokeAdvice(context, context.assisted, revoke)) say(line);
      } else {
        say(`Prove the previous key is revoked with:\n  ${cliCommand('verify', secretId)}`);
      }
      break;
    default:
      say(
        `${colors.red(result.outcome === 'failed' ? 'Failed' : 'Timed out')}: ${printable(result.reason)}`,
      );
      if (next.length > 0) {
        say('Next, in this order:');
        next.forEach((step, index) => say(`  ${index + 1}. ${step}`));
      }
  }
  return exitCode;
}

/** The secret before the rotation, read as the operator may; undefined parts when it may not. */
async function rotationContext(deps: CliDependencies, secretId: string): Promise<RotationContext> {
  try {
    const before = await readSecretState(deps.secretsManager, secretId, providersOf(deps));
    const provider =
      before.provider === undefined ? undefined : providersOf(deps).providerOf(before.provider);
    const assisted =
      provider?.staging === undefined
        ? undefined
        : {
            displayName: provider.displayName,
            createKeyIn: provider.staging.createKeyIn,
            revokeKeyIn: provider.staging.revokeKeyIn,
          };
    return { secretId, before, assisted };
  } catch {
    // An operator who may rotate but not read values still rotates; RotateSecret says the rest.
    return { secretId, before: undefined, assisted: undefined };
  }
}

function keyJson(key: KeyVersion): { fingerprint: string | null; keyName: string | null } {
  return { fingerprint: key.fingerprint ?? null, keyName: key.keyName ?? null };
}

async function startRotation(deps: CliDependencies, secretId: string): Promise<string> {
  try {
    const output = await deps.secretsManager.send(new RotateSecretCommand({ SecretId: secretId }));
    if (output.VersionId === undefined)
      throw new CliError('RotateSecret returned no version id.', ExitCode.Failed);
    return output.VersionId;
  } catch (error) {
    if (error instanceof InvalidRequestException) {
      const refusal = await refusalOf(deps, secretId);
      const { message } = describeError(error);
      if (refusal === 'incomplete-rotation') {
        throw new CliError(message, ExitCode.Failed, {
          name: error.name,
          cause: error,
          hint: `A failed rotation left AWSPENDING. See it and clear it with \`${cliCommand('recover', secretId)}\`, then run \`${cliCommand('rotate', secretId, '--wait')}\`.`,
        });
      }
      if (refusal === 'no-rotation-function') {
        throw new CliError(message, ExitCode.Failed, {
          name: error.name,
          cause: error,
          hint: `Rotation is not configured for ${printable(secretId)}: deploy the stack with this secret, or attach the rotation function.`,
        });
      }
    }
    throw toCliError(error, secretId);
  }
}

/**
 * Why RotateSecret answered InvalidRequestException, read from the secret's state rather than the
 * message: AWS answers with that one error for a rotation still in progress, a secret without a
 * rotation function, a secret scheduled for deletion and one another service manages.
 */
async function refusalOf(
  deps: CliDependencies,
  secretId: string,
): Promise<'incomplete-rotation' | 'no-rotation-function' | undefined> {
  let described: DescribeSecretCommandOutput;
  try {
    described = await deps.secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch {
    // Unreadable state: AWS's own error is reported as it is.
    return undefined;
  }
  // Deleted or service-managed: neither hint applies, AWS's own message says what to do.
  if (described.DeletedDate !== undefined || described.OwningService !== undefined)
    return undefined;
  // RotateSecret's reference: AWSPENDING on a version other than AWSCURRENT's means a previous
  // rotation is still in progress, and RotateSecret refuses to start another.
  const pendingElsewhere = Object.values(described.VersionIdsToStages ?? {}).some(
    (stages) => stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT),
  );
  if (pendingElsewhere) return 'incomplete-rotation';
  if (described.RotationLambdaARN === undefined) return 'no-rotation-function';
  return undefined;
}

/** Polls the secret (and the rotation history, when it knows anything) until an outcome. */
async function follow(
  deps: CliDependencies,
  secretId: string,
  versionId: string,
  options: RotateOptions,
): Promise<{ arn: string; result: RotationResult }> {
  const progress = new ProgressReporter(deps);
  const store = new SecretsStore(deps.secretsManager);
  const giveUpAt = deps.now() + options.timeoutSeconds * 1000;
  progress.say(`rotation started: version ${versionId} is AWSPENDING`);
  let newKey: KeyVersion | undefined;
  // Against AWS the version appears only once createSecret stores it.
  let seenPending = false;
  for (;;) {
    const metadata = await readSecretMetadata(deps.secretsManager, secretId);
    const { arn } = metadata;
    const labels = versionById(metadata, versionId)?.stages ?? [];
    seenPending ||= labels.includes(AWSPENDING);
    const attempt = (await deps.history.attempts(arn))?.find((a) => a.token === versionId);
    attempt?.completedSteps.forEach((step) => progress.say(`${step} done`));
    if (newKey === undefined) {
      const key = await readKeyVersion(store, arn, versionId, labels, providersOf(deps));
      if (key.fingerprint !== undefined) {
        newKey = key;
        progress.say(`new key ${describeVersionKey(key)} stored`);
      }
    }
    const result = outcomeOf(secretId, versionId, labels, attempt, newKey, seenPending);
    if (result !== undefined) return { arn, result };
    if (deps.now() >= giveUpAt) {
      return {
        arn,
        result: {
          outcome: 'timed-out',
          reason: `the rotation of ${secretId} did not finish within ${options.timeoutSeconds}s; version ${versionId} is still AWSPENDING. Secrets Manager retries a failing step: check the rotation function's logs (${functionLogGroup(metadata.rotationLambdaArn)}), then run \`api-key-rotator status ${secretId}\` or \`api-key-rotator recover ${secretId}\`.`,
        },
      };
    }
    await deps.sleep(options.intervalSeconds * 1000);
  }
}

function outcomeOf(
  secretId: string,
  versionId: string,
  labels: readonly string[],
  attempt: RotationAttempt | undefined,
  newKey: KeyVersion | undefined,
  seenPending: boolean,
): RotationResult | undefined {
  const failure = attempt?.failure;
  const failed = attempt?.outcome === 'failed';
  const described =
    failure === undefined
      ? 'the function failed'
      : `${failure.step} failed: ${failure.errorType}: ${withoutAdvice(failure).replace(/\.$/, '')}`;
  if (labels.includes(AWSCURRENT)) {
    if (attempt?.outcome === 'running') return undefined; // finishSecret is still revoking
    if (failed) {
      return {
        outcome: 'failed',
        rotated: true,
        reason: `${secretId} uses its new key (version ${versionId}), but ${described}`,
      };
    }
    // The key as it is now: AWSCURRENT, no longer the AWSPENDING it was stored as.
    return { outcome: 'succeeded', newKey: { ...(newKey ?? { versionId }), labels } };
  }
  if (failed) {
    return {
      outcome: 'failed',
      rotated: false,
      reason: `the rotation of ${secretId} stopped: ${described}. AWSCURRENT is unchanged; version ${versionId} stays AWSPENDING, and no new rotation starts until \`${cliCommand('recover', secretId)}\` clears it.`,
      ...(failure === undefined
        ? {}
        : { failure: { step: failure.step, errorType: failure.errorType } }),
    };
  }
  if (seenPending && !labels.includes(AWSPENDING) && attempt?.outcome !== 'running') {
    return {
      outcome: 'failed',
      rotated: false,
      reason: `version ${versionId} of ${secretId} is no longer AWSPENDING and never became AWSCURRENT: the rotation was abandoned or cleared. Rotate again.`,
    };
  }
  return undefined;
}

function exitCodeOf(result: RotationResult): ExitCode {
  if (result.outcome === 'failed') return ExitCode.Failed;
  if (result.outcome === 'timed-out') return ExitCode.Unavailable;
  return ExitCode.Ok;
}

/**
 * Where the function logs. The stack gives it its own log group (with retention), which is not
 * Lambda's default `/aws/lambda/<name>` and whose name CloudFormation generates: only the
 * function's configuration knows it.
 */
function functionLogGroup(functionArn: string | undefined): string {
  const name = functionArn?.split(':')[6];
  if (name === undefined) return 'its CloudWatch log group';
  return `function ${name}; \`aws lambda get-function-configuration --function-name ${name} --query LoggingConfig.LogGroup\` names its log group`;
}

/** Progress lines on stderr, each said once, so stdout keeps only the result. */
class ProgressReporter {
  private readonly said = new Set<string>();
  constructor(private readonly deps: CliDependencies) {}

  say(line: string): void {
    if (this.said.has(line)) return;
    this.said.add(line);
    const colors = colorsFor(this.deps.io.stderr, this.deps.env);
    this.deps.io.stderr.write(`${colors.dim('…')} ${line}\n`);
  }
}
