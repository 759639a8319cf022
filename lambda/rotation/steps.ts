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
  DEFAULT_REVOKE_POLICY,
  parseSecret,
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
  const current = parseSecret(
    await secrets.getValue(metadata.arn, { versionId: currentVersionId(metadata) }),
  );
  report.provider(current.provider);
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
 */
export async function setSecret({ metadata, secrets, log }: StepInput): Promise<void> {
  const stagedVersionId = versionWithLabel(metadata, STAGED_LABEL);
  if (stagedVersionId === undefined) return;
  await secrets.removeLabel(metadata.arn, STAGED_LABEL, stagedVersionId);
  log.info('STAGED label cleared', { stagedVersionId });
}

/** testSecret: the pending key must authenticate as the principal the secret names. */
export async function testSecret({
  event,
  metadata,
  secrets,
  vendor,
  log,
  report,
}: StepInput): Promise<void> {
  const pending = parseSecret(
    await secrets.getValue(metadata.arn, { versionId: event.ClientRequestToken }),
  );
  report.provider(pending.provider);
  await providerFor(pending).verifyIdentity(pending, vendor);
  log.info('pending key verified', { pendingKey: keyReference(pending) });
}

/**
 * finishSecret: promote the pending version, then revoke the key the policy says is done:
 * the replaced one (`on-finish`) or the one before it (`next-rotation`). A failed revocation
 * is reported (log, metric, notification) and fails the step; the promotion stands.
 */
export async function finishSecret(input: StepInput): Promise<void> {
  const { event, metadata, secrets } = input;
  const replacedVersionId = currentVersionId(metadata);
  const olderVersionId = versionWithLabel(metadata, AWSPREVIOUS);
  await secrets.moveLabel(metadata.arn, AWSCURRENT, event.ClientRequestToken, replacedVersionId);
  input.report.rotationCompleted(event.ClientRequestToken, replacedVersionId);
  let target: RotatedSecret | undefined;
  try {
    const replaced = parseSecret(
      await secrets.getValue(metadata.arn, { versionId: replacedVersionId }),
    );
    input.report.provider(replaced.provider);
    const policy = replaced.revokePrevious ?? DEFAULT_REVOKE_POLICY;
    const targetVersionId = policy === 'on-finish' ? replacedVersionId : olderVersionId;
    if (targetVersionId === undefined) {
      input.log.info('no earlier key to revoke yet', { policy });
      return;
    }
    target =
      targetVersionId === replacedVersionId ? replaced : await readVersion(input, targetVersionId);
    await revokeKey(input, target, replaced);
  } catch (error) {
    const key = target === undefined ? undefined : keyReference(target);
    await input.report.revocationFailed(metadata.arn, key, error);
    throw new RevocationFailedError(metadata.arn, key, error);
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

function keyReference(secret: RotatedSecret): KeyReference {
  const keyName = secret.provider === 'poelis' ? secret.keyName : undefined;
  return keyName === undefined
    ? { fingerprint: fingerprint(secret.apiKey) }
    : { fingerprint: fingerprint(secret.apiKey), keyName };
}
