/** When and how long to wait before retrying a vendor call. */

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

const BASE_DELAY_MS = 200;
const MAX_BACKOFF_MS = 5_000;

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** Connection resets, refusals and timeouts are worth another try; anything else is not. */
export function isRetryableError(error: unknown): boolean {
  // Duck-typed: an abort's DOMException is not always an `instanceof Error` across realms.
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, cause } = error as { name?: unknown; code?: unknown; cause?: unknown };
  if (name === 'TimeoutError') return true;
  if (typeof code === 'string' && RETRYABLE_ERROR_CODES.has(code)) return true;
  return cause !== undefined && isRetryableError(cause);
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^(attempt-1))). */
export function backoffDelayMs(attempt: number, random: () => number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

type HeaderValue = string | string[] | undefined;

/**
 * How long a 429 asks us to wait, from `Retry-After` (seconds or HTTP date) or
 * `X-RateLimit-Reset` (seconds from now, or epoch seconds when it looks like one).
 */
export function rateLimitDelayMs(
  headers: Record<string, HeaderValue>,
  now: number,
): number | undefined {
  const retryAfter = firstValue(headers['retry-after']);
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = Number(firstValue(headers['x-ratelimit-reset']));
  if (Number.isFinite(reset) && reset >= 0) {
    const EPOCH_SECONDS_THRESHOLD = 1_000_000_000;
    return reset >= EPOCH_SECONDS_THRESHOLD ? Math.max(0, reset * 1000 - now) : reset * 1000;
  }
  return undefined;
}

function firstValue(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
