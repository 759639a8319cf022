import type { Clock } from '../../aws/types';
import type { RateLimitOptions } from '../types';

/** The outcome of one request against a bucket, with what the rate-limit headers report. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Unix seconds at which the bucket is full again. */
  readonly resetAtSeconds: number;
  /** Seconds until one request is allowed again; set only when refused. */
  readonly retryAfterSeconds?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets keyed by caller (an organization): `perMinute + burst` tokens, refilled at
 * `perMinute` per minute. `remaining` counts only the base allowance (never above `limit`),
 * so it reads 0 exactly when the next request would be refused.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  private readonly tokensPerMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly options: RateLimitOptions,
  ) {
    if (!(options.perMinute > 0) || !(options.burst >= 0)) {
      throw new Error('Rate limit needs perMinute > 0 and burst >= 0.');
    }
    this.capacity = options.perMinute + options.burst;
    this.tokensPerMs = options.perMinute / 60_000;
  }

  take(bucketKey: string): RateDecision {
    const now = this.clock.now();
    const bucket = this.refilled(bucketKey, now);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    const resetAtSeconds = Math.ceil(
      (now + (this.capacity - bucket.tokens) / this.tokensPerMs) / 1000,
    );
    const decision = {
      allowed,
      limit: this.options.perMinute,
      remaining: Math.min(this.options.perMinute, Math.floor(bucket.tokens)),
      resetAtSeconds,
    };
    if (allowed) return decision;
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.tokensPerMs / 1000));
    return { ...decision, retryAfterSeconds };
  }

  private refilled(bucketKey: string, now: number): Bucket {
    const bucket = this.buckets.get(bucketKey) ?? { tokens: this.capacity, updatedAt: now };
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.capacity, bucket.tokens + elapsed * this.tokensPerMs);
    bucket.updatedAt = now;
    this.buckets.set(bucketKey, bucket);
    return bucket;
  }
}

/** The standard headers for a decision; `Retry-After` only when refused. */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(decision.resetAtSeconds),
    ...(decision.retryAfterSeconds === undefined
      ? {}
      : { 'Retry-After': String(decision.retryAfterSeconds) }),
  };
}
