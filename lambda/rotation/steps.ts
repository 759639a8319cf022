import type { Logger } from '@aws-lambda-powertools/logger';
import {
  AWSCURRENT,
  AWSPREVIOUS,
  SecretVersionMissingError,
  versionWithLabel,
  type SecretMetadata,
  type SecretsStore,
} from '../aws/secrets';
import type { ProviderContext } from '../providers/provider';
import { providerFor } from '../providers/registry';
import { describeError, RotatorError } from '../shared/errors';
import { fingerprint } from '../shared/fingerprint';
import {
  isPlaceholderSecret,
  parseSecret,
  parseStagedKey,
  resolveRevokePolicy,
  SecretFormatError,
  STAGED_LABEL,
  stringifySecret,
  type RotatedSecret,
} from '../shared/secret';
import type { RotationEvent } from './event';
import type { KeyReference, RotationReporter } from './reporting';

/** What every step works with; `metadata` is the DescribeSecret read before the step. */
export interface StepInput {
  readonly event: RotationEvent;
  readonly metadata: SecretMetadata;
  readonly secrets: SecretsStore;
  readonly vendor: ProviderContext;
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
  if (isPlaceholderSecret(currentText)) throw new FirstKeyMissingError(metadata.arn);
  const current = parseSecret(currentText);
  report.provider(current.provider);
  // A bad policy tag fails here, before any key is issued, rather than after the promotion.
  resolveRevokePolicy(current, metadata.arn, metadata.tags);
  const pending = await providerFor(current).issueKey(current, vendor);
  await secrets.putPending(metadata.arn, token, stringifySecret(pending), event.RotationToken);
  log.info('new key stored as AWSPENDING', {
    currentKey: keyReference(current),
    pendingKey: keyReference(pending),
  });
}

/**
 * setSecret: Polytomic keys are usable once issued. A Poelis key came from the STAGED
 * version, which createSecret has consumed, so its label is cleared (once; re-runs find none).
 * A key staged after createSecret ran is a different key: it keeps its label for the next
 * rotation instead of being dropped while live.
 */
export async function setSecret({ event, metadata, secrets, log }: StepInput): Promise<void> {
  const stagedVersionId = versionWithLabel(metadata, STAGED_LABEL);
  if (stagedVersionId === undefined) return;
  const pending = parseSecret(
    await secrets.getValue(metadata.arn, { versionId: event.ClientRequestToken }),
  );
  const staged = await secrets.findValue(metadata.arn, { versionId: stagedVersionId });
  if (staged === undefined || stagedKeyOf(staged) !== pending.apiKey) {
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
  const { event, metadata, secrets, vendor, log, report } = input;
  const pendingText = await secrets.findValue(metadata.arn, {
    versionId: event.ClientRequestToken,
  });
  if (pendingText === undefined) {
    await testConfiguration(input);
    return;
  }
  const pending = parseSecret(pendingText);
  report.provider(pending.provider);
  await providerFor(pending).verifyIdentity(pending, vendor);
  log.info('pending key verified', { pendingKey: keyReference(pending) });
}

async function testConfiguration({
  metadata,
  secrets,
  vendor,
  log,
  report,
}: StepInput): Promise<void> {
  const currentText = await secrets.getValue(metadata.arn, {
    versionId: currentVersionId(metadata),
  });
  if (isPlaceholderSecret(currentText)) {
    log.warn(
      'configuration test passed, but the first key has not been put yet: put it with `aws secretsmanager put-secret-value` before the first rotation',
    );
    return;
  }
  const current = parseSecret(currentText);
  report.provider(current.provider);
  resolveRevokePolicy(current, metadata.arn, metadata.tags);
  await providerFor(current).verifyIdentity(current, vendor);
  log.info('configuration test passed: the current key is verified', {
    currentKey: keyReference(current),
  });
}

/**
 * finishSecret: promote the pending version and revoke the key the policy says is done.
 * `next-rotation` revokes the key before the replaced one, and does so before the promotion
 * (that key is not in use), so a crash cannot skip it. `on-finish` revokes the replaced key
 * after the promotion; a failure there is reported (log, metric, notification) and fails the
 * step, and the promotion stands. A retry after the promotion (the token is already
 * AWSCURRENT) revokes the replaced key again, which the vendors make idempotent.
 */
export async function finishSecret(input: StepInput): Promise<void> {
  const { event, metadata, secrets } = input;
  const token = event.ClientRequestToken;
  const currentId = currentVersionId(metadata);
  if (currentId === token) {
    const replacedVersionId = versionWithLabel(metadata, AWSPREVIOUS);
    if (replacedVersionId === undefined) {
      input.log.info('version is already AWSCURRENT and no key was replaced; nothing to do');
      return;
    }
    await revokeReplaced(input, replacedVersionId, 'resumed');
    return;
  }
  await revokeOlder(input, currentId, versionWithLabel(metadata, AWSPREVIOUS));
  await secrets.moveLabel(metadata.arn, AWSCURRENT, token, currentId);
  input.report.rotationCompleted(token, currentId);
  await revokeReplaced(input, currentId, 'promoted');
}

/** Under `next-rotation`, the key before the replaced one; it is out of use, so this runs first. */
async function revokeOlder(
  input: StepInput,
  replacedVersionId: string,
  olderVersionId: string | undefined,
): Promise<void> {
  await reportingFailure(input, async (name) => {
    const replaced = await readVersion(input, replacedVersionId);
    input.report.provider(replaced.provider);
    const policy = resolveRevokePolicy(replaced, input.metadata.arn, input.metadata.tags);
    if (policy !== 'next-rotation') return;
    if (olderVersionId === undefined) {
      input.log.info('no earlier key to revoke yet', { policy });
      return;
    }
    const target = await readVersion(input, olderVersionId);
    name(target);
    await revokeKey(input, target, replaced);
  });
}

/** Under `on-finish`, the key AWSCURRENT held before this rotation promoted its version. */
async function revokeReplaced(
  input: StepInput,
  replacedVersionId: string,
  phase: 'promoted' | 'resumed',
): Promise<void> {
  await reportingFailure(input, async (name) => {
    const replaced = await readVersion(input, replacedVersionId);
    name(replaced);
    input.report.provider(replaced.provider);
    const policy = resolveRevokePolicy(replaced, input.metadata.arn, input.metadata.tags);
    if (policy !== 'on-finish') return;
    if (phase === 'resumed') input.log.info('finishing the revocation of a promoted rotation');
    await revokeKey(input, replaced, replaced);
  });
}

/** Runs a revocation; a failure is reported and rethrown as RevocationFailedError. */
async function reportingFailure(
  input: StepInput,
  revocation: (name: (target: RotatedSecret) => void) => Promise<void>,
): Promise<void> {
  let target: RotatedSecret | undefined;
  try {
    await revocation((named) => {
      target = named;
    });
  } catch (error) {
    const key = target === undefined ? undefined : keyReference(target);
    await input.report.revocationFailed(input.metadata.arn, key, error);
    throw new RevocationFailedError(input.metadata.arn, key, error);
  }
}

async function revokeKey(
  input: StepInput,
  target: RotatedSecret,
  replaced: RotatedSecret,
): Promise<void> {
  if (target.provider !== replaced.provider) {
    throw new SecretFormatError(
      'provider',
      'changed between versions, so the older key cannot be revoked automatically',
    );
  }
  const key = keyReference(target);
  const revocation = await providerFor(target).revokeKey(target, replaced, input.vendor);
  if (revocation.kind === 'revoked') input.report.keyRevoked(key);
  else if (revocation.kind === 'already-revoked') input.report.keyAlreadyRevoked(key);
  else await input.report.manualRevocationRequired(input.metadata.arn, key);
}

async function readVersion(
  { metadata, secrets }: StepInput,
  versionId: string,
): Promise<RotatedSecret> {
  return parseSecret(await secrets.getValue(metadata.arn, { versionId }));
}

function currentVersionId(metadata: SecretMetadata): string {
  const versionId = versionWithLabel(metadata, AWSCURRENT);
  if (versionId === undefined)
    throw new SecretVersionMissingError(metadata.arn, { versionStage: AWSCURRENT });
  return versionId;
}

function stagedKeyOf(text: string): string | undefined {
  try {
    return parseStagedKey(text).apiKey;
  } catch {
    return undefined;
  }
}

function keyReference(secret: RotatedSecret): KeyReference {
  const keyName = secret.provider === 'poelis' ? secret.keyName : undefined;
  return keyName === undefined
    ? { fingerprint: fingerprint(secret.apiKey) }
    : { fingerprint: fingerprint(secret.apiKey), keyName };
}
