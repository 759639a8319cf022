import { createKeyReader, KeyReaderError, KeyRejectedError } from '../../client';
import { StubSecretsClient } from './support/stub-secrets-client';

const secretId = 'poelis/production';

/** A vendor that accepts one key at a time, as a function `withKey` can call. */
class FakeVendor {
  public readonly keysSeen: string[] = [];
  public constructor(public acceptedKey: string) {}

  /** Throws the way many HTTP clients do: an error with a status. */
  public async callThrowing(key: string): Promise<string> {
    this.keysSeen.push(key);
    await Promise.resolve();
    if (key !== this.acceptedKey) throw Object.assign(new Error('Unauthorized'), { status: 401 });
    return 'ok';
  }
}

function setup() {
  const client = StubSecretsClient.withKey('key-a', 'v1');
  const reader = createKeyReader({ secretId, client });
  const vendor = new FakeVendor('key-a');
  return { client, reader, vendor };
}

/** The key moves on in Secrets Manager and at the vendor, after the reader cached the old one. */
async function rotateAfterCaching({ client, reader, vendor }: ReturnType<typeof setup>) {
  await reader.getKey();
  client.rotateTo('key-b', 'v2');
  vendor.acceptedKey = 'key-b';
}

it('calls fn with the current key and returns its result', async () => {
  const { client, reader, vendor } = setup();

  await expect(reader.withKey((key) => vendor.callThrowing(key))).resolves.toBe('ok');
  expect(vendor.keysSeen).toEqual(['key-a']);
  expect(client.calls).toHaveLength(1);
});

it('re-reads the secret once and retries once when fn throws a 401', async () => {
  const world = setup();
  await rotateAfterCaching(world);

  await expect(world.reader.withKey((key) => world.vendor.callThrowing(key))).resolves.toBe('ok');
  expect(world.vendor.keysSeen).toEqual(['key-a', 'key-b']);
  expect(world.client.calls).toHaveLength(2);
  expect(world.reader.versionId).toBe('v2');
});

it.each([
  ['thrown { statusCode: 401 }', { statusCode: 401 }],
  ['thrown { response: { status: 401 } }', { response: { status: 401 } }],
  ['thrown { response: { statusCode: 401 } }', { response: { statusCode: 401 } }],
])('recognises a %s', async (_label, rejection) => {
  const world = setup();
  await rotateAfterCaching(world);

  const result = await world.reader.withKey((key) =>
    key === 'key-a'
      ? Promise.reject(Object.assign(new Error('denied'), rejection))
      : Promise.resolve(key),
  );

  expect(result).toBe('key-b');
});

it('retries on a returned 401 Response and cancels its body', async () => {
  const world = setup();
  await rotateAfterCaching(world);
  let cancelled = false;

  const response = await world.reader.withKey((key) => {
    if (key === 'key-b') return Promise.resolve(new Response('fine', { status: 200 }));
    const body = new ReadableStream({ cancel: () => void (cancelled = true) });
    return Promise.resolve(new Response(body, { status: 401 }));
  });

  expect(response.status).toBe(200);
  await expect(response.text()).resolves.toBe('fine');
  expect(cancelled).toBe(true);
});

it('rejects with KeyRejectedError, naming no key, when the retry gets a 401 too', async () => {
  const { client, reader, vendor } = setup();
  vendor.acceptedKey = 'key-nobody-has';

  const error: unknown = await reader
    .withKey((key) => vendor.callThrowing(key))
    .catch((e: unknown) => e);

  expect(error).toBeInstanceOf(KeyRejectedError);
  expect(error).toBeInstanceOf(KeyReaderError);
  const rejected = error as KeyRejectedError;
  expect(rejected.name).toBe('KeyRejectedError');
  expect(rejected.versionId).toBe('v1');
  expect(rejected.message).toContain(`secret '${secretId}' (version v1)`);
  expect(rejected.message).not.toContain('key-a');
  expect(rejected.cause).toBeUndefined();
  expect(vendor.keysSeen).toEqual(['key-a', 'key-a']);
  expect(client.calls).toHaveLength(2);
});

it('rejects with KeyRejectedError when the retry returns a 401 response', async () => {
  const { reader } = setup();

  await expect(reader.withKey(() => Promise.resolve({ status: 401 }))).rejects.toThrow(
    KeyRejectedError,
  );
});

it('passes other failures through without retrying', async () => {
  const { client, reader } = setup();
  let calls = 0;
  const serverError = Object.assign(new Error('Internal Server Error'), { status: 500 });

  await expect(
    reader.withKey(() => {
      calls += 1;
      return Promise.reject(serverError);
    }),
  ).rejects.toBe(serverError);
  expect(calls).toBe(1);
  expect(client.calls).toHaveLength(1);
});

it('re-reads the secret once for 1,000 concurrent calls rejected by a rotation', async () => {
  const world = setup();
  await rotateAfterCaching(world);

  const results = await Promise.all(
    Array.from({ length: 1_000 }, () =>
      world.reader.withKey((key) => world.vendor.callThrowing(key)),
    ),
  );

  expect(new Set(results)).toEqual(new Set(['ok']));
  expect(world.client.calls).toHaveLength(2);
});
