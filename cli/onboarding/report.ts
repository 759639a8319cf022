/** What `init` and `onboard` tell about a replaced key: kept as AWSPREVIOUS, live or not. */
import type { KeyProvider } from '../../lambda/providers/provider';
import { describeKey, type KeyReference } from '../../lambda/shared/key-reference';
import type { RotatedSecret } from '../../lambda/shared/secret';
import { providersOf, type CliDependencies } from '../dependencies';
import { replacedKeyStatus, type ReplacedKeyStatus } from './first-value';

/** A replaced key, named by fingerprint (and vendor name), with whether it still works. */
export interface ReplacedKey {
  readonly key: KeyReference;
  readonly status: ReplacedKeyStatus;
}

/**
 * Checks the replaced value's key at its vendor and names it; undefined when nothing was
 * replaced (or the replaced value held no key).
 */
export async function checkReplacedKey(
  deps: CliDependencies,
  replaced: RotatedSecret | undefined,
  deadline: number,
): Promise<ReplacedKey | undefined> {
  if (replaced === undefined) return undefined;
  return {
    key: providersOf(deps).keyReference(replaced),
    status: await replacedKeyStatus(deps, replaced, deadline),
  };
}

/** The replaced key as `--json` prints it. */
export function replacedKeyJson(
  replaced: ReplacedKey | undefined,
): { fingerprint: string; keyName: string | null; status: ReplacedKeyStatus } | null {
  if (replaced === undefined) return null;
  return {
    fingerprint: replaced.key.fingerprint,
    keyName: replaced.key.keyName ?? null,
    status: replaced.status,
  };
}

/** One line on the replaced key: where it is kept, and what to do if it still works. */
export function replacedKeyLine(
  provider: KeyProvider,
  replaced: ReplacedKey,
  revokeAdvice: string,
): string {
  const key = describeKey(replaced.key);
  switch (replaced.status) {
    case 'revoked':
      return `The replaced key ${key} is kept as AWSPREVIOUS; ${provider.displayName} no longer accepts it (401).\n`;
    case 'live':
      return `The replaced key ${key} is kept as AWSPREVIOUS and is STILL LIVE at ${provider.displayName}: ${revokeAdvice}\n`;
    case 'unknown':
      return `The replaced key ${key} is kept as AWSPREVIOUS; whether ${provider.displayName} still accepts it could not be checked: run \`api-key-rotator verify\` on the secret later.\n`;
  }
}
