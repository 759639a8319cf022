/**
 * Putting a managed secret's first value, once: what the secret holds now (the stack's
 * placeholder, a key, or a value the caller may not read), a version id derived from what is
 * written so a run cut short after the write recognises its own version, the write itself
 * (`AWSCURRENT`; the replaced value becomes `AWSPREVIOUS`), and whether a replaced key still works.
 */
import { createHash } from 'node:crypto';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { versionIdWithStage, type SecretMetadata } from '../../lambda/aws/secret-metadata';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, SecretsStore } from '../../lambda/aws/secrets';
import { KeyRejectedError } from '../../lambda/providers/errors';
import type { KeyProvider } from '../../lambda/providers/provider';
import { PROVIDER_TAG } from '../../lambda/shared/contracts';
import { describeError } from '../../lambda/shared/errors';
import { fingerprint } from '../../lambda/shared/fingerprint';
import {
  placeholderProvider,
  stringifySecret,
  type RotatedSecret,
} from '../../lambda/shared/secret';
import { providersOf, type CliDependencies } from '../dependencies';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';

/** What a secret's `AWSCURRENT` holds, as far as the caller may see. */
export type CurrentValue =
  /** The stack's placeholder, or no value at all: nothing to lose. */
  | { readonly kind: 'empty' }
  /** A value of the expected provider. */
  | { readonly kind: 'key'; readonly secret: RotatedSecret }
  /** A value that does not parse (put by hand): replacing it needs the operator's word. */
  | { readonly kind: 'invalid'; readonly problem: string }
  /** The caller is not one of the secret's readers: only the version history tells. */
  | { readonly kind: 'unreadable' };

/** A managed secret about to get its first value. */
export interface FirstValueTarget {
  readonly secretId: string;
  readonly metadata: SecretMetadata;
  readonly provider: KeyProvider;
  readonly current: CurrentValue;
  /** `AWSCURRENT`'s version id; undefined when the secret has no value yet. */
  readonly currentVersionId: string | undefined;
}

/**
 * Reads the secret's metadata and `AWSCURRENT`, refusing a secret of another provider (by the
 * stack's `api-key-rotator:provider` tag or the value) and one with a rotation under way.
 *
 * @param providerName the expected provider; undefined takes the secret's own (tag, then value)
 * @example
 * const target = await inspectFirstValueTarget(deps, 'prod/poelis', 'poelis');
 */
export async function inspectFirstValueTarget(
  deps: CliDependencies,
  secretId: string,
  providerName: string | undefined,
): Promise<FirstValueTarget> {
  const providers = providersOf(deps);
  const store = new SecretsStore(deps.secretsManager);
  const metadata = await store.describe(secretId);
  const provider = providers.providerOf(
    providerName ?? metadata.tags[PROVIDER_TAG] ?? (await providerOfValue(store, metadata.arn)),
  );
  assertProvider(secretId, provider, metadata.tags[PROVIDER_TAG]);
  const currentVersionId = versionIdWithStage(metadata, AWSCURRENT);
  const pendingVersionId = versionIdWithStage(metadata, AWSPENDING);
  if (pendingVersionId !== undefined && pendingVersionId !== currentVersionId) {
    throw new CliError(
      `${secretId} has a rotation under way (AWSPENDING on version ${pendingVersionId}): its first value cannot be put now.`,
      ExitCode.Usage,
      {
        name: 'RotationInProgressError',
        hint: `Let it finish (\`api-key-rotator status ${secretId}\`) or clear it with \`api-key-rotator recover ${secretId}\`, then run this again.`,
      },
    );
  }
  const base = { secretId, metadata, provider, currentVersionId };
  if (currentVersionId === undefined) return { ...base, current: { kind: 'empty' } };
  let text: string | undefined;
  try {
    text = await store.findValue(metadata.arn, { versionStage: AWSCURRENT });
  } catch (error) {
    // The stack lets only a secret's readers read it; an administrator still sees its versions.
    if (describeError(error).name === 'AccessDeniedException') {
      return { ...base, current: { kind: 'unreadable' } };
    }
    throw error;
  }
  if (text === undefined) return { ...base, current: { kind: 'empty' } };
  const placeholder = placeholderProvider(text);
  if (placeholder !== undefined) {
    assertProvider(secretId, provider, placeholder);
    return { ...base, current: { kind: 'empty' } };
  }
  try {
    const secret = providers.parseSecret(text);
    assertProvider(secretId, provider, secret.provider);
    return { ...base, current: { kind: 'key', secret } };
  } catch (error) {
    if (error instanceof CliError) throw error;
    return { ...base, current: { kind: 'invalid', problem: describeError(error).message } };
  }
}

/**
 * Whether nothing but the deploy-time placeholder can be there: it says so, or (for a caller who
 * may not read it) the secret has one labelled version, as CloudFormation creates it: any value
 * put since then moved the placeholder to `AWSPREVIOUS`.
 */
export function holdsNoValue(target: FirstValueTarget): boolean {
  if (target.current.kind === 'empty') return true;
  if (target.current.kind !== 'unreadable') return false;
  return (
    target.metadata.versions.length === 1 &&
    target.metadata.versions[0].stages.length === 1 &&
    target.metadata.versions[0].stages[0] === AWSCURRENT
  );
}

/**
 * The version id of the value written on top of `baseVersionId` for `parts` (the principal the
 * value is for): the same onboarding writes the same version, so Secrets Manager takes a repeated
 * write as done, and a run cut short after the write finds its own version `AWSCURRENT`.
 *
 * @example
 * const token = firstValueToken(arn, currentVersionId, [organizationId, userId]);
 */
export function firstValueToken(
  secretArn: string,
  baseVersionId: string | undefined,
  parts: readonly string[],
): string {
  const hex = createHash('sha256')
    .update(['first-value', secretArn, baseVersionId ?? '', ...parts].join('\u0000'), 'utf8')
    .digest('hex');
  // A version 4-shaped UUID (ClientRequestToken must be 32-64 characters).
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Whether `AWSCURRENT` is the version this onboarding writes: a run cut short after the write
 * (the answer lost) is then already done.
 */
export function isOwnVersion(target: FirstValueTarget, parts: readonly string[]): boolean {
  const previous = versionIdWithStage(target.metadata, AWSPREVIOUS);
  return (
    target.currentVersionId !== undefined &&
    target.currentVersionId === firstValueToken(target.metadata.arn, previous, parts)
  );
}

/**
 * Writes `secret` as the new `AWSCURRENT` (the replaced value becomes `AWSPREVIOUS`), under the
 * version id {@link firstValueToken} derives, so a repeated write is a no-op.
 *
 * @returns the version id written
 */
export async function writeFirstValue(
  deps: CliDependencies,
  target: FirstValueTarget,
  secret: RotatedSecret,
  parts: readonly string[],
): Promise<string> {
  // The provider validates the value as the rotation will read it: never store one it refuses.
  const value = stringifySecret(providersOf(deps).parseSecret(stringifySecret(secret)));
  const token = firstValueToken(target.metadata.arn, target.currentVersionId, parts);
  const output = await deps.secretsManager.send(
    new PutSecretValueCommand({
      SecretId: target.metadata.arn,
      ClientRequestToken: token,
      SecretString: value,
    }),
  );
  return output.VersionId ?? token;
}

/** Whether a replaced key still works at its vendor. */
export type ReplacedKeyStatus = 'live' | 'revoked' | 'unknown';

/**
 * Asks the vendor whether `replaced`'s key still authenticates: only the vendor's own "invalid
 * key" answer counts as revoked; anything that stops the check is `unknown`.
 */
export async function replacedKeyStatus(
  deps: CliDependencies,
  replaced: RotatedSecret,
  deadline: number,
): Promise<ReplacedKeyStatus> {
  const provider = providersOf(deps).providerOf(replaced);
  try {
    await provider.verifyIdentity(replaced, { http: deps.vendorHttp(), deadline });
    return 'live';
  } catch (error) {
    if (error instanceof KeyRejectedError && error.status === 401) return 'revoked';
    // It authenticates, as another principal than the secret said: still a live key.
    if (describeError(error).name === 'IdentityMismatchError') return 'live';
    return 'unknown';
  }
}

/** A value already there is kept unless the operator says to replace it. */
export function refuseToReplace(target: FirstValueTarget, command: string): CliError {
  const what =
    target.current.kind === 'key'
      ? `already holds ${target.provider.displayName} key ${fingerprint(target.current.secret.apiKey)}`
      : target.current.kind === 'invalid'
        ? 'already holds a value that is not a valid secret'
        : 'already holds a value put after deployment (you may not read it to compare)';
  return new CliError(`${target.secretId} ${what}: nothing was changed.`, ExitCode.Usage, {
    name: 'SecretHoldsKeyError',
    hint: `To replace it (kept as AWSPREVIOUS), run \`${command}\` again with --replace, as one of the secret's readers.`,
  });
}

/** The provider a secret's value names, for a secret without the stack's provider tag. */
async function providerOfValue(store: SecretsStore, arn: string): Promise<string> {
  const text = await store.findValue(arn, { versionStage: AWSCURRENT });
  const named = text === undefined ? undefined : (placeholderProvider(text) ?? providerField(text));
  if (named === undefined) {
    throw new CliError(
      `${arn} names no provider (no ${PROVIDER_TAG} tag, no provider field).`,
      ExitCode.Usage,
      {
        name: 'UnknownProviderError',
        hint: `Tag the secret ${PROVIDER_TAG}=<provider>, or use a secret the stack created.`,
      },
    );
  }
  return named;
}

function providerField(text: string): string | undefined {
  try {
    const { provider } = JSON.parse(text) as { provider?: unknown };
    return typeof provider === 'string' ? provider : undefined;
  } catch {
    return undefined;
  }
}

function assertProvider(secretId: string, provider: KeyProvider, actual: string | undefined): void {
  if (actual === undefined || actual === provider.name) return;
  throw new CliError(
    `${secretId} is a ${actual} secret, not a ${provider.displayName} one: nothing was changed.`,
    ExitCode.Usage,
    {
      name: 'WrongProviderError',
      hint: 'Name a secret of this vendor; `api-key-rotator status` lists each secret with its provider.',
    },
  );
}
