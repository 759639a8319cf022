/** A key as reports name it: fingerprint, plus the vendor's key name when it has one. */
export interface KeyReference {
  readonly fingerprint: string;
  readonly keyName?: string;
}

/** `"Production A" (1a2b3c4d)`, or the bare fingerprint for an unnamed key. */
export function describeKey(key: KeyReference): string {
  return key.keyName === undefined ? key.fingerprint : `"${key.keyName}" (${key.fingerprint})`;
}
