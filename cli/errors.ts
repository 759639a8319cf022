import { describeError } from '../lambda/shared/errors';
import { printable } from '../lambda/shared/printable';
import { ExitCode } from './exit-codes';

/** An error the CLI reports as is: its message says what to do next; it never holds a key. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const NOT_FOUND = new Set(['ResourceNotFoundException', 'NotFoundException']);
const DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);
/** The denials that name a resource (the others are about the credentials themselves). */
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT']);
const VENDOR_UNAVAILABLE = new Set([
  'VendorUnavailableError',
  'ResponseTooLargeError',
  'RedirectRefusedError',
]);
const CONFIGURATION = new Set(['ConfigurationError', 'OriginNotAllowedError', 'InsecureUrlError']);

/**
 * Turns whatever a command threw into a CliError for `secretId`: AWS and vendor errors keep
 * their own message (none carries a key value), made printable, and gain the step to take next.
 */
export function toCliError(error: unknown, secretId?: string): CliError {
  if (error instanceof CliError) return error;
  // Vendors, proxies and AWS-compatible endpoints write these: their control characters are escaped.
  const described = describeError(error);
  const name = printable(described.name);
  const message = printable(described.message);
  const code = (error as { code?: unknown } | null)?.code;
  const subject = secretId === undefined ? 'the secret' : `secret ${printable(secretId)}`;
  if (NOT_FOUND.has(name)) {
    return new CliError(
      `${message} Check ${subject}'s name or ARN and the region (AWS_REGION).`,
      ExitCode.NotFoundOrDenied,
    );
  }
  if (DENIED.has(name)) {
    // AWS authorizes before it looks the secret up: with a policy conditioned on the secret's
    // tags (the README's), a name that does not exist is refused, not reported missing.
    const mistyped = ACCESS_DENIED.has(name)
      ? ` Check ${subject}'s name or ARN and the region (AWS_REGION) too: AWS refuses a secret that does not exist when your policy is conditioned on its tags.`
      : '';
    return new CliError(
      `AWS refused the request (${name}): ${asSentence(message)} Check your credentials and that your role may read and update ${subject} (see the README's operator permissions).${mistyped}`,
      ExitCode.NotFoundOrDenied,
    );
  }
  if (VENDOR_UNAVAILABLE.has(name)) return new CliError(message, ExitCode.Unavailable);
  if (CONFIGURATION.has(name)) return new CliError(message, ExitCode.Usage);
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return new CliError(
      `AWS could not be reached (${code}). Check your network, AWS_REGION and AWS_ENDPOINT_URL, then try again.`,
      ExitCode.Unavailable,
    );
  }
  return new CliError(`${name}: ${message}`, ExitCode.Failed);
}

/** AWS's messages end without a full stop ("… allows the secretsmanager:X action"). */
function asSentence(message: string): string {
  return /[.!?]$/.test(message) ? message : `${message}.`;
}
