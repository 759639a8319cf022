import type { Clock } from '../../aws/types';

export type IdempotencyLookup<R> =
  | { readonly kind: 'new' }
  | { readonly kind: 'replay'; readonly response: R }
  | { readonly kind: 'mismatch' };

interface StoredOutcome<R> {
  readonly signature: string;
  readonly response: R;
  readonly expiresAt: number;
}

/**
 * First-outcome-wins idempotency records, scoped per caller and kept for `ttlMs`. A record is
 * reused only by the same request (`signature`); another request with the same key is a mismatch.
 */
export class IdempotencyStore<R> {
  private readonly records = new Map<string, StoredOutcome<R>>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  lookup(scope: string, key: string, signature: string): IdempotencyLookup<R> {
    const id = recordId(scope, key);
    const stored = this.records.get(id);
    if (stored === undefined) return { kind: 'new' };
    if (stored.expiresAt <= this.clock.now()) {
      this.records.delete(id);
      return { kind: 'new' };
    }
    return stored.signature === signature
      ? { kind: 'replay', response: stored.response }
      : { kind: 'mismatch' };
  }

  remember(scope: string, key: string, signature: string, response: R): void {
    this.records.set(recordId(scope, key), {
      signature,
      response,
      expiresAt: this.clock.now() + this.ttlMs,
    });
  }
}

function recordId(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}
