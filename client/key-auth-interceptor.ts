import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { hasAuthorization, toFlatHeaders, withBearer } from './authorization-header';
import type { RotatingKeySource } from './with-key';

/** Response headers or trailers, as undici hands them to a handler. */
type HttpHeaders = Record<string, string | string[] | undefined>;

/** Options of {@link keyAuthInterceptor}. */
export interface KeyAuthInterceptorOptions {
  /**
   * Origins whose requests get the key, e.g. `['https://api.poelis.com']`. Set it whenever
   * the dispatcher may reach other hosts (a global dispatcher, redirects), so the key is
   * never sent anywhere else.
   * @default every origin the dispatcher sends to
   */
  readonly origins?: readonly string[];
}

/**
 * An undici interceptor that sends `Authorization: Bearer <key>` with the reader's key, and
 * on a 401 gets a replacement key (see {@link KeyReader.replaceRejectedKey}) and sends the
 * request once more. A second 401 reaches the caller as the response it is. A storm of 401s on
 * a key the secret still holds costs one read per backoff window, not one per wave of requests
 * (see {@link KeyReaderOptions.rejectedKeyBackoff}).
 *
 * Only requests whose body can be sent twice are retried: no body, a string or a
 * `Uint8Array`/`Buffer`. With a stream, iterable or `FormData` body the 401 reaches the
 * caller. Requests that already carry an `Authorization` header pass through untouched.
 * When the key cannot be read the request fails with the reader's error.
 *
 * @example
 * ```ts
 * const dispatcher = new Agent().compose(
 *   keyAuthInterceptor(reader, { origins: ['https://api.poelis.com'] }),
 * );
 * await request('https://api.poelis.com/v1/public/workspaces?limit=1', { dispatcher });
 * ```
 */
export function keyAuthInterceptor(
  reader: RotatingKeySource,
  options: KeyAuthInterceptorOptions = {},
): Dispatcher.DispatcherComposeInterceptor {
  const origins = options.origins?.map((origin) => new URL(origin).origin);
  const isListed = (origin: Dispatcher.DispatchOptions['origin']): boolean =>
    origins === undefined || (origin !== undefined && origins.includes(new URL(origin).origin));

  return (dispatch) =>
    function keyAuth(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
      if (!isListed(opts.origin)) return dispatch(opts, handler);
      const headers = toFlatHeaders(opts.headers);
      if (hasAuthorization(headers)) return dispatch({ ...opts, headers }, handler);

      const send = (key: string, to: Dispatcher.DispatchHandler): boolean =>
        dispatch({ ...opts, headers: withBearer(headers, key) }, to);
      reader.getKey().then(
        (key) =>
          send(
            key,
            canResend(opts) ? new RetryOnUnauthorized(reader, key, send, handler) : handler,
          ),
        (error: unknown) => handler.onResponseError?.(notStarted, asError(error)),
      );
      // Like undici's own asynchronous interceptors (dns): progress is reported via the handler.
      return true;
    };
}

/**
 * Passes the response through, except a first 401: that one is read to the end and dropped,
 * and the request is sent again with the replacement key.
 */
class RetryOnUnauthorized implements Dispatcher.DispatchHandler {
  readonly #reader: RotatingKeySource;
  readonly #send: (key: string, handler: Dispatcher.DispatchHandler) => boolean;
  readonly #handler: Dispatcher.DispatchHandler;
  readonly #key: string;
  #retried = false;
  #dropping = false;

  public constructor(
    reader: RotatingKeySource,
    key: string,
    send: (key: string, handler: Dispatcher.DispatchHandler) => boolean,
    handler: Dispatcher.DispatchHandler,
  ) {
    this.#reader = reader;
    this.#key = key;
    this.#send = send;
    this.#handler = handler;
  }

  public onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#handler.onRequestStart?.(controller, context);
  }

  public onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: HttpHeaders,
    socket: Duplex,
  ): void {
    this.#handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  public onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: HttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode === 401 && !this.#retried) {
      this.#dropping = true;
      return;
    }
    this.#handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  public onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#dropping) this.#handler.onResponseData?.(controller, chunk);
  }

  public onResponseEnd(controller: Dispatcher.DispatchController, trailers: HttpHeaders): void {
    if (!this.#dropping) {
      this.#handler.onResponseEnd?.(controller, trailers);
      return;
    }
    this.#dropping = false;
    this.#retried = true;
    this.#reader.replaceRejectedKey(this.#key).then(
      (key) => this.#send(key, this),
      (error: unknown) => this.#handler.onResponseError?.(controller, asError(error)),
    );
  }

  public onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.#handler.onResponseError?.(controller, error);
  }
}

/** Whether undici can send the request body a second time. */
function canResend(opts: Dispatcher.DispatchOptions): boolean {
  const body: unknown = opts.body;
  return (
    !opts.upgrade &&
    (body === undefined || body === null || typeof body === 'string' || ArrayBuffer.isView(body))
  );
}

/** Controller for a request that failed before it was dispatched: nothing to pause or abort. */
const notStarted: Dispatcher.DispatchController = {
  aborted: false,
  paused: false,
  reason: null,
  abort: () => undefined,
  pause: () => undefined,
  resume: () => undefined,
};

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
