import { versionIdWithStage } from '../../lambda/aws/secret-metadata';
import { AWSCURRENT, AWSPENDING, SecretsStore } from '../../lambda/aws/secrets';
import { KeyRejectedError } from '../../lambda/providers/errors';
import type { KeyChangeContext, KeyProvider } from '../../lambda/providers/provider';
import { describeError } from '../../lambda/shared/errors';
import { describeKey } from '../../lambda/shared/key-reference';
import { SecretFormatError, STAGED_LABEL, type RotatedSecret } from '../../lambda/shared/secret';
import { providersOf, type CliDependencies } from '../dependencies';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { colorsFor, confirm } from '../io';
import { describeVersionKey, writeJson } from '../output';
import { cliCommand, withoutAdvice } from '../rotation-advice';
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
  /** The provider revokes the pending key itself (`plan` says how). */
  | {
      readonly kind: 'revoke';
      readonly plan: string;
      readonly provider: KeyProvider;
      readonly pending: RotatedSecret;
    }
  /** Only a person can revoke the pending key: `instruction` says how. */
  | { readonly kind: 'manual'; readonly instruction: string };

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
  const providers = providersOf(deps);
  const state = await readSecretState(deps.secretsManager, secretId, providers);
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
  const current = providers.parseSecret(
    await store.getValue(state.arn, { versionStage: AWSCURRENT }),
  );
  const pendingKey = state.versions.find((v) => v.versionId === pendingId);
  const recovery = await planRecovery(deps, store, state, pendingId, current);
  const unusableStaged = await unusableStagedVersion(store, state, providers.providerOf(current));

  out(`${colors.bold(secretId)}: a rotation stopped before finishing.`);
  out(
    `  AWSCURRENT  ${describeVersionKey(state.versions.find((v) => v.labels.includes(AWSCURRENT)))} (unchanged; apps keep using it)`,
  );
  out(`  AWSPENDING  version ${pendingId}, key ${describeVersionKey(pendingKey)}`);
  if (attempt?.failure !== undefined) {
    out(
      `  It failed at ${attempt.failure.step}: ${attempt.failure.errorType}: ${withoutAdvice(attempt.failure)}`,
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
    `Recovery will:\n${[
      ...planLines(recovery, pendingId),
      ...(unusableStaged === undefined
        ? []
        : [
            `remove STAGED from version ${unusableStaged.versionId}: its value is not a usable key (${unusableStaged.reason}), so every rotation would fail on it`,
          ]),
    ]
      .map((line) => `  - ${line}`)
      .join('\n')}`,
  );

  if (!(await confirmed(deps, options))) {
    if (options.json)
      writeJson(deps.io, { secretId, arn: state.arn, recovered: false, reason: 'not confirmed' });
    else out('Nothing changed.');
    return ExitCode.Failed;
  }

  if (recovery.kind === 'revoke')
    await revokePendingKey(deps, store, state.arn, pendingId, recovery);
  await store.removeLabel(state.arn, AWSPENDING, pendingId);
  const stagedId = versionIdWithStage(await store.describe(state.arn), STAGED_LABEL);
  const stagedKey = state.versions.find((v) => v.versionId === stagedId);
  const clearStaged =
    recovery.kind === 'manual' &&
    stagedId !== undefined &&
    stagedKey?.fingerprint !== undefined &&
    stagedKey.fingerprint === pendingKey?.fingerprint;
  if (clearStaged) await store.removeLabel(state.arn, STAGED_LABEL, stagedId);
  const unusableStagedCleared =
    !clearStaged && unusableStaged !== undefined && unusableStaged.versionId === stagedId;
  if (unusableStagedCleared) await store.removeLabel(state.arn, STAGED_LABEL, stagedId);
  const restage = unusableStagedCleared
    ? `STAGED held no usable key and was cleared: if it was meant to be a new key, stage it again with \`api-key-rotator stage ${secretId}\` (which strips a trailing line break), or revoke it where it was created.`
    : undefined;

  const manualAction = recovery.kind === 'manual' ? recovery.instruction : undefined;
  const actions = [manualAction, restage].filter((action) => action !== undefined);
  const stagedKept = stagedId !== undefined && !clearStaged && !unusableStagedCleared;
  const next = stepsAfterRecovery(secretId, providers.providerOf(current), stagedKept);
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
      stagedCleared: clearStaged || unusableStagedCleared,
      manualAction: actions.length === 0 ? null : actions.join(' '),
      next: [...actions, ...next],
    });
    return ExitCode.Ok;
  }
  out(
    `${colors.green('Recovered')}: AWSPENDING cleared from version ${pendingId}${clearStaged ? ' (and STAGED, which held the same key)' : ''}. The next rotation can run.`,
  );
  out('Next, in this order:');
  [...actions, ...next].forEach((step, index) => out(`  ${index + 1}. ${step}`));
  return ExitCode.Ok;
}

/**
 * What works after recovery: an assisted vendor's rotation needs a staged key (unless one is
 * still staged), then a rotation.
 */
function stepsAfterRecovery(
  secretId: string,
  provider: KeyProvider,
  stagedKept: boolean,
): string[] {
  const rotate = cliCommand('rotate', secretId, '--wait');
  if (provider.staging === undefined || stagedKept) return [rotate];
  return [
    `Create a new key in ${provider.staging.createKeyIn}.`,
    `${cliCommand('stage', secretId, '--name', '"<key name>"')}   (paste the key on stdin)`,
    rotate,
  ];
}

/**
 * The STAGED version, when its value is not a key the provider's staging accepts (a control
 * character, a key of another shape): every rotation would fail on it, so recover clears it.
 */
async function unusableStagedVersion(
  store: SecretsStore,
  state: SecretState,
  provider: KeyProvider,
): Promise<{ versionId: string; reason: string } | undefined> {
  const staged = state.versions.find(
    (v) => v.labels.includes(STAGED_LABEL) && !v.labels.includes(AWSCURRENT),
  );
  if (staged === undefined || provider.staging === undefined) return undefined;
  try {
    const text = await store.findValue(state.arn, { versionId: staged.versionId });
    if (text === undefined) return { versionId: staged.versionId, reason: 'it has no value' };
    provider.staging.parseStagedKey(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    return { versionId: staged.versionId, reason: describeError(error).message };
  }
}

/** Asks the secret's provider how its orphaned pending key is disposed of. */
async function planRecovery(
  deps: CliDependencies,
  store: SecretsStore,
  state: SecretState,
  pendingId: string,
  current: RotatedSecret,
): Promise<Recovery> {
  const providers = providersOf(deps);
  const currentProvider = providers.providerOf(current);
  const text = await store.findValue(state.arn, { versionId: pendingId });
  if (text === undefined) {
    const risk = currentProvider.unstoredPendingRisk(current);
    if (risk !== undefined) throw new CliError(`Secret ${state.arn}: ${risk}`, ExitCode.Failed);
    return { kind: 'clear-only', reason: 'createSecret stored no key, so none was handed out' };
  }
  let pending: RotatedSecret;
  try {
    pending = providers.parseSecret(text);
  } catch (error) {
    return {
      kind: 'clear-only',
      reason: `its value is not a usable secret (${describeError(error).message})`,
    };
  }
  if (pending.provider !== current.provider) {
    throw new CliError(
      `The pending version of ${state.arn} names provider ${pending.provider}, but AWSCURRENT names ${current.provider}: recover cannot tell which vendor holds the pending key. Fix the secret's values by hand.`,
      ExitCode.Failed,
    );
  }
  const disposal = currentProvider.disposePendingKey(pending, current);
  switch (disposal.kind) {
    case 'refuse':
      throw new CliError(disposal.reason, ExitCode.Failed);
    case 'manual':
      return { kind: 'manual', instruction: disposal.instruction };
    case 'revoke':
      return { kind: 'revoke', plan: disposal.plan, provider: currentProvider, pending };
  }
}

function planLines(recovery: Recovery, pendingId: string): string[] {
  const clear = `remove AWSPENDING from version ${pendingId} (UpdateSecretVersionStage)`;
  switch (recovery.kind) {
    case 'clear-only':
      return [`${clear}; nothing to revoke: ${recovery.reason}`];
    case 'revoke':
      return [recovery.plan, clear];
    case 'manual':
      return [clear, `tell you what to do with the pending key: ${recovery.instruction}`];
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

/** Revokes exactly the pending key through its provider, and checks the vendor now rejects it. */
async function revokePendingKey(
  deps: CliDependencies,
  store: SecretsStore,
  arn: string,
  pendingId: string,
  { provider, pending }: Extract<Recovery, { kind: 'revoke' }>,
): Promise<void> {
  const context: KeyChangeContext = {
    http: deps.vendorHttp(),
    secrets: store,
    secretId: arn,
    // Its own idempotency key: a retried recovery replays, and never collides with the rotation's.
    idempotencyKey: `${pendingId}-recover`,
    deadline: deps.now() + VENDOR_DEADLINE_MS,
    defaultPartnerKeySecretId: deps.env.ROTATOR_PARTNER_KEY_SECRET_ID,
  };
  try {
    await provider.revokeKey(pending, pending, context);
  } catch (error) {
    throw credentialRefused(error, provider, pending, context.defaultPartnerKeySecretId);
  }
  try {
    await provider.verifyIdentity(pending, context);
  } catch (error) {
    if (error instanceof KeyRejectedError) return;
    throw error;
  }
  const key = describeKey(providersOf(deps).keyReference(pending));
  throw new CliError(
    `${provider.displayName} still accepts the pending key ${key} after its revocation; AWSPENDING was left in place. Check the credentials' permissions at ${provider.displayName} and run recover again.`,
    ExitCode.Failed,
  );
}

/**
 * Reading a credential secret (the partner key) is the only AWS call of a revocation: a refusal
 * there means the operator's role is not among its readers, which the stack's config decides.
 */
function credentialRefused(
  error: unknown,
  provider: KeyProvider,
  pending: RotatedSecret,
  defaultPartnerKeySecretId: string | undefined,
): unknown {
  const { name, message } = describeError(error);
  if (name !== 'AccessDeniedException' && name !== 'AccessDenied') return error;
  const named =
    typeof pending.partnerKeySecretId === 'string' ? pending.partnerKeySecretId : undefined;
  const partnerKeySecretId =
    named ?? defaultPartnerKeySecretId ?? '(ROTATOR_PARTNER_KEY_SECRET_ID)';
  return new CliError(
    `Recovery revokes the orphaned key with the ${provider.displayName} partner key ${partnerKeySecretId}, and AWS refused your role reading it (${name}): ${message.replace(/\.$/, '')}. Add your role to the deploy config's partnerKey.readerRoleArns and deploy (README "Operator IAM"). Nothing changed: AWSPENDING was left in place.`,
    ExitCode.NotFoundOrDenied,
  );
}
