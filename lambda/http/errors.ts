import { FunctionEnv } from '../shared/contracts';
import { RotatorError } from '../shared/errors';

/** The URL's origin is not on ROTATOR_ALLOWED_ORIGINS; refused before any request. */
export class OriginNotAllowedError extends RotatorError {
  constructor(readonly origin: string) {
    super(
      `Refusing to call ${origin}: it is not on ${FunctionEnv.AllowedOrigins}. Fix the secret's baseUrl or add the origin to the allowlist.`,
    );
  }
}

/** Plain http, or a URL that is not an origin we can check; refused before any request. */
export class InsecureUrlError extends RotatorError {
  constructor(readonly origin: string) {
    super(
      `Refusing to call ${origin}: vendor calls must use https (plain http only to loopback with ${FunctionEnv.AllowLoopbackHttp}=true).`,
    );
  }
}

/** The vendor answered with a redirect; following it could send a key to another host. */
export class RedirectRefusedError extends RotatorError {
  constructor(
    readonly status: number,
    readonly requestId: string | undefined,
  ) {
    super(
      `The vendor answered ${status} (a redirect, request ${requestId ?? 'without id'}); redirects are not followed. Check the secret's baseUrl.`,
    );
  }
}

/** The response body exceeded the size cap. */
export class ResponseTooLargeError extends RotatorError {
  constructor(readonly limitBytes: number) {
    super(
      `The vendor's response exceeded ${limitBytes} bytes and was dropped. Check the secret's baseUrl.`,
    );
  }
}

/** The vendor could not be reached or kept failing within the time the function had left. */
export class VendorUnavailableError extends RotatorError {
  constructor(
    readonly origin: string,
    reason: string,
    readonly status?: number,
    readonly requestId?: string,
    options?: ErrorOptions,
  ) {
    super(
      `${origin} is unavailable: ${reason}${requestId === undefined ? '' : ` (request ${requestId})`}. The rotation can be retried once the vendor recovers.`,
      options,
    );
  }
}
