import { Agent, request, type Dispatcher } from 'undici';
import { RedirectRefusedError, ResponseTooLargeError, VendorUnavailableError } from './errors';
import {
  assertRequestAllowed,
  requestOwner,
  type OriginPolicy,
  type ProviderOriginPolicy,
} from './origin-policy';
import { backoffDelayMs, isRetryableError, isRetryableStatus, rateLimitDelayMs } from './retry';
import { quoteUntrusted } from '../shared/untrusted-text';

/** Where the client reports each attempt; the Powertools Logger fits. */
export interface RequestLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Epoch ms by which the call must be over, retries included (the Lambda's deadline). */
  readonly deadline: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The vendor's request id, safe to print: capped, printable ASCII, credentials redacted. */
  readonly requestId: string | undefined;
  /**
   * Vendor text from this response (an id, an error message) made safe to quote: the
   * credentials this request sent are redacted. Absent on responses not made by the client.
   */
  readonly quote?: (text: string, maxLength?: number) => string;
}

export interface HttpClientOptions {
  /**
   * Where requests may go: one list for every request, or each provider's own origins for the
   * requests bound to that provider (the functions' policy).
   */
  readonly policy: OriginPolicy | ProviderOriginPolicy;
  /** Defaults to an undici Agent owned by the client; tests pass a MockAgent. */
  readonly dispatcher?: Dispatcher;
  readonly log?: RequestLog;
  /** Attempts allowed for 5xx and connection failures; 429s are bounded by the deadline only. */
  readonly maxAttempts?: number;
  readonly maxResponseBytes?: number;
  /** Upper bound of one attempt (connect + headers + body), further capped by the deadline. */
  readonly attemptTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

const DEFAULT_MAX_ATTEMPTS = 4;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** An attempt with less time than this left would only time out. */
const MIN_ATTEMPT_MS = 250;
const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-amzn-requestid'];

/**
 * The vendor HTTP client: allowlisted https origins only, no redirects, bounded responses,
 * and retries with jittered backoff — up to `maxAttempts` for 5xx and connection failures,
 * as often as the deadline allows for 429 (honouring Retry-After / X-RateLimit-Reset) — never
 * past the deadline, and only for requests that are safe to repeat (GET, DELETE, or an
 * Idempotency-Key).
 */
export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly maxAttempts: number;
  private readonly maxResponseBytes: number;
  private readonly attemptTimeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: HttpClientOptions) {
    this.dispatcher = options.dispatcher ?? new Agent({ connect: { timeout: CONNECT_TIMEOUT_MS } });
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    assertRequestAllowed(req.url, this.options.policy, requestOwner(req));
    const origin = req.url.origin;
    // DELETE is idempotent by HTTP's definition: a repeat finds the resource already gone.
    const repeatable =
      req.method === 'GET' || req.method === 'DELETE' || hasHeader(req.headers, 'idempotency-key');
    // Failures count against maxAttempts; a 429 is the vendor pacing us, bounded by the deadline.
    let failures = 0;
    for (let attempt = 1; ; attempt++) {
      const timeLeft = req.deadline - this.now();
      if (timeLeft < MIN_ATTEMPT_MS) {
        throw new VendorUnavailableError(origin, 'no time left before the function times out');
      }
      let response: HttpResponse;
      try {
        response = await this.attempt(req, attempt, Math.min(this.attemptTimeoutMs, timeLeft));
      } catch (error) {
        if (!isRetryableError(error)) throw error;
        const reason = `the connection failed (${describeError(error)})`;
        if (!repeatable || ++failures >= this.maxAttempts)
          throw new VendorUnavailableError(origin, reason, undefined, undefined, { cause: error });
        await this.waitBeforeRetry(req, backoffDelayMs(attempt, this.random), reason);
        continue;
      }
      if (!isRetryableStatus(response.status)) return response;
      const reason = `it answered ${response.status}`;
      const rateLimited = response.status === 429;
      if (!repeatable || (!rateLimited && ++failures >= this.maxAttempts)) {
        throw new VendorUnavailableError(origin, reason, response.status, response.requestId);
      }
      const asked = rateLimited ? rateLimitDelayMs(response.headers, this.now()) : undefined;
      const delay = (asked ?? 0) + backoffDelayMs(attempt, this.random);
      await this.waitBeforeRetry(req, delay, reason, response);
    }
  }

  private async attempt(
    req: HttpRequest,
    attempt: number,
    timeoutMs: number,
  ): Promise<HttpResponse> {
    const started = this.now();
    const response = await request(req.url, {
      dispatcher: this.dispatcher,
      method: req.method,
      headers: req.headers,
      body: req.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    // A vendor or proxy may reflect the Authorization header; this request's is redacted.
    const secrets = credentialsOf(req.headers);
    const quote = (text: string, maxLength?: number): string =>
      quoteUntrusted(text, { secrets, maxLength });
    const rawRequestId = REQUEST_ID_HEADERS.map((name) => response.headers[name]).find(
      (value): value is string => typeof value === 'string',
    );
    const requestId = rawRequestId === undefined ? undefined : quote(rawRequestId);
    this.options.log?.info('vendor request', {
      method: req.method,
      origin: req.url.origin,
      path: req.url.pathname,
      status: response.statusCode,
      vendorRequestId: requestId,
      attempt,
      durationMs: this.now() - started,
    });
    if (response.statusCode >= 300 && response.statusCode < 400) {
      await response.body.dump();
      throw new RedirectRefusedError(response.statusCode, requestId);
    }
    const body = await readCapped(response.body, this.maxResponseBytes);
    return { status: response.statusCode, headers: response.headers, body, requestId, quote };
  }

  private async waitBeforeRetry(
    req: HttpRequest,
    delayMs: number,
    reason: string,
    response?: HttpResponse,
  ): Promise<void> {
    if (this.now() + delayMs + MIN_ATTEMPT_MS > req.deadline) {
      throw new VendorUnavailableError(
        req.url.origin,
        `${reason}, and a retry would not finish before the function times out`,
        response?.status,
        response?.requestId,
      );
    }
    this.options.log?.warn('vendor request will be retried', {
      origin: req.url.origin,
      path: req.url.pathname,
      reason,
      delayMs,
      vendorRequestId: response?.requestId,
    });
    await this.sleep(delayMs);
  }
}

async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      body.destroy();
      throw new ResponseTooLargeError(limit);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function hasHeader(headers: Readonly<Record<string, string>> | undefined, name: string): boolean {
  return Object.keys(headers ?? {}).some((key) => key.toLowerCase() === name);
}

/** The request's Authorization header value and the credential inside it, non-empty. */
function credentialsOf(headers: Readonly<Record<string, string>> | undefined): string[] {
  const values = Object.entries(headers ?? {})
    .filter(([name]) => name.toLowerCase() === 'authorization')
    .map(([, value]) => value.trim());
  const credentials = values.map((value) => value.replace(/^\S+\s+/, ''));
  return [...values, ...credentials].filter((value) => value !== '');
}

function describeError(error: unknown): string {
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'unknown error';
}
