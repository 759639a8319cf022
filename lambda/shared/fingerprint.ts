import { createHash } from 'node:crypto';

/** Names a key without revealing it: the first 8 hex characters of its SHA-256. */
export function fingerprint(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 8);
}
