import { ManualClock } from '../../local/aws/types';
import { createKeyReader, DEFAULT_MAX_AGE_MS } from '../../client';
import type { KeyRotation } from '../../client';
import { StubSecretsClient } from './support/stub-secrets-client';

const secretId = 'poelis/production';

function setup(options: { maxAgeMs?: number } = {}) {
  const client = StubSecretsClient.withKey('key-a', 'v1');
  const clock = new ManualClock(0);
  const rotations: KeyRotation[] = [];
  const reader = createKeyReader({
    secretId,
    client,
    now: () => clock.now(),
    onRotate: (rotation) => rotations.push(rotation),
    ...options,
  });
  return { client, clock, reader, rotations };
}

describe('getKey', () => {
  it('reads the apiKey field of AWSCURRENT', async () => {
    const { client, reader } = setup();

    await expect(reader.getKey()).resolves.toBe('key-a');
    expect(client.calls).toEqual([{ SecretId: secretId, VersionStage: 'AWSCURRENT' }]);
    expect(reader.versionId).toBe('v1');
  });

  it('reads another field when told to', async () => {
    const client = new StubSecretsClient({
      versionId: 'v1',
      secretString: JSON.stringify({ apiKey: 'app-key', partnerKey: 'partner-key' }),
    });
    const reader = createKeyReader({ secretId, client, field: 'partnerKey' });

    await expect(reader.getKey()).resolves.toBe('partner-key');
  });

  it('serves the key from memory while it is younger than maxAgeMs', async () => {
    const { client, clock, reader } = setup({ maxAgeMs: 1_000 });
    await reader.getKey();
    client.rotateTo('key-b', 'v2');

    clock.advance(999);
    await expect(reader.getKey()).resolves.toBe('key-a');
    expect(client.calls).toHaveLength(1);
  });

  it('reads again once the key is maxAgeMs old', async () => {
    const { client, clock, reader } = setup({ maxAgeMs: 1_000 });
    await reader.getKey();
    client.rotateTo('key-b', 'v2');

    clock.advance(1_000);
    await expect(reader.getKey()).resolves.toBe('key-b');
    expect(client.calls).toHaveLength(2);
  });

  it('caches for 5 minutes by default', async () => {
    const { client, clock, reader } = setup();
    await reader.getKey();

    clock.advance(DEFAULT_MAX_AGE_MS - 1);
    await reader.getKey();
    expect(client.calls).toHaveLength(1);
    clock.advance(1);
    await reader.getKey();
    expect(client.calls).toHaveLength(2);
    expect(DEFAULT_MAX_AGE_MS).toBe(300_000);
  });

  it('reads on every call when maxAgeMs is 0', async () => {
    const { client, reader } = setup({ maxAgeMs: 0 });
    await reader.getKey();
    await reader.getKey();

    expect(client.calls).toHaveLength(2);
  });

  it('makes one GetSecretValue call for 1,000 concurrent calls on a cold cache', async () => {
    const { client, reader } = setup();
    const release = client.hold();

    const keys = Promise.all(Array.from({ length: 1_000 }, () => reader.getKey()));
    expect(client.calls).toHaveLength(1);
    release();

    expect(new Set(await keys)).toEqual(new Set(['key-a']));
    expect(client.calls).toHaveLength(1);
  });

  it('makes one GetSecretValue call for 1,000 concurrent calls on an expired cache', async () => {
    const { client, clock, reader } = setup({ maxAgeMs: 1_000 });
    await reader.getKey();
    client.rotateTo('key-b', 'v2');
    clock.advance(1_000);

    const keys = await Promise.all(Array.from({ length: 1_000 }, () => reader.getKey()));

    expect(new Set(keys)).toEqual(new Set(['key-b']));
    expect(client.calls).toHaveLength(2);
  });

  it('shares a failed read among its waiters and does not cache the failure', async () => {
    const { client, reader } = setup();
    const failure = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    client.failWith(failure);

    const results = await Promise.allSettled(Array.from({ length: 10 }, () => reader.getKey()));
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(client.calls).toHaveLength(1);

    client.recover();
    await expect(reader.getKey()).resolves.toBe('key-a');
    expect(client.calls).toHaveLength(2);
  });
});

describe('refresh', () => {
  it('reads the secret although the key in memory is fresh', async () => {
    const { client, reader } = setup();
    await reader.getKey();
    client.rotateTo('key-b', 'v2');

    await expect(reader.refresh()).resolves.toBe('key-b');
    await expect(reader.getKey()).resolves.toBe('key-b');
    expect(client.calls).toHaveLength(2);
  });

  it('makes one call for 1,000 concurrent refreshes', async () => {
    const { client, reader } = setup();
    await reader.getKey();

    await Promise.all(Array.from({ length: 1_000 }, () => reader.refresh()));

    expect(client.calls).toHaveLength(2);
  });

  it('reports a new version through versionId and onRotate, but not the first read', async () => {
    const { client, reader, rotations } = setup();
    expect(reader.versionId).toBeUndefined();
    await reader.getKey();
    await reader.refresh();
    expect(rotations).toEqual([]);

    client.rotateTo('key-b', 'v2');
    await reader.refresh();

    expect(reader.versionId).toBe('v2');
    expect(rotations).toEqual([{ secretId, previousVersionId: 'v1', versionId: 'v2' }]);
  });

  it('still hands out the new key when onRotate throws, and warns', async () => {
    const client = StubSecretsClient.withKey('key-a', 'v1');
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const reader = createKeyReader({
      secretId,
      client,
      onRotate: () => {
        throw new Error('observer failed');
      },
    });
    await reader.getKey();
    client.rotateTo('key-b', 'v2');

    await expect(reader.refresh()).resolves.toBe('key-b');
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'observer failed' }),
      'KeyReaderWarning',
    );
    warn.mockRestore();
  });
});

describe('replaceRejectedKey', () => {
  it('re-reads the secret when the rejected key is the one in memory', async () => {
    const { client, reader } = setup();
    await reader.getKey();
    client.rotateTo('key-b', 'v2');

    await expect(reader.replaceRejectedKey('key-a')).resolves.toBe('key-b');
    expect(client.calls).toHaveLength(2);
  });

  it('returns the newer key in memory without a read when the rejected one was replaced', async () => {
    const { client, reader } = setup();
    await reader.getKey();
    client.rotateTo('key-b', 'v2');
    await reader.refresh();

    await expect(reader.replaceRejectedKey('key-a')).resolves.toBe('key-b');
    expect(client.calls).toHaveLength(2);
  });
});

describe('createKeyReader', () => {
  it('rejects an empty secretId and a negative or NaN maxAgeMs', () => {
    const client = StubSecretsClient.withKey('key-a');
    expect(() => createKeyReader({ secretId: '', client })).toThrow(TypeError);
    expect(() => createKeyReader({ secretId, client, maxAgeMs: -1 })).toThrow(RangeError);
    expect(() => createKeyReader({ secretId, client, maxAgeMs: Number.NaN })).toThrow(RangeError);
  });

  it('does not read until the key is asked for', () => {
    const client = StubSecretsClient.withKey('key-a');
    createKeyReader({ secretId, client });
    expect(client.calls).toHaveLength(0);
  });
});
