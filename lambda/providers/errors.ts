import { RotatorError } from '../shared/errors';

/** The vendor refused a key (401/403): the key is wrong, revoked, or lacks the permission. */
export class KeyRejectedError extends RotatorError {
  constructor(
    readonly keyRole: 'API key' | 'partner key',
    readonly fingerprint: string,
    readonly status: number,
    readonly requestId: string | undefined,
  ) {
    super(
      `The vendor rejected the ${keyRole} ${fingerprint} with ${status} (request ${requestId ?? 'without id'}). Check that the key is live and has the needed permissions.`,
    );
  }
}

/** The key works but authenticates as someone other than the secret says. */
export class IdentityMismatchError extends RotatorError {
  constructor(
    readonly fingerprint: string,
    expected: string,
    actual: string,
  ) {
    super(
      `Key ${fingerprint} authenticates as ${actual}, but the secret expects ${expected}. Fix the secret's organizationId/userId/standbyUserId, or the key was issued for the wrong user.`,
    );
  }
}

/** The vendor answered something the rotator cannot use. */
export class VendorResponseError extends RotatorError {
  constructor(
    readonly operation: string,
    problem: string,
    readonly status: number,
    readonly requestId: string | undefined,
  ) {
    super(
      `${operation} failed: ${problem} (status ${status}, request ${requestId ?? 'without id'}). Check the secret's baseUrl and the vendor's status.`,
    );
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
