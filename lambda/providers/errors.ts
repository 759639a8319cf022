import { RotatorError } from '../shared/errors';
import { quoteUntrusted, UNTRUSTED_MESSAGE_MAX_LENGTH } from '../shared/untrusted-text';

/** The vendor refused a key (401/403): the key is wrong, revoked, or lacks the permission. */
export class KeyRejectedError extends RotatorError {
  /** The vendor's request id, as quoted in the message. */
  readonly requestId: string | undefined;

  constructor(
    readonly keyRole: 'API key' | 'partner key',
    readonly fingerprint: string,
    readonly status: number,
    requestId: string | undefined,
  ) {
    // A refusal may reflect the rejected key itself: a token with its fingerprint is redacted.
    const quoted =
      requestId === undefined
        ? undefined
        : quoteUntrusted(requestId, { fingerprints: [fingerprint] });
    super(
      `The vendor rejected the ${keyRole} ${fingerprint} with ${status} (request ${quoted ?? 'without id'}). Check that the key is live and has the needed permissions.`,
    );
    this.requestId = quoted;
  }
}

/** The key works but authenticates as someone other than the secret says. */
export class IdentityMismatchError extends RotatorError {
  /**
   * @param actual who the vendor says the key is; it quotes the vendor's answer, so it is made
   * safe here too, and a token with the key's fingerprint is redacted.
   */
  constructor(
    readonly fingerprint: string,
    expected: string,
    actual: string,
  ) {
    const quoted = quoteUntrusted(actual, {
      fingerprints: [fingerprint],
      maxLength: UNTRUSTED_MESSAGE_MAX_LENGTH,
    });
    super(
      `Key ${fingerprint} authenticates as ${quoted}, but the secret expects ${expected}. Fix the secret's organizationId/userId/standbyUserId, or the key was issued for the wrong user.`,
    );
  }
}

/** The vendor answered something the rotator cannot use. */
export class VendorResponseError extends RotatorError {
  /** The vendor's request id, as quoted in the message. */
  readonly requestId: string | undefined;

  /** @param problem may quote the vendor's answer, so it is made safe here too. */
  constructor(
    readonly operation: string,
    problem: string,
    readonly status: number,
    requestId: string | undefined,
  ) {
    const quoted = requestId === undefined ? undefined : quoteUntrusted(requestId);
    const safeProblem = quoteUntrusted(problem, { maxLength: UNTRUSTED_MESSAGE_MAX_LENGTH });
    super(
      `${operation} failed: ${safeProblem} (status ${status}, request ${quoted ?? 'without id'}). Check the secret's baseUrl and the vendor's status.`,
    );
    this.requestId = quoted;
  }
}

/** An assisted rotation with no key staged: the reminder to create one. */
export class NothingStagedError extends RotatorError {
  constructor(
    readonly secretId: string,
    reason: string,
    /** Where keys are created, e.g. "the Poelis web app (Settings > Manage REST API Keys)". */
    createKeyIn: string,
  ) {
    super(
      `${reason}. Create a new key in ${createKeyIn}, then run \`api-key-rotator stage ${secretId}\` and rotate again.`,
    );
  }
}

/** No partner-key secret is configured for a Polytomic secret. */
export class PartnerKeyMissingError extends RotatorError {
  constructor() {
    super(
      'No Polytomic partner key is configured: set "partnerKeySecretId" in the secret or ROTATOR_PARTNER_KEY_SECRET_ID on the function.',
    );
  }
}
