import { describeError } from '../lambda/shared/errors';
import { printable } from '../lambda/shared/printable';
import { ExitCode } from './exit-codes';

/** What a CliError carries besides its message and exit code. */
export interface CliErrorOptions {
  /** The step to take next, printed on its own line (`hint: …`) and as `error.hint` in JSON. */
  readonly hint?: string;
  /** The error's kind in JSON output: the SDK's or vendor's error name it came from, or our own. */
  readonly name?: string;
  readonly cause?: unknown;
}

/**
 * An error the CLI reports as is: its message says what went wrong, its hint what to do next;
 * neither ever holds a key.
 *
 * @example
 * ```ts
 * throw new CliError('Secret prod/x is not a Poelis secret.', ExitCode.Usage, {
 *   hint: 'Run `api-key-rotator rotate prod/x` instead.',
 * });
 * ```
 */
export class CliError extends Error {
  readonly hint: string | undefined;

  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options: CliErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = options.name ?? 'CliError';
    this.hint = options.hint;
  }
}

/** The error document `--json` prints on stdout when a command fails (see the README). */
export interface JsonError {
  readonly ok: false;
  readonly error: {
    readonly name: string;
    readonly message: string;
    readonly exitCode: ExitCode;
    readonly hint?: string;
  };
}

/**
 * `{"ok":false,"error":{…}}` for `error`: the shape every command prints with `--json` on failure.
 *
 * @example
 * ```ts
 * jsonError(new CliError('No AWS region is set.', ExitCode.Usage, { name: 'RegionMissingError' }));
 * // { ok: false, error: { name: 'RegionMissingError', message: 'No AWS region is set.', exitCode: 2 } }
 * ```
 */
export function jsonError(error: CliError): JsonError {
  const { name, message, exitCode, hint } = error;
  return {
    ok: false,
    error: hint === undefined ? { name, message, exitCode } : { name, message, exitCode, hint },
  };
}

/** The SDK's error when neither AWS_REGION, the profile nor instance metadata gives a region. */
const REGION_MISSING = /^Region is missing/;
/** No credentials could be loaded (none set, a profile without them, an SSO login needed). */
const CREDENTIALS_MISSING = new Set(['CredentialsProviderError', 'TokenProviderError']);
/** Credentials were sent and AWS did not accept them. */
const CREDENTIALS_REFUSED = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);
const NOT_FOUND = new Set(['ResourceNotFoundException', 'NotFoundException']);
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT']);
const VENDOR_UNAVAILABLE = new Set([
  'VendorUnavailableError',
  'ResponseTooLargeError',
  'RedirectRefusedError',
]);
const CONFIGURATION = new Set(['ConfigurationError', 'OriginNotAllowedError', 'InsecureUrlError']);

/** Errors about the operator's environment (region, credentials, network), not one secret. */
const ENVIRONMENT = new Set([
  'RegionMissingError',
  'AwsUnreachableError',
  ...CREDENTIALS_MISSING,
  ...CREDENTIALS_REFUSED,
]);

/** Whether `error` is about the environment every secret shares, so no per-secret retry helps. */
export function isEnvironmentError(error: CliError): boolean {
  return ENVIRONMENT.has(error.name);
}

const CREDENTIALS_HINT =
  'Set AWS_PROFILE to a configured profile (run `aws sso login --profile <name>` first for SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for a role session), then run the command again.';

/**
 * Turns whatever a command threw into a CliError for `secretId`: AWS and vendor errors keep
 * their own message (none carries a key value), made printable, and gain the step to take next.
 *
 * @example
 * ```ts
 * toCliError(new Error('Region is missing')).exitCode; // ExitCode.Usage, hint: set AWS_REGION
 * ```
 */
export function toCliError(error: unknown, secretId?: string): CliError {
  if (error instanceof CliError) return error;
  // Vendors, proxies and AWS-compatible endpoints write these: their control characters are escaped.
  const described = describeError(error);
  const name = printable(described.name);
  const message = printable(described.message);
  const code = (error as { code?: unknown } | null)?.code;
  const subject = secretId === undefined ? 'the secret' : `secret ${printable(secretId)}`;
  const keep = { name, cause: error };
  if (REGION_MISSING.test(message)) {
    return new CliError(
      'No AWS region is set: the AWS SDK found none in AWS_REGION, the profile, or instance metadata.',
      ExitCode.Usage,
      {
        name: 'RegionMissingError',
        cause: error,
        hint: 'Set AWS_REGION to the region of your secrets (e.g. `export AWS_REGION=eu-west-1`), or AWS_PROFILE to a profile that names one, then run the command again.',
      },
    );
  }
  if (CREDENTIALS_MISSING.has(name)) {
    return new CliError(
      `No AWS credentials could be loaded (${name}): ${asSentence(message)}`,
      ExitCode.NotFoundOrDenied,
      { ...keep, hint: CREDENTIALS_HINT },
    );
  }
  if (CREDENTIALS_REFUSED.has(name)) {
    return new CliError(
      `AWS did not accept your credentials (${name}): ${asSentence(message)}`,
      ExitCode.NotFoundOrDenied,
      {
        ...keep,
        hint: `They are expired, or for another account or endpoint: refresh them (\`aws sso login\`, or assume the role again). ${CREDENTIALS_HINT}`,
      },
    );
  }
  if (NOT_FOUND.has(name)) {
    return new CliError(asSentence(message), ExitCode.NotFoundOrDenied, {
      ...keep,
      hint: `Check ${subject}'s name or ARN and the region (AWS_REGION).`,
    });
  }
  if (ACCESS_DENIED.has(name)) {
    // AWS authorizes before it looks the secret up: with a policy conditioned on the secret's
    // tags (the README's), a name that does not exist is refused, not reported missing.
    return new CliError(
      `AWS refused the request (${name}): ${asSentence(message)}`,
      ExitCode.NotFoundOrDenied,
      {
        ...keep,
        hint: `Check ${subject}'s name or ARN and the region (AWS_REGION): AWS refuses a secret that does not exist when your policy is conditioned on its tags. Then check that your role may read and update it (README "Operator IAM").`,
      },
    );
  }
  if (VENDOR_UNAVAILABLE.has(name)) return new CliError(message, ExitCode.Unavailable, keep);
  if (CONFIGURATION.has(name)) return new CliError(message, ExitCode.Usage, keep);
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return new CliError(`AWS could not be reached (${code}).`, ExitCode.Unavailable, {
      name: 'AwsUnreachableError',
      cause: error,
      hint: 'Check your network, AWS_REGION and AWS_ENDPOINT_URL, then try again.',
    });
  }
  // A bare Error's name says nothing: its message alone, never "Error: …".
  return new CliError(name === 'Error' ? message : `${name}: ${message}`, ExitCode.Failed, keep);
}

/** AWS's messages end without a full stop ("… allows the secretsmanager:X action"). */
function asSentence(message: string): string {
  return /[.!?]$/.test(message) ? message : `${message}.`;
}
