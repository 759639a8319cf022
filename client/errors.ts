/**
 * Errors raised by the key reader. Messages name the secret and say what to fix; they never
 * contain a key value, a secret value, or a fragment of one.
 */

/** Base class of every error the key reader raises, for a single `instanceof` check. */
export class KeyReaderError extends Error {
  /** The secret the reader was configured with (name or ARN). */
  public readonly secretId: string;

  public constructor(secretId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KeyReaderError';
    this.secretId = secretId;
  }
}

/** Why Secrets Manager did not return the secret. */
export type SecretReadFailure = 'not-found' | 'access-denied' | 'decryption-failed' | 'read-failed';

/**
 * GetSecretValue failed: the secret does not exist, the caller may not read or decrypt it,
 * or the call failed for another reason. The SDK error is kept as `cause`.
 */
export class SecretReadError extends KeyReaderError {
  public readonly reason: SecretReadFailure;

  public constructor(secretId: string, reason: SecretReadFailure, options?: ErrorOptions) {
    super(secretId, readFailureMessage(secretId, reason), options);
    this.name = 'SecretReadError';
    this.reason = reason;
  }
}

/** What is wrong with the shape of the secret value. */
export type SecretFormatProblem =
  'no-secret-string' | 'not-json' | 'not-an-object' | 'missing-field';

/**
 * The secret was read but its value is not a JSON object with a non-empty string field.
 * Deliberately has no `cause`: a JSON parse error quotes the text it failed on.
 */
export class SecretFormatError extends KeyReaderError {
  public readonly problem: SecretFormatProblem;
  /** The JSON field the reader looks for. */
  public readonly field: string;
  public readonly versionId: string | undefined;

  public constructor(
    secretId: string,
    problem: SecretFormatProblem,
    field: string,
    versionId: string | undefined,
  ) {
    super(secretId, formatProblemMessage(secretId, problem, field, versionId));
    this.name = 'SecretFormatError';
    this.problem = problem;
    this.field = field;
    this.versionId = versionId;
  }
}

/**
 * The vendor answered 401 to the current key, and again after the reader re-read the secret.
 * Deliberately has no `cause`: HTTP client errors often carry the request headers.
 */
export class KeyRejectedError extends KeyReaderError {
  /** The version whose key was rejected last. */
  public readonly versionId: string | undefined;

  public constructor(secretId: string, versionId: string | undefined) {
    super(
      secretId,
      `The vendor rejected the API key from secret '${secretId}' (version ${versionId ?? 'unknown'}) ` +
        'with 401 twice, before and after re-reading AWSCURRENT. Check that AWSCURRENT holds a ' +
        'live key for this vendor and that the rotation finished (describe-secret shows its stages).',
    );
    this.name = 'KeyRejectedError';
    this.versionId = versionId;
  }
}

function readFailureMessage(secretId: string, reason: SecretReadFailure): string {
  switch (reason) {
    case 'not-found':
      return (
        `Secret '${secretId}' was not found, or has no AWSCURRENT version. Check the secret ` +
        'name or ARN and the region the Secrets Manager client uses.'
      );
    case 'access-denied':
      return (
        `Reading secret '${secretId}' was denied. Grant this role secretsmanager:GetSecretValue ` +
        "on the secret (and kms:Decrypt on its KMS key), and check the secret's resource policy."
      );
    case 'decryption-failed':
      return (
        `Secret '${secretId}' could not be decrypted. Grant this role kms:Decrypt on the ` +
        "secret's KMS key, and check that the key is enabled."
      );
    case 'read-failed':
      return `Reading secret '${secretId}' failed; see the cause for the Secrets Manager error.`;
  }
}

function formatProblemMessage(
  secretId: string,
  problem: SecretFormatProblem,
  field: string,
  versionId: string | undefined,
): string {
  const secret = `Secret '${secretId}' (version ${versionId ?? 'unknown'})`;
  const expected = `store a JSON object with a non-empty string field '${field}'`;
  switch (problem) {
    case 'no-secret-string':
      return `${secret} has no SecretString (binary secrets are not supported): ${expected}.`;
    case 'not-json':
      return `${secret} is not valid JSON: ${expected}.`;
    case 'not-an-object':
      return `${secret} is JSON but not an object: ${expected}.`;
    case 'missing-field':
      return `${secret} has no non-empty string field '${field}': ${expected}.`;
  }
}
