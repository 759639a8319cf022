import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { SecretReadError } from './errors';
import type { SecretReadFailure } from './errors';
import { parseKey } from './parse-key';
import type { KeyVersion } from './parse-key';

/** The one call the reader makes; `SecretsManagerClient` satisfies it, and so does a test stub. */
export interface SecretValueClient {
  send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput>;
}

/**
 * Reads the `AWSCURRENT` version of a secret and returns the key held in `field`.
 *
 * @throws {SecretReadError} when GetSecretValue fails (the SDK error is the `cause`).
 * @throws {SecretFormatError} when the value is not a JSON object with the field.
 */
export async function readCurrentKey(
  client: SecretValueClient,
  secretId: string,
  field: string,
): Promise<KeyVersion> {
  let output: GetSecretValueCommandOutput;
  try {
    output = await client.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }),
    );
  } catch (error) {
    throw new SecretReadError(secretId, readFailureOf(error), { cause: error });
  }
  return parseKey(output, secretId, field);
}

/** Maps the SDK's exception names to what the caller has to fix. */
function readFailureOf(error: unknown): SecretReadFailure {
  const name = error instanceof Error ? error.name : undefined;
  switch (name) {
    case 'ResourceNotFoundException':
      return 'not-found';
    case 'AccessDeniedException':
      return 'access-denied';
    case 'DecryptionFailure':
      return 'decryption-failed';
    default:
      return 'read-failed';
  }
}
