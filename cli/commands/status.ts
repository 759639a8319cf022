import { MANAGED_TAG, MANAGED_TAG_VALUE } from '../../lambda/shared/contracts';
import { printable } from '../../lambda/shared/printable';
import { providersOf, type CliDependencies } from '../dependencies';
import { reportError } from '../error-report';
import { CliError, isEnvironmentError, jsonError, toCliError } from '../errors';
import { ExitCode, worstExitCode } from '../exit-codes';
import { colorsFor, type Colors } from '../io';
import { listManagedSecrets } from '../managed-secrets';
import {
  describeKeyVersion,
  formatDate,
  outputWidth,
  renderFitted,
  shellWord,
  writeJson,
} from '../output';
import { withoutAdvice } from '../rotation-advice';
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
  | { readonly secretId: string; readonly error: CliError };

type ReadEntry = Exclude<StatusEntry, { error: CliError }>;

const HEAD = [
  'Secret',
  'Provider',
  'Keys',
  'Last rotated',
  'Next rotation',
  'Schedule',
  'Revoke',
  'Stuck pending',
];

/**
 * `status [secret…]`: each secret's keys, schedule and stuck rotation, as a table when the
 * terminal is wide enough and one block per secret otherwise; exits 1 when a rotation is stuck.
 * A secret that cannot be read is an error line, not a row; a missing region or missing
 * credentials fail the whole command once.
 */
export async function statusCommand(
  deps: CliDependencies,
  secretIds: readonly string[],
  options: StatusOptions,
): Promise<ExitCode> {
  const ids = secretIds.length > 0 ? secretIds : await listManagedSecrets(deps.secretsManager);
  const entries = await Promise.all(ids.map((secretId) => readEntry(deps, secretId)));
  // The same environment error for every secret is one error, not one per row.
  const environment = entries.find(
    (entry): entry is Extract<StatusEntry, { error: CliError }> =>
      'error' in entry && isEnvironmentError(entry.error),
  );
  if (environment !== undefined) throw environment.error;
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
  const read = entries.filter((entry): entry is ReadEntry => !('error' in entry));
  if (read.length > 0) {
    const rows = read.map((entry) => rowOf(entry, colors));
    deps.io.stdout.write(renderFitted(HEAD, rows, colors, outputWidth(deps.io.stdout, deps.env)));
  }
  writeFindings(deps, read, colors);
  for (const entry of entries) {
    if ('error' in entry) {
      reportError(deps.io, deps.env, withSubject(entry.error, entry.secretId), {
        json: false,
        printed: false,
      });
    }
  }
  return exitCode;
}

async function readEntry(deps: CliDependencies, secretId: string): Promise<StatusEntry> {
  try {
    const state = await readSecretState(deps.secretsManager, secretId, providersOf(deps));
    return { secretId, state, attempts: await deps.history.attempts(state.arn) };
  } catch (error) {
    return { secretId, error: toCliError(error, secretId) };
  }
}

function rowOf(entry: ReadEntry, colors: Colors): string[] {
  const { state } = entry;
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
      .join(', '),
    state.revokePolicy ?? '-',
    state.stuckPendingVersionId === undefined
      ? colors.green('none')
      : colors.red(
          `${state.stuckPendingVersionId}${isRunning(entry.attempts) ? ' (running)' : ''}`,
        ),
  ];
}

/**
 * Below the table, as plain lines: each secret's last failure, and for each stuck rotation the
 * exact command that clears it (on stderr, so stdout stays the table).
 */
function writeFindings(deps: CliDependencies, entries: readonly ReadEntry[], colors: Colors): void {
  for (const entry of entries) {
    const attempt = lastFailure(entry.attempts);
    const failure = attempt?.failure;
    if (attempt !== undefined && failure !== undefined) {
      deps.io.stdout.write(
        `${colors.red('last failure')} of ${printable(entry.state.name)} at ${attempt.startedAt}, ${failure.step}: ${printable(`${failure.errorType}: ${withoutAdvice(failure)}`)}\n`,
      );
    }
  }
  for (const entry of entries) {
    if (exitCodeOf(entry) !== ExitCode.Failed) continue;
    const name = shellWord(entry.state.name);
    deps.io.stderr.write(
      `${printable(entry.state.name)}: a rotation is stuck (version ${entry.state.stuckPendingVersionId ?? '?'} is AWSPENDING). See why and clear it with:\n  api-key-rotator recover ${printable(name)}\n`,
    );
  }
}

/** The error of one secret among several: says which secret it is about. */
function withSubject(error: CliError, secretId: string): CliError {
  const subject = printable(secretId);
  if (error.message.includes(subject)) return error;
  return new CliError(`${subject}: ${error.message}`, error.exitCode, {
    name: error.name,
    hint: error.hint,
    cause: error.cause,
  });
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
  if ('error' in entry) return { secretId: entry.secretId, ...jsonError(entry.error) };
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
