import { randomUUID } from 'node:crypto';
import { AWSCURRENT, AWSPENDING, SecretsStore, versionWithLabel } from '../../lambda/aws/secrets';
import { KeyRejectedError } from '../../lambda/providers/errors';
import type { ProviderContext } from '../../lambda/providers/provider';
import { polytomicProvider } from '../../lambda/providers/polytomic';
import { describeError } from '../../lambda/shared/errors';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { parseSecret, STAGED_LABEL, type RotatedSecret } from '../../lambda/shared/secret';
import type { CliDependencies } from '../dependencies';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { colorsFor, confirm } from '../io';
import { describeVersionKey, writeJson } from '../output';
import { readSecretState, type SecretState } from '../secret-state';

export interface RecoverOptions {
  readonly json: boolean;
  /** Act without asking. */
  readonly yes: boolean;
}

/** What recovery does with the orphaned pending key. */
type Recovery =
  /** No key was stored: only the label goes. */
  | { readonly kind: 'clear-only'; readonly reason: string }
  /** Polytomic: a forced re-issue for the pending user kills the key; the new value is dropped. */
  | { readonly kind: 'reissue'; readonly pending: RotatedSecret & { provider: 'polytomic' } }
  /** Poelis: only the web app revokes keys, so the operator is told which one. */
  | { readonly kind: 'manual' };

const VENDOR_DEADLINE_MS = 30_000;

/**
 * `recover <secret>`: a rotation that stopped half-way leaves AWSPENDING on a version that is
 * not AWSCURRENT, and Secrets Manager refuses new rotations ("A previous rotation isn't
 * complete"). This explains that state, disposes of the pending key, and clears AWSPENDING.
 */
export async function recoverCommand(
  deps: CliDependencies,
  secretId: string,
  options: RecoverOptions,
): Promise<ExitCode> {
  const out = (line: string): void => {
    // With --json the explanation goes to stderr so stdout stays one JSON document.
    (options.json ? deps.io.stderr : deps.io.stdout).write(`${line}\n`);
  };
  const colors = colorsFor(options.json ? deps.io.stderr : deps.io.stdout, deps.env);
  const state = await readSecretState(deps.secretsManager, secretId);
  const pendingId = state.stuckPendingVersionId;
  if (pendingId === undefined) {
    if (options.json)
      writeJson(deps.io, {
        secretId,
        arn: state.arn,
        recovered: false,
        reason: 'nothing to recover',
      });
    else
      out(
        `Nothing to recover: no rotation of ${secretId} is unfinished (AWSPENDING is absent or on AWSCURRENT).`,
      );
    return ExitCode.Ok;
  }
  const attempt = (await deps.history.attempts(state.arn))?.find((a) => a.token === pendingId);
  if (attempt?.outcome === 'running') {
    throw new CliError(
      `The rotation of ${secretId} (version ${pendingId}) is still running. Wait for it with \`api-key-rotator status ${secretId}\`, then recover if it fails.`,
      ExitCode.Failed,
    );
  }

  const store = new SecretsStore(deps.secretsManager);
  const current = parseSecret(await store.getValue(state.arn, { versionStage: AWSCURRENT }));
  const pendingKey = state.versions.find((v) => v.versionId === pendingId);
  const recovery = await planRecovery(store, state, pendingId, current);

  out(`${colors.bold(secretId)}: a rotation stopped before finishing.`);
  out(
    `  AWSCURRENT  ${describeVersionKey(state.versions.find((v) => v.labels.includes(AWSCURRENT)))} (unchanged; apps keep using it)`,
  );
  out(`  AWSPENDING  version ${pendingId}, key ${describeVersionKey(pendingKey)}`);
  if (attempt?.failure !== undefined) {
    out(
      `  It failed at ${attempt.failure.step}: ${attempt.failure.errorType}: ${attempt.failure.errorMessage}`,
    );
  }
  out(
    '  Until AWSPENDING is cleared, RotateSecret is refused ("A previous rotation isn\'t complete").',
  );
  if (attempt === undefined) {
    out(
      "  Secrets Manager does not say whether a rotation is still running: check the function's logs first.",
    );
  }
  out(
    `Recovery will:\n${planLines(recovery, pendingId)
      .map((line) => `  - ${line}`)
      .join('\n')}`,
  );

  if (!(await confirmed(deps, options))) {
    if (options.json)
      writeJson(deps.io, { secretId, arn: state.arn, recovered: false, reason: 'not confirmed' });
    else out('Nothing changed.');
    return ExitCode.Failed;
  }

  if (recovery.kind === 'reissue')
    await revokeAtPolytomic(deps, store, state.arn, pendingId, recovery.pending);
  await store.removeLabel(state.arn, AWSPENDING, pendingId);
  const stagedId = versionWithLabel(await store.describe(state.arn), STAGED_LABEL);
  const stagedKey = state.versions.find((v) => v.versionId === stagedId);
  const clearStaged =
    recovery.kind === 'manual' &&
    stagedId !== undefined &&
    stagedKey?.fingerprint !== undefined &&
    stagedKey.fingerprint === pendingKey?.fingerprint;
  if (clearStaged) await store.removeLabel(state.arn, STAGED_LABEL, stagedId);

  const manualAction =
    recovery.kind === 'manual'
      ? `Revoke the Poelis key ${describeVersionKey(pendingKey)} in the Poelis web app (Settings > Manage REST API Keys > Revoke), then stage a new key.`
      : undefined;
  if (options.json) {
    writeJson(deps.io, {
      secretId,
      arn: state.arn,
      recovered: true,
      pendingVersionId: pendingId,
      pendingKey:
        pendingKey?.fingerprint === undefined
          ? null
          : { fingerprint: pendingKey.fingerprint, keyName: pendingKey.keyName ?? null },
      recovery: recovery.kind,
      stagedCleared: clearStaged,
      manualAction: manualAction ?? null,
    });
    return ExitCode.Ok;
  }
  out(
    `${colors.green('Recovered')}: AWSPENDING cleared from version ${pendingId}${clearStaged ? ' (and STAGED, which held the same key)' : ''}. The next rotation can run.`,
  );
  if (manualAction !== undefined) out(colors.yellow(`Now: ${manualAction}`));
  return ExitCode.Ok;
}

async function planRecovery(
  store: SecretsStore,
  state: SecretState,
  pendingId: string,
  current: RotatedSecret,
): Promise<Recovery> {
  const text = await store.findValue(state.arn, { versionId: pendingId });
  if (text === undefined) {
    if (current.provider === 'polytomic' && current.standbyUserId === undefined) {
      // createSecret may have issued a key unseen; a forced issue for this user kills AWSCURRENT's.
      throw new CliError(
        `Secret ${state.arn} is in Polytomic single-user mode and createSecret stored no key, but it may have issued one before failing: that forced issue for user ${current.userId} replaced AWSCURRENT's key at Polytomic. Clearing AWSPENDING could leave AWSCURRENT with a dead key. Fix the failure's cause and let Secrets Manager's retries finish the rotation (\`api-key-rotator status ${state.arn}\` follows it): they reuse the rotation's Idempotency-Key, so Polytomic replays the issued key, which is then stored and promoted.`,
        ExitCode.Failed,
      );
    }
    return { kind: 'clear-only', reason: 'createSecret stored no key, so none was handed out' };
  }
  let pending: RotatedSecret;
  try {
    pending = parseSecret(text);
  } catch (error) {
    return {
      kind: 'clear-only',
      reason: `its value is not a usable secret (${describeError(error).message})`,
    };
  }
  if (pending.provider === 'poelis') return { kind: 'manual' };
  if (current.provider !== 'polytomic' || pending.userId === current.userId) {
    // Single-user mode: issuing the pending key already replaced the current one at Polytomic.
    throw new CliError(
      `The pending key ${fingerprint(pending.apiKey)} belongs to the same Polytomic user as AWSCURRENT (single-user mode): issuing it already replaced the current key, so it is the only live one. Clearing it would leave no working key. Fix the failure's cause and let Secrets Manager reattempt the rotation, which promotes this version.`,
      ExitCode.Failed,
    );
  }
  return { kind: 'reissue', pending };
}

function planLines(recovery: Recovery, pendingId: string): string[] {
  const clear = `remove AWSPENDING from version ${pendingId} (UpdateSecretVersionStage)`;
  switch (recovery.kind) {
    case 'clear-only':
      return [`${clear}; nothing to revoke: ${recovery.reason}`];
    case 'reissue':
      return [
        `revoke the pending key of Polytomic user ${recovery.pending.userId}: Polytomic has no revoke call, so the user's key is re-issued (force=true) and the new value discarded unseen`,
        clear,
      ];
    case 'manual':
      return [
        clear,
        'tell you which Poelis key to revoke in the web app (only it can revoke keys)',
      ];
  }
}

async function confirmed(deps: CliDependencies, options: RecoverOptions): Promise<boolean> {
  if (options.yes) return true;
  if (deps.io.stdin.isTTY !== true) {
    throw new CliError(
      'Recovery changes the secret and the vendor: re-run with --yes to confirm.',
      ExitCode.Usage,
    );
  }
  return confirm(deps.io, 'Proceed?');
}

/** Re-issues the pending user's key and checks that Polytomic now rejects the pending one. */
async function revokeAtPolytomic(
  deps: CliDependencies,
  store: SecretsStore,
  arn: string,
  pendingId: string,
  pending: RotatedSecret & { provider: 'polytomic' },
): Promise<void> {
  const context: ProviderContext = {
    http: deps.vendorHttp(),
    secrets: store,
    secretId: arn,
    // Its own idempotency key: a retried recovery replays, and never collides with the rotation's.
    token: `${pendingId}-recover`,
    deadline: deps.now() + VENDOR_DEADLINE_MS,
    defaultPartnerKeySecretId: deps.env.ROTATOR_PARTNER_KEY_SECRET_ID,
  };
  // Seen from the pending version, its standby is the current user, so revokeKey(pending, pending)
  // re-issues the pending user's key: exactly the orphan, never AWSCURRENT's.
  try {
    await polytomicProvider.revokeKey(pending, pending, context);
  } catch (error) {
    throw partnerKeyRefused(error, pending.partnerKeySecretId ?? context.defaultPartnerKeySecretId);
  }
  try {
    await polytomicProvider.verifyIdentity(pending, { ...context, token: randomUUID() });
  } catch (error) {
    if (error instanceof KeyRejectedError) return;
    throw error;
  }
  throw new CliError(
    `Polytomic still accepts the pending key ${fingerprint(pending.apiKey)} after the re-issue; AWSPENDING was left in place. Check the partner key's permissions and run recover again.`,
    ExitCode.Failed,
  );
}

/**
 * Reading the partner key is the only AWS call of a re-issue: a refusal there means the
 * operator's role is not among the partner key's readers, which the stack's config decides.
 */
function partnerKeyRefused(error: unknown, partnerKeySecretId: string | undefined): unknown {
  const { name, message } = describeError(error);
  if (name !== 'AccessDeniedException' && name !== 'AccessDenied') return error;
  return new CliError(
    `Recovery re-issues the orphaned key with the Polytomic partner key ${partnerKeySecretId ?? '(ROTATOR_PARTNER_KEY_SECRET_ID)'}, and AWS refused your role reading it (${name}): ${message.replace(/\.$/, '')}. Add your role to the deploy config's partnerKey.readerRoleArns and deploy (README "Operator IAM"). Nothing changed: AWSPENDING was left in place.`,
    ExitCode.NotFoundOrDenied,
  );
}
