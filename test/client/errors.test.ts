import { inspect } from 'node:util';
import { DecryptionFailure, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import { createKeyReader, KeyReaderError, SecretFormatError, SecretReadError } from '../../client';
import { StubSecretsClient } from './support/stub-secrets-client';

const secretId = 'poelis/production';

/** What the reader rejects with when the stub serves this SecretString. */
async function formatErrorFor(secretString: string | undefined): Promise<SecretFormatError> {
  const client = new StubSecretsClient({ versionId: 'v7', secretString });
  const error: unknown = await createKeyReader({ secretId, client })
    .getKey()
    .catch((e: unknown) => e);
  if (!(error instanceof SecretFormatError)) throw new Error(`expected SecretFormatError`);
  return error;
}

/** What the reader rejects with when GetSecretValue fails with this error. */
async function readErrorFor(sdkError: Error): Promise<SecretReadError> {
  const client = StubSecretsClient.withKey('key-a');
  client.failWith(sdkError);
  const error: unknown = await createKeyReader({ secretId, client })
    .getKey()
    .catch((e: unknown) => e);
  if (!(error instanceof SecretReadError)) throw new Error(`expected SecretReadError`);
  return error;
}

/** Everything a log line could show of an error: message, stack, properties, cause. */
const everythingShownOf = (error: Error): string =>
  `${error.stack ?? ''}\n${inspect(error, { depth: 10 })}`;

describe('when GetSecretValue fails', () => {
  it('names a missing secret and says to check the id and region', async () => {
    const sdkError = new ResourceNotFoundException({
      message: "Secrets Manager can't find the specified secret.",
      $metadata: {},
    });
    const error = await readErrorFor(sdkError);

    expect(error).toBeInstanceOf(KeyReaderError);
    expect(error.name).toBe('SecretReadError');
    expect(error.reason).toBe('not-found');
    expect(error.secretId).toBe(secretId);
    expect(error.message).toContain(`'${secretId}' was not found`);
    expect(error.message).toContain('region');
    expect(error.cause).toBe(sdkError);
  });

  it('says which permissions to grant when the read is denied', async () => {
    const denied = Object.assign(new Error('User is not authorized'), {
      name: 'AccessDeniedException',
    });
    const error = await readErrorFor(denied);

    expect(error.reason).toBe('access-denied');
    expect(error.message).toContain('secretsmanager:GetSecretValue');
    expect(error.message).toContain('kms:Decrypt');
  });

  it('points at the KMS key when the secret cannot be decrypted', async () => {
    const error = await readErrorFor(
      new DecryptionFailure({ message: 'KMS key is disabled', $metadata: {} }),
    );

    expect(error.reason).toBe('decryption-failed');
    expect(error.message).toContain('kms:Decrypt');
  });

  it('keeps any other SDK error as the cause', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const error = await readErrorFor(throttled);

    expect(error.reason).toBe('read-failed');
    expect(error.cause).toBe(throttled);
  });
});

describe('when the secret value has the wrong shape', () => {
  it.each([
    ['no-secret-string', undefined, 'binary secrets are not supported'],
    ['not-json', 'poelis_api_abc', 'is not valid JSON'],
    ['not-an-object', '["poelis_api_abc"]', 'is JSON but not an object'],
    ['missing-field', '{"key":"poelis_api_abc"}', "no non-empty string field 'apiKey'"],
    ['missing-field', '{"apiKey":""}', "no non-empty string field 'apiKey'"],
    ['missing-field', '{"apiKey":12345}', "no non-empty string field 'apiKey'"],
  ])('reports %s for %p and says what to store', async (problem, secretString, says) => {
    const error = await formatErrorFor(secretString);

    expect(error.name).toBe('SecretFormatError');
    expect(error.problem).toBe(problem);
    expect(error.versionId).toBe('v7');
    expect(error.message).toContain(`Secret '${secretId}' (version v7)`);
    expect(error.message).toContain(says);
    expect(error.message).toContain("store a JSON object with a non-empty string field 'apiKey'");
    expect(error.cause).toBeUndefined();
  });

  it('never shows any part of a value that is not JSON', async () => {
    // Node's JSON.parse error quotes the text it failed on: the reader must drop it.
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), async (tail) => {
        const value = `poelis_api_${tail}`;
        const error = await formatErrorFor(value);
        expect(everythingShownOf(error)).not.toContain('poelis_api_');
      }),
    );
  });

  it('never shows the value of a JSON secret that lacks the field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), async (tail) => {
        const value = `poelis_api_${tail}`;
        const error = await formatErrorFor(JSON.stringify({ key: value, apiKey: [value] }));
        expect(everythingShownOf(error)).not.toContain('poelis_api_');
      }),
    );
  });
});
