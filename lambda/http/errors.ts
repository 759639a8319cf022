import { FunctionEnv } from '../shared/contracts';
import { RotatorError } from '../shared/errors';
import { quoteUntrusted } from '../shared/untrusted-text';

/**
 * The URL's origin is not on ROTATOR_ALLOWED_ORIGINS — under the functions' per-provider policy,
 * not among the origins of the provider whose secret the call carries; refused before any request.
 */
export class OriginNotAllowedError extends RotatorError {
  constructor(
    readonly origin: string,
    /** The provider the call was made for, when the policy is per provider. */
    readonly provider?: string,
    /** The call was made for no provider, so no origin is allowed. */
    unbound = false,
  ) {
    super(
      unbound
        ? `Refusing to call ${origin}: the call is made for no provider, and ${FunctionEnv.AllowedOrigins} allows each provider's origins to its own secrets only.`
        : provider === undefined
          ? `Refusing to call ${origin}: it is not on ${FunctionEnv.AllowedOrigins}. Fix the secret's baseUrl or add the origin to the allowlist.`
          : `Refusing to call ${origin}: it is not one of ${provider}'s origins on ${FunctionEnv.AllowedOrigins}, and a ${provider} secret's keys go to ${provider}'s origins only. Fix the secret's baseUrl or add the origin to ${provider}'s allowlist.`,
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
  /** The vendor's request id, as quoted in the message. */
  readonly requestId: string | undefined;

  constructor(
    readonly status: number,
    requestId: string | undefined,
  ) {
    // The id comes from the vendor: quoted safe even when the caller did not.
    const quoted = requestId === undefined ? undefined : quoteUntrusted(requestId);
    super(
      `The vendor answered ${status} (a redirect, request ${quoted ?? 'without id'}); redirects are not followed. Check the secret's baseUrl.`,
    );
    this.requestId = quoted;
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
  /** The vendor's request id, as quoted in the message. */
  readonly requestId?: string;

  constructor(
    readonly origin: string,
    reason: string,
    readonly status?: number,
    requestId?: string,
    options?: ErrorOptions,
  ) {
    // The id comes from the vendor: quoted safe even when the caller did not.
    const quoted = requestId === undefined ? undefined : quoteUntrusted(requestId);
    super(
      `${origin} is unavailable: ${reason}${quoted === undefined ? '' : ` (request ${quoted})`}. The rotation can be retried once the vendor recovers.`,
      options,
    );
    this.requestId = quoted;
  }
}
