import { MANAGED_TAG, MANAGED_TAG_VALUE } from '../../lambda/shared/contracts';
import { providersOf, type CliDependencies } from '../dependencies';
import { toCliError } from '../errors';
import { ExitCode, worstExitCode } from '../exit-codes';
import { colorsFor } from '../io';
import { listManagedSecrets } from '../managed-secrets';
import { printable } from '../../lambda/shared/printable';
import { describeKeyVersion, formatDate, renderTable, writeJson } from '../output';
import type { RotationAttempt } from '../rotation-history';
import { readSecretState, type SecretState } from '../secret-state';

export interface StatusOptions {
  readonly json: boolean;
}

/** One secret's row: its state, or why it could not be read. */
type StatusEntry =
  | {
      readonly secretId: string;
      readonly state: SecretState;
      readonly attempts: readonly RotationAttempt[] | undefined;
    }
  | { readonly secretId: string; readonly error: { message: string; exitCode: ExitCode } };

/** `status [secret…]`: one row per secret; exits 1 when a rotation is stuck. */
export async function statusCommand(
  deps: CliDependencies,
  secretIds: readonly string[],
  options: StatusOptions,
): Promise<ExitCode> {
  const ids = secretIds.length > 0 ? secretIds : await listManagedSecrets(deps.secretsManager);
  const entries = await Promise.all(ids.map((secretId) => readEntry(deps, secretId)));
  const exitCode = entries.map(exitCodeOf).reduce(worstExitCode, ExitCode.Ok);
  if (options.json) {
    writeJson(deps.io, entries.map(toJson));
    return exitCode;
  }
  if (entries.length === 0) {
    deps.io.stdout.write(
      `No managed secrets found (tag ${MANAGED_TAG}=${MANAGED_TAG_VALUE}). Name secrets as arguments, or check AWS_REGION.\n`,
    );
    return exitCode;
  }
  const colors = colorsFor(deps.io.stdout, deps.env);
  const rows = entries.map((entry): string[] => {
    if ('error' in entry)
      return [
        printable(entry.secretId),
        colors.red(printable(entry.error.message)),
        '',
        '',
        '',
        '',
        '',
        '',
        '',
      ];
    const { state } = entry;
    const failure = lastFailure(entry.attempts);
    return [
      printable(state.name),
      printable(state.provider ?? '') || colors.red('unreadable'),
      state.versions.map(describeKeyVersion).join('\n'),
      formatDate(state.lastRotated),
      state.rotationEnabled ? formatDate(state.nextRotation) : colors.yellow('rotation off'),
      [
        state.schedule ?? '-',
        state.windowDuration === undefined ? '' : `window ${state.windowDuration}`,
      ]
        .filter((part) => part !== '')
        .join('\n'),
      state.revokePolicy ?? '-',
      state.stuckPendingVersionId === undefined
        ? colors.green('none')
        : colors.red(
            `${state.stuckPendingVersionId}${isRunning(entry.attempts) ? ' (running)' : ''}`,
          ),
      entry.attempts === undefined
        ? colors.dim('unknown (see the function logs)')
        : failure === undefined
          ? '-'
          : colors.red(
              printable(
                `${failure.startedAt} ${failure.failure?.step}: ${failure.failure?.errorType}: ${failure.failure?.errorMessage}`,
              ),
            ),
    ];
  });
  deps.io.stdout.write(
    renderTable(
      [
        'Secret',
        'Provider',
        'Keys (label fingerprint name)',
        'Last rotated',
        'Next rotation',
        'Schedule',
        'Revoke',
        'Stuck pending',
        'Last failure',
      ],
      rows,
      colors,
      [null, null, null, null, null, null, null, 40, 60],
    ),
  );
  if (exitCode === ExitCode.Failed) {
    deps.io.stderr.write(
      'A rotation is stuck: run `api-key-rotator recover <secret>` to see why and clear it.\n',
    );
  }
  return exitCode;
}

async function readEntry(deps: CliDependencies, secretId: string): Promise<StatusEntry> {
  try {
    const state = await readSecretState(deps.secretsManager, secretId, providersOf(deps));
    return { secretId, state, attempts: await deps.history.attempts(state.arn) };
  } catch (error) {
    const { message, exitCode } = toCliError(error, secretId);
    return { secretId, error: { message, exitCode } };
  }
}

/** A stuck rotation is a finding (exit 1); one still running is not. */
function exitCodeOf(entry: StatusEntry): ExitCode {
  if ('error' in entry) return entry.error.exitCode;
  const stuck = entry.state.stuckPendingVersionId !== undefined && !isRunning(entry.attempts);
  return stuck ? ExitCode.Failed : ExitCode.Ok;
}

function lastFailure(
  attempts: readonly RotationAttempt[] | undefined,
): RotationAttempt | undefined {
  return attempts?.filter((attempt) => attempt.outcome === 'failed').at(-1);
}

function isRunning(attempts: readonly RotationAttempt[] | undefined): boolean {
  return attempts?.at(-1)?.outcome === 'running';
}

function toJson(entry: StatusEntry): Record<string, unknown> {
  if ('error' in entry) return { secretId: entry.secretId, error: entry.error };
  const { state, attempts } = entry;
  const failure = lastFailure(attempts);
  return {
    secretId: entry.secretId,
    name: state.name,
    arn: state.arn,
    provider: state.provider ?? null,
    rotationEnabled: state.rotationEnabled,
    rotationFunctionArn: state.rotationFunctionArn ?? null,
    schedule: state.schedule ?? null,
    windowDuration: state.windowDuration ?? null,
    lastRotated: state.lastRotated?.toISOString() ?? null,
    nextRotation: state.nextRotation?.toISOString() ?? null,
    revokePolicy: state.revokePolicy ?? null,
    versions: state.versions,
    stuckPendingVersionId: state.stuckPendingVersionId ?? null,
    rotationRunning: isRunning(attempts),
    lastFailureKnown: attempts !== undefined,
    lastFailure:
      failure?.failure === undefined
        ? null
        : { at: failure.startedAt, token: failure.token, ...failure.failure },
  };
}
