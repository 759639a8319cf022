import type { GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { SecretFormatError } from './errors';

/** One version of the key, as read from the secret. */
export interface KeyVersion {
  /** The key value. Never log it. */
  readonly key: string;
  /** The secret version it came from; absent only if the service omits it. */
  readonly versionId: string | undefined;
}

/**
 * Takes the key out of a GetSecretValue response whose SecretString is a JSON object.
 *
 * @throws {SecretFormatError} when there is no SecretString, it is not a JSON object, or
 *   `field` is missing, empty or not a string.
 */
export function parseKey(
  output: Pick<GetSecretValueCommandOutput, 'SecretString' | 'VersionId'>,
  secretId: string,
  field: string,
): KeyVersion {
  const versionId = output.VersionId;
  const fail = (problem: SecretFormatError['problem']): SecretFormatError =>
    new SecretFormatError(secretId, problem, field, versionId);

  if (typeof output.SecretString !== 'string') throw fail('no-secret-string');
  const document = parseJson(output.SecretString);
  if (document === undefined) throw fail('not-json');
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw fail('not-an-object');
  }
  const key: unknown = (document as Record<string, unknown>)[field];
  if (typeof key !== 'string' || key.length === 0) throw fail('missing-field');
  return { key, versionId };
}

/** `undefined` when the text is not JSON; the parser's message is dropped because it quotes the text. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
