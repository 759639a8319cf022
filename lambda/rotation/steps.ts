import type { Logger } from '@aws-lambda-powertools/logger';
import type { RevocationOutcome } from '../aws/rotation-events';
import { versionIdWithStage, type SecretMetadata } from '../aws/secret-metadata';
import {
  AWSCURRENT,
  AWSPREVIOUS,
  SecretVersionMissingError,
  type SecretsStore,
} from '../aws/secrets';
import { probeKey } from '../providers/probe';
import type { KeyChangeContext, KeyProvider } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';
import { RotationEventType } from '../shared/contracts';
import { describeError, RotatorError } from '../shared/errors';
import type { KeyReference } from '../shared/key-reference';
import {
  resolveRevokePolicy,
  SecretFormatError,
  STAGED_LABEL,
  stringifySecret,
  type RevokePolicy,
  type RotatedSecret,
} from '../shared/secret';
import type { RotationEvent } from './event';
import type { RotationReporter } from './reporting';

/** What every step works with; `metadata` is the DescribeSecret read before the step. */
export interface StepInput {
  readonly event: RotationEvent;
  readonly metadata: SecretMetadata;
  readonly secrets: SecretsStore;
  /** The vendors this function rotates; each secret's `provider` picks one. */
  readonly providers: ProviderRegistry;
  readonly vendor: KeyChangeContext;
  readonly log: Logger;
  readonly report: RotationReporter;
}

/** AWSCURRENT moved, but the key it replaced is still live. */
export class RevocationFailedError extends RotatorError {
  constructor(secretId: string, key: KeyReference | undefined, cause: unknown) {
    const { name, message } = describeError(cause);
    super(
      `Secret ${secretId} now uses its new key, but revoking the previous key ${key?.fingerprint ?? '(unreadable version)'} failed (${name}: ${message}). It stays live until the next rotation or the audit revokes it; fix the cause and rotate again.`,
      { cause },
    );
  }
}

/** AWSCURRENT is still the stack's placeholder: there is no key to rotate yet. */
export class FirstKeyMissingError extends RotatorError {
  constructor(secretId: string) {
    super(
      `Secret ${secretId} holds no key yet (only the stack's placeholder). Put the first key with \`aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string file://secret.json\` (see the README's secret format), then rotate.`,
    );
  }
}

/** createSecret: store a new key as AWSPENDING, unless this token's version already has one. */
export async function createSecret({
  event,
  metadata,
  secrets,
  providers,
  vendor,
  log,
  report,
}: StepInput): Promise<void> {
  const token = event.ClientRequestToken;
  if ((await secrets.findValue(metadata.arn, { versionId: token })) !== undefined) {
    log.info('AWSPENDING already has a value; nothing to create');
    return;
  }
  const currentText = await secrets.getValue(metadata.arn, {
    versionId: currentVersionId(metadata),
  });
  if (providers.isPlaceholder(currentText)) throw new FirstKeyMissingError(metadata.arn);
  const current = providers.parseSecret(currentText);
  report.provider(current.provider);
  // A bad policy tag fails here, before any key is issued, rather than after the promotion.
  resolveRevokePolicy(current, metadata.arn, metadata.tags);
  const pending = await providers.providerOf(current).issueKey(current, vendor);
  await secrets.putPending(metadata.arn, token, stringifySecret(pending), event.RotationToken);
  log.info('new key stored as AWSPENDING', {
    currentKey: providers.keyReference(current),
    pendingKey: providers.keyReference(pending),
  });
}

/**
 * setSecret: an issued key is usable at once. A staged key (assisted vendors) came from the
 * STAGED version, which createSecret has consumed, so its label is cleared (once; re-runs find none).
 */
export async function setSecret(input: StepInput): Promise<void> {
  if (versionIdWithStage(input.metadata, STAGED_LABEL) === undefined) return;
  await releaseStaged(input, await readVersion(input, input.event.ClientRequestToken));
}

/**
 * Clears STAGED from the version holding the key being rotated in. A key staged after
 * createSecret ran is a different key: it keeps its label for the next rotation instead of
 * being dropped while live.
 */
async function releaseStaged(
  { metadata, secrets, providers, log }: StepInput,
  pending: RotatedSecret,
): Promise<void> {
  const stagedVersionId = versionIdWithStage(metadata, STAGED_LABEL);
  if (stagedVersionId === undefined) return;
  const staged = await secrets.findValue(metadata.arn, { versionId: stagedVersionId });
  const staging = providers.providerOf(pending).staging;
  if (staged === undefined || stagedKeyOf(staging, staged) !== pending.apiKey) {
    log.warn('STAGED holds another key than the one being rotated in; it is kept', {
      stagedVersionId,
    });
    return;
  }
  await secrets.removeLabel(metadata.arn, STAGED_LABEL, stagedVersionId);
  log.info('STAGED label cleared', { stagedVersionId });
}

/**
 * testSecret: the pending key must authenticate as the principal the secret names. When the
 * pending version has no value, Secrets Manager is only testing the configuration
 * (RotateImmediately=false): check the current key if there is one, and change nothing.
 */
export async function testSecret(input: StepInput): Promise<void> {
  const { event, metadata, secrets, providers, vendor, log, report } = input;
  const pendingText = await secrets.findValue(metadata.arn, {
    versionId: event.ClientRequestToken,
  });
  if (pendingText === undefined) {
    await testConfiguration(input);
    return;
  }
  const pending = providers.parseSecret(pendingText);
  report.provider(pending.provider);
  await providers.providerOf(pending).verifyIdentity(pending, vendor);
  log.info('pending key verified', { pendingKey: providers.keyReference(pending) });
}

async function testConfiguration({
  metadata,
  secrets,
  providers,
  vendor,
  log,
  report,
}: StepInput): Promise<void> {
  const currentText = await secrets.getValue(metadata.arn, {
    versionId: currentVersionId(metadata),
  });
  if (providers.isPlaceholder(currentText)) {
    log.warn(
      'configuration test passed, but the first key has not been put yet: put it with `aws secretsmanager put-secret-value` before the first rotation',
    );
    return;
  }
  const current = providers.parseSecret(currentText);
  report.provider(current.provider);
  resolveRevokePolicy(current, metadata.arn, metadata.tags);
  await providers.providerOf(current).verifyIdentity(current, vendor);
  log.info('configuration test passed: the current key is verified', {
    currentKey: providers.keyReference(current),
  });
}

/**
 * finishSecret: promote the pending version and revoke the key the policy says is done.
 * Everything is read before the promotion, so little can fail after it. The key before the
 * replaced one is out of use: `next-rotation` revokes it before the promotion (and so does
 * `on-finish`, should an earlier rotation have left it live).
 * `on-finish` revokes the replaced key after it; a failure there is reported (log, metric,
 * notification) and fails the step, and the promotion stands. A retry after the promotion
 * (the token is already AWSCURRENT) revokes the replaced key again: the vendors make that
 * idempotent, and it completes a revocation a crash or a failure cut short.
 */
export async function finishSecret(input: StepInput): Promise<void> {
  const { event, metadata, secrets } = input;
  const token = event.ClientRequestToken;
  const currentId = currentVersionId(metadata);
  if (currentId === token) {
    const replacedVersionId = versionIdWithStage(metadata, AWSPREVIOUS);
    if (replacedVersionId === undefined) {
      input.log.info('version is already AWSCURRENT and replaced no key; nothing to do');
      return;
    }
    await reportingFailure(input, async (name) => {
      const read = await unlessUnreadable(input, replacedVersionId, () =>
        readVersion(input, replacedVersionId),
      );
      if (read instanceof UnreadableVersionError) {
        await input.report.revocationFailed(metadata.arn, undefined, read);
        return;
      }
      const replaced = name(read);
      if (revokePolicyOf(input, replaced) !== 'on-finish') return;
      // Only a key the vendor still accepts needs revoking (or reporting) again.
      if (!(await isAccepted(input, replaced))) {
        input.report.keyAlreadyRevoked(input.providers.keyReference(replaced));
        return;
      }
      input.log.info('resuming the revocation of the key this rotation replaced');
      const outcome = await revokeKey(input, replaced, replaced);
      // This run did what the promoting run could not: consumers hear of the rotation again,
      // under the same rotationId (at-least-once; the promoting run may have died before telling).
      await announceRotation(input, { replacedVersionId, replaced, outcome });
    });
    return;
  }
  // Never promote a version that holds no valid secret (a finishSecret run out of order), and
  // never leave STAGED on the key being promoted (as when setSecret was skipped).
  const pending = await readVersion(input, token);
  await releaseStaged(input, pending);
  const replaced = await readVersion(input, currentId);
  const policy = revokePolicyOf(input, replaced);
  const unreadableOlder = await revokeOlder(input, replaced, policy);
  await secrets.moveLabel(metadata.arn, AWSCURRENT, token, currentId);
  input.report.rotationCompleted(token, currentId);
  // Reported once the promotion stands, as the notice says the secret was rotated.
  if (unreadableOlder !== undefined) {
    await input.report.revocationFailed(metadata.arn, undefined, unreadableOlder);
  }
  const announce = (outcome: RevocationOutcome): Promise<void> =>
    announceRotation(input, { replacedVersionId: currentId, replaced, outcome, pending });
  if (policy !== 'on-finish') {
    await announce('kept-until-next-rotation');
    return;
  }
  try {
    await announce(
      await reportingFailure(input, (name) => revokeKey(input, name(replaced), replaced)),
    );
  } catch (error) {
    await announce('failed');
    throw error;
  }
}

/**
 * Publishes `API Key Rotated` for the version this finishSecret promoted. Reads the new key's
 * value only when the caller does not hold it (a retry), to name it by fingerprint.
 */
async function announceRotation(
  input: StepInput,
  rotation: {
    readonly replacedVersionId: string;
    readonly replaced: RotatedSecret;
    readonly outcome: RevocationOutcome;
    readonly pending?: RotatedSecret;
  },
): Promise<void> {
  const { metadata, providers, event } = input;
  const token = event.ClientRequestToken;
  const promoted = rotation.pending ?? (await readVersion(input, token));
  await input.report.event({
    detailType: RotationEventType.KeyRotated,
    detail: {
      rotationId: token,
      secretArn: metadata.arn,
      secretName: metadata.name,
      provider: promoted.provider,
      newVersionId: token,
      previousVersionId: rotation.replacedVersionId,
      newKey: providers.keyReference(promoted),
      previousKey: providers.keyReference(rotation.replaced),
      revokePolicy: revokePolicyOf(input, rotation.replaced),
      revocation: rotation.outcome,
    },
  });
}

/**
 * The key AWSPREVIOUS holds, which the coming promotion retires for good: `next-rotation`
 * revokes it now. Under `on-finish` it should be dead already; if a rotation was cut short
 * after its promotion and never retried, it is still accepted, and is revoked now instead.
 * A value that does not parse (put by hand) cannot be revoked: it is returned for the report
 * instead of failing every later rotation.
 */
async function revokeOlder(
  input: StepInput,
  replaced: RotatedSecret,
  policy: RevokePolicy,
): Promise<UnreadableVersionError | undefined> {
  const olderVersionId = versionIdWithStage(input.metadata, AWSPREVIOUS);
  if (olderVersionId === undefined) {
    if (policy === 'next-rotation') input.log.info('no earlier key to revoke yet', { policy });
    return undefined;
  }
  const older = await unlessUnreadable(input, olderVersionId, async () => {
    const text = await input.secrets.getValue(input.metadata.arn, { versionId: olderVersionId });
    return input.providers.isPlaceholder(text) ? undefined : input.providers.parseSecret(text);
  });
  if (older instanceof UnreadableVersionError) return older;
  // After the first key is put, AWSPREVIOUS is the stack's placeholder: there is no key to revoke.
  if (older === undefined) {
    input.log.info('the version before holds the stack placeholder; no earlier key to revoke');
    return undefined;
  }
  if (policy === 'on-finish') {
    if (older.provider !== replaced.provider || !(await isAccepted(input, older))) return undefined;
    input.log.warn('the key before the replaced one is still accepted; revoking it now', {
      olderKey: input.providers.keyReference(older),
    });
  } else if (older.provider === replaced.provider && !(await isAccepted(input, older))) {
    input.report.keyAlreadyRevoked(input.providers.keyReference(older));
    return undefined;
  }
  await revokeKey(input, older, replaced);
  return undefined;
}

/** A version whose value is not a secret the rotator can read, so its key cannot be revoked. */
export class UnreadableVersionError extends RotatorError {
  constructor(
    readonly versionId: string,
    cause: unknown,
  ) {
    const { name, message } = describeError(cause);
    super(
      `Version ${versionId} does not hold a valid secret (${name}: ${message}), so the key it held, if any, cannot be revoked automatically. Revoke it at the vendor by hand; rotations go on without it.`,
      { cause },
    );
  }
}

/**
 * Reads a version the finish step would revoke; a value put by hand that is not a valid secret
 * is logged by version id (never by value) and returned as an error rather than thrown.
 */
async function unlessUnreadable<T>(
  input: StepInput,
  versionId: string,
  read: () => Promise<T>,
): Promise<T | UnreadableVersionError> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    const unreadable = new UnreadableVersionError(versionId, error);
    input.log.warn('an earlier version does not hold a valid secret; its key is not revoked', {
      versionId,
      error: describeError(error),
    });
    return unreadable;
  }
}

/**
 * Whether the vendor still accepts the key (identity check passes) rather than refusing it
 * (401/403). A key that authenticates as someone else is an error: revoking by the secret's
 * user would miss it.
 */
async function isAccepted(input: StepInput, secret: RotatedSecret): Promise<boolean> {
  const probe = await probeKey(input.providers.providerOf(secret), secret, input.vendor);
  if (probe.kind === 'wrong-identity') throw probe.error;
  return probe.kind === 'accepted';
}

function revokePolicyOf(input: StepInput, replaced: RotatedSecret): RevokePolicy {
  input.report.provider(replaced.provider);
  return resolveRevokePolicy(replaced, input.metadata.arn, input.metadata.tags);
}

/** Runs a revocation after the promotion; a failure is reported and rethrown. */
async function reportingFailure<T>(
  input: StepInput,
  revocation: (name: <S extends RotatedSecret>(target: S) => S) => Promise<T>,
): Promise<T> {
  let target: RotatedSecret | undefined;
  try {
    return await revocation((named) => {
      target = named;
      return named;
    });
  } catch (error) {
    const key = target === undefined ? undefined : input.providers.keyReference(target);
    await input.report.revocationFailed(input.metadata.arn, key, error);
    throw new RevocationFailedError(input.metadata.arn, key, error);
  }
}

/** Revokes `target` through its provider; says what became of it, for the rotation's event. */
async function revokeKey(
  input: StepInput,
  target: RotatedSecret,
  replaced: RotatedSecret,
): Promise<RevocationOutcome> {
  if (target.provider !== replaced.provider) {
    throw new SecretFormatError(
      'provider',
      'changed between versions, so the older key cannot be revoked automatically',
    );
  }
  const key = input.providers.keyReference(target);
  const provider = input.providers.providerOf(target);
  const revocation = await provider.revokeKey(target, replaced, input.vendor);
  if (revocation.kind === 'revoked') input.report.keyRevoked(key);
  else if (revocation.kind === 'already-revoked') input.report.keyAlreadyRevoked(key);
  else {
    await input.report.manualRevocationRequired(input.metadata.arn, key, provider, {
      rotationId: input.event.ClientRequestToken,
      provider: target.provider,
    });
    return 'manual-at-vendor';
  }
  return 'revoked';
}

async function readVersion(
  { metadata, secrets, providers }: StepInput,
  versionId: string,
): Promise<RotatedSecret> {
  return providers.parseSecret(await secrets.getValue(metadata.arn, { versionId }));
}

function currentVersionId(metadata: SecretMetadata): string {
  const versionId = versionIdWithStage(metadata, AWSCURRENT);
  if (versionId === undefined)
    throw new SecretVersionMissingError(metadata.arn, { versionStage: AWSCURRENT });
  return versionId;
}

function stagedKeyOf(staging: KeyProvider['staging'], text: string): string | undefined {
  try {
    return staging?.parseStagedKey(text).apiKey;
  } catch {
    return undefined;
  }
}
