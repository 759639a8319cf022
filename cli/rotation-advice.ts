/**
 * What `rotate` tells the operator after a rotation: after a failure, the exact commands that
 * work next, in order (a failed rotation leaves AWSPENDING, and RotateSecret refuses another
 * until `recover` clears it); after an assisted rotation, the old key to revoke by hand.
 */
import { AWSCURRENT, AWSPREVIOUS } from '../lambda/aws/secrets';
import type { KeyStaging } from '../lambda/providers/provider';
import { printable } from '../lambda/shared/printable';
import { describeVersionKey, shellWord } from './output';
import type { KeyVersion, SecretState } from './secret-state';

/** What the CLI knew of the secret before it started the rotation. */
export interface RotationContext {
  readonly secretId: string;
  /** The secret before the rotation; undefined when its values could not be read. */
  readonly before: SecretState | undefined;
  /** A vendor whose keys a person makes and revokes (Poelis); undefined when the rotation does. */
  readonly assisted: AssistedVendor | undefined;
}

/** Where a person makes and revokes an assisted vendor's keys. */
export interface AssistedVendor extends Pick<KeyStaging, 'createKeyIn' | 'revokeKeyIn'> {
  readonly displayName: string;
}

/** The failed step as the rotation history reports it, when it does. */
export interface FailedStep {
  readonly step: string;
  readonly errorType: string;
}

/** The errors that mean the staged key is missing or unusable: a new one must be staged. */
const STAGE_AGAIN = new Set(['NothingStagedError', 'SecretFormatError']);

/**
 * A failed step's message without the rotation function's own "what to do" sentence, which
 * cannot know that rotate refuses until recover has run: the CLI names the steps that work.
 *
 * @example
 * ```ts
 * withoutAdvice({ errorType: 'NothingStagedError', errorMessage: 'No key is staged. Create a new key in …' });
 * // 'No key is staged.'
 * ```
 */
export function withoutAdvice(failure: FailedStep & { readonly errorMessage: string }): string {
  return failure.errorType === 'NothingStagedError'
    ? failure.errorMessage.replace(/\. Create a new key in .*$/s, '.')
    : failure.errorMessage;
}

/**
 * `api-key-rotator …` with the secret as one shell word, ready to paste.
 *
 * @example
 * ```ts
 * cliCommand('recover', 'prod/poelis', '--yes'); // 'api-key-rotator recover prod/poelis --yes'
 * ```
 */
export function cliCommand(command: string, secretId: string, ...options: string[]): string {
  return ['api-key-rotator', command, printable(shellWord(secretId)), ...options].join(' ');
}

/**
 * The steps that work after a rotation stopped before AWSCURRENT moved, in order: `recover`
 * always comes before the next `rotate`, and an assisted vendor needs a newly staged key.
 *
 * @example
 * ```ts
 * stepsAfterFailure(poelisContext, { step: 'createSecret', errorType: 'NothingStagedError' });
 * // ['Create a new key in the Poelis web app (…).', 'api-key-rotator stage prod/poelis --name "<key name>" …', …]
 * ```
 */
export function stepsAfterFailure(
  context: RotationContext,
  failure: FailedStep | undefined,
): string[] {
  const { secretId, assisted } = context;
  const stage =
    assisted === undefined
      ? []
      : [
          `Create a new key in ${assisted.createKeyIn}.`,
          `${cliCommand('stage', secretId, '--name', '"<key name>"')}   (paste the key on stdin)`,
        ];
  const rotate = cliCommand('rotate', secretId, '--wait');
  if (assisted !== undefined && failure !== undefined && STAGE_AGAIN.has(failure.errorType)) {
    // Nothing usable was staged, so no key is pending: recover only clears the label.
    return [...stage, cliCommand('recover', secretId, '--yes'), rotate];
  }
  const recover = `${cliCommand('recover', secretId)}   (shows the pending key, says what to do with it, and clears it)`;
  if (assisted !== undefined) return [recover, ...stage, rotate];
  return [
    'Fix the cause above (Secrets Manager also reattempts the rotation by itself).',
    recover,
    rotate,
  ];
}

/**
 * The key an assisted rotation that just succeeded asks a person to revoke: under `on-finish`
 * the key it replaced, under `next-rotation` the one before it (the replaced key stays live as
 * AWSPREVIOUS until the next rotation). Undefined when the rotation revokes keys itself, or
 * when there is no earlier key.
 */
export function keyToRevoke(context: RotationContext): KeyVersion | undefined {
  const { before, assisted } = context;
  if (before === undefined || assisted === undefined) return undefined;
  const label = before.revokePolicy === 'next-rotation' ? AWSPREVIOUS : AWSCURRENT;
  const version = before.versions.find((v) => v.labels.includes(label));
  return version?.fingerprint === undefined ? undefined : version;
}

/** The lines that name the key to revoke and where, then how to prove it is dead. */
export function revokeAdvice(
  context: RotationContext,
  assisted: AssistedVendor,
  key: KeyVersion,
): string[] {
  const kept =
    context.before?.revokePolicy === 'next-rotation'
      ? ' The key this rotation replaced stays live as AWSPREVIOUS until the next rotation (revokePolicy next-rotation).'
      : '';
  return [
    `Revoke the old ${assisted.displayName} key ${describeVersionKey(key)} in ${assisted.revokeKeyIn}; the rotation's notice names it too.${kept}`,
    `Then prove it is dead: ${cliCommand('verify', context.secretId)}`,
  ];
}
