import { EventBridgePublisher, type KeyRolledBackDetail } from '../../lambda/aws/rotation-events';
import {
  readSecretMetadata,
  versionWithStage,
  type SecretMetadata,
  type SecretVersion,
} from '../../lambda/aws/secret-metadata';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, SecretsStore } from '../../lambda/aws/secrets';
import { probeKey } from '../../lambda/providers/probe';
import { RotationEventType } from '../../lambda/shared/contracts';
import { describeError } from '../../lambda/shared/errors';
import { describeKey } from '../../lambda/shared/key-reference';
import { printable } from '../../lambda/shared/printable';
import { resolveRevokePolicy, type RotatedSecret } from '../../lambda/shared/secret';
import { providersOf, type CliDependencies } from '../dependencies';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { colorsFor, confirm } from '../io';
import { outputWidth, renderFitted, writeJson } from '../output';
import { auditExitCode, auditNow } from '../report/audit-now';

export interface RollbackOptions {
  readonly json: boolean;
  /** Act without asking. */
  readonly yes: boolean;
}

/** Vendor calls of the key check must be over within this. */
const VENDOR_DEADLINE_MS = 30_000;

/** A rollback that would leave the secret worse off, or has nothing to do: the message says why. */
function refused(
  name: string,
  message: string,
  hint: string,
  exitCode = ExitCode.Failed,
): CliError {
  return new CliError(message, exitCode, { name, hint });
}

/**
 * `rollback <secret>`: moves AWSCURRENT back to the AWSPREVIOUS version, only while the vendor
 * still accepts that key as the principal the secret names. Idempotent: once rolled back,
 * AWSCURRENT is older than AWSPREVIOUS, and a second run changes nothing. Announces the rollback
 * (`API Key Rolled Back`) and runs the audit's checks on the result.
 */
export async function rollbackCommand(
  deps: CliDependencies,
  secretId: string,
  options: RollbackOptions,
): Promise<ExitCode> {
  const out = (line: string): void => {
    // With --json the explanation goes to stderr so stdout stays one JSON document.
    (options.json ? deps.io.stderr : deps.io.stdout).write(`${line}\n`);
  };
  const colors = colorsFor(options.json ? deps.io.stderr : deps.io.stdout, deps.env);
  const metadata = await readSecretMetadata(deps.secretsManager, secretId, { versions: 'all' });
  const current = versionWithStage(metadata, AWSCURRENT);
  const previous = versionWithStage(metadata, AWSPREVIOUS);
  await refuseDuringRotation(deps, metadata, current);
  if (current === undefined || previous === undefined) {
    throw refused(
      'NothingToRollBackError',
      `Secret ${metadata.name} has no AWSPREVIOUS version: there is nothing to roll back to.`,
      'A secret has an AWSPREVIOUS version once it has been rotated.',
    );
  }
  const store = new SecretsStore(deps.secretsManager);
  const providers = providersOf(deps);
  const previousSecret = await readPrevious(deps, store, metadata, previous);
  const currentSecret = providers.parseSecret(
    await store.getValue(metadata.arn, { versionId: current.versionId }),
  );
  const alreadyRolledBack =
    current.createdAt !== undefined &&
    previous.createdAt !== undefined &&
    current.createdAt < previous.createdAt;
  // Once rolled back, "restored" is AWSCURRENT and "replaced" the newer AWSPREVIOUS.
  const [restoredVersion, restored, replacedVersion, replaced] = alreadyRolledBack
    ? [current, currentSecret, previous, previousSecret]
    : [previous, previousSecret, current, currentSecret];
  const detail: KeyRolledBackDetail = {
    rollbackId: `${restoredVersion.versionId}:${replacedVersion.versionId}`,
    secretArn: metadata.arn,
    secretName: metadata.name,
    provider: restored.provider,
    restoredVersionId: restoredVersion.versionId,
    restoredKey: providers.keyReference(restored),
    replacedVersionId: replacedVersion.versionId,
    replacedKey: providers.keyReference(replaced),
  };

  if (!alreadyRolledBack) {
    await assertStillAccepted(deps, metadata, previousSecret);
    out(`${colors.bold(metadata.name)}: roll AWSCURRENT back to the previous key.`);
    out(
      `  AWSCURRENT   ${describeKey(detail.replacedKey)} (version ${current.versionId}) becomes AWSPREVIOUS`,
    );
    out(
      `  AWSPREVIOUS  ${describeKey(detail.restoredKey)} (version ${previous.versionId}) becomes AWSCURRENT: ${restored.provider} still accepts it`,
    );
    if (!(await confirmed(deps, options))) {
      if (options.json) {
        writeJson(deps.io, {
          secretId,
          arn: metadata.arn,
          rolledBack: false,
          reason: 'not confirmed',
        });
      } else out('Nothing changed.');
      return ExitCode.Failed;
    }
    await store.moveLabel(metadata.arn, AWSCURRENT, previous.versionId, current.versionId);
  } else {
    out(
      `${colors.bold(metadata.name)} is already rolled back: AWSCURRENT is version ${current.versionId}, older than AWSPREVIOUS. Nothing changed.`,
    );
  }
  // Told again on a second run, under the same rollbackId: consumers deduplicate on it.
  const event = await announce(deps, detail);
  const findings = await auditNow(deps, metadata.arn);
  const exitCode = auditExitCode(findings);
  if (options.json) {
    writeJson(deps.io, {
      secretId,
      arn: metadata.arn,
      rolledBack: true,
      changed: !alreadyRolledBack,
      ...detail,
      event,
      auditPassed: exitCode === ExitCode.Ok,
      findings,
    });
    return exitCode;
  }
  if (!alreadyRolledBack) {
    out(
      `${colors.green('Rolled back')}: AWSCURRENT is version ${restoredVersion.versionId}, key ${describeKey(detail.restoredKey)}.`,
    );
  }
  out(
    event.published
      ? `Consumers were told: event "${RotationEventType.KeyRolledBack}" ${event.eventId}.`
      : colors.yellow(
          `The event could not be published (${event.error}); consumers refresh on their next 401.`,
        ),
  );
  out(
    `Audit of the result:\n${renderFitted(
      ['Check', 'Outcome', 'Details'],
      findings.map((found) => [found.check, found.outcome, printable(found.message)]),
      colors,
      outputWidth(deps.io.stdout, deps.env),
    )}`,
  );
  return exitCode;
}

/** A rotation that is running, or stopped half-way, owns the labels: a rollback would race it. */
async function refuseDuringRotation(
  deps: CliDependencies,
  metadata: SecretMetadata,
  current: SecretVersion | undefined,
): Promise<void> {
  const pending = versionWithStage(metadata, AWSPENDING);
  const attempts = await deps.history.attempts(metadata.arn);
  const running = attempts?.some((attempt) => attempt.outcome === 'running') === true;
  if (running || (pending !== undefined && pending.versionId !== current?.versionId)) {
    throw refused(
      'RotationInProgressError',
      `A rotation of ${metadata.name} is in progress${running ? '' : ` or stopped half-way (AWSPENDING is on version ${pending?.versionId})`}: rollback would race it.`,
      `Wait for it (\`api-key-rotator status ${metadata.name}\`); if it failed, \`api-key-rotator recover ${metadata.name}\` first.`,
    );
  }
}

async function readPrevious(
  deps: CliDependencies,
  store: SecretsStore,
  metadata: SecretMetadata,
  previous: SecretVersion,
): Promise<RotatedSecret> {
  const providers = providersOf(deps);
  const text = await store.getValue(metadata.arn, { versionId: previous.versionId });
  if (providers.isPlaceholder(text)) {
    throw refused(
      'NothingToRollBackError',
      `Secret ${metadata.name}'s AWSPREVIOUS holds the stack's placeholder, not a key: there is nothing to roll back to.`,
      'Rollback needs a secret rotated at least once since its first key was put.',
    );
  }
  try {
    return providers.parseSecret(text);
  } catch (error) {
    throw refused(
      'NothingToRollBackError',
      `Secret ${metadata.name}'s AWSPREVIOUS (version ${previous.versionId}) does not hold a usable secret (${describeError(error).message}).`,
      `Rotate instead: \`api-key-rotator rotate ${metadata.name}\`.`,
    );
  }
}

/** The previous key must still authenticate as the principal its version names. */
async function assertStillAccepted(
  deps: CliDependencies,
  metadata: SecretMetadata,
  previous: RotatedSecret,
): Promise<void> {
  const providers = providersOf(deps);
  const key = describeKey(providers.keyReference(previous));
  const probe = await probeKey(providers.providerOf(previous), previous, {
    http: deps.vendorHttp(),
    deadline: deps.now() + VENDOR_DEADLINE_MS,
  });
  if (probe.kind === 'accepted') return;
  const policy = resolveRevokePolicy(previous, metadata.arn, metadata.tags);
  if (probe.kind === 'rejected') {
    throw refused(
      'PreviousKeyRevokedError',
      `${previous.provider} rejects the previous key ${key} (${probe.status}): it was revoked${policy === 'on-finish' ? ' at finishSecret (policy on-finish)' : ''}, so rolling back would break every app. Nothing changed.`,
      `Rotate instead: \`api-key-rotator rotate ${metadata.name}\`. To keep a way back, use policy next-rotation.`,
    );
  }
  throw refused(
    'PreviousKeyRevokedError',
    `The previous key ${key} authenticates as another principal than its secret names: ${probe.error.message} Nothing changed.`,
    `Rotate instead: \`api-key-rotator rotate ${metadata.name}\`.`,
  );
}

async function confirmed(deps: CliDependencies, options: RollbackOptions): Promise<boolean> {
  if (options.yes) return true;
  if (deps.io.stdin.isTTY !== true) {
    throw new CliError(
      'Rollback changes which key every app reads: re-run with --yes to confirm.',
      ExitCode.Usage,
      { name: 'ConfirmationRequiredError' },
    );
  }
  return confirm(deps.io, 'Roll back?');
}

type Announcement =
  | { readonly published: true; readonly eventId: string }
  | { readonly published: false; readonly error: string };

/** The labels have moved: a failed publication is reported, never thrown. */
async function announce(deps: CliDependencies, detail: KeyRolledBackDetail): Promise<Announcement> {
  if (deps.events === undefined) return { published: false, error: 'no EventBridge client' };
  try {
    const eventId = await new EventBridgePublisher(deps.events).publish({
      detailType: RotationEventType.KeyRolledBack,
      detail,
    });
    return { published: true, eventId };
  } catch (error) {
    const { name, message } = describeError(error);
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : undefined;
    const why = cause === undefined ? '' : ` (${describeError(cause).name})`;
    return { published: false, error: `${name}: ${message}${why}` };
  }
}
