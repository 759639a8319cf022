import { printable } from './printable';

/** A key as reports name it: fingerprint, plus the vendor's key name when it has one. */
export interface KeyReference {
  readonly fingerprint: string;
  readonly keyName?: string;
}

/**
 * `"Production A" (1a2b3c4d)`, or the bare fingerprint for an unnamed key. The name comes from a
 * secret's value, so its control characters are escaped wherever it is shown.
 */
export function describeKey(key: KeyReference): string {
  return key.keyName === undefined
    ? key.fingerprint
    : `"${printable(key.keyName)}" (${key.fingerprint})`;
}
