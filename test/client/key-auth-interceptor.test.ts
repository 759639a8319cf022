import { Readable } from 'node:stream';
import { Agent, fetch, request } from 'undici';
import type { Dispatcher } from 'undici';
import { createKeyReader, keyAuthInterceptor, SecretReadError } from '../../client';
import type { KeyAuthInterceptorOptions, KeyReader } from '../../client';
import { startKeyCheckingServer } from './support/key-checking-server';
import type { KeyCheckingServer } from './support/key-checking-server';
import { StubSecretsClient } from './support/stub-secrets-client';

let server: KeyCheckingServer;
let agent: Agent;
let client: StubSecretsClient;
let reader: KeyReader;

beforeEach(async () => {
  server = await startKeyCheckingServer('key-a');
  agent = new Agent();
  client = StubSecretsClient.withKey('key-a', 'v1');
  reader = createKeyReader({ secretId: 'poelis/production', client });
});

afterEach(async () => {
  await agent.close();
  await server.close();
});

function authorizedDispatcher(options?: KeyAuthInterceptorOptions): Dispatcher {
  return agent.compose(keyAuthInterceptor(reader, options));
}

/** The vendor and Secrets Manager both move to key-b after the reader cached key-a. */
async function rotateAfterCaching(): Promise<void> {
  await reader.getKey();
  client.rotateTo('key-b', 'v2');
  server.acceptedKey = 'key-b';
}

it('sends the key as a bearer token and reads the secret once for many requests', async () => {
  const dispatcher = authorizedDispatcher();

  for (let i = 0; i < 3; i += 1) {
    const res = await request(`${server.url}/v1/public/workspaces?limit=1`, { dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  }

  expect(server.requests.map((seen) => seen.authorization)).toEqual(Array(3).fill('Bearer key-a'));
  expect(client.calls).toHaveLength(1);
});

it('keeps the request headers it was given', async () => {
  const res = await request(server.url, {
    dispatcher: authorizedDispatcher(),
    headers: { 'x-polytomic-version': '2025-09-18' },
  });
  await res.body.dump();

  expect(res.statusCode).toBe(200);
  expect(server.requests[0]?.headers).toMatchObject({
    authorization: 'Bearer key-a',
    'x-polytomic-version': '2025-09-18',
  });
});

it('on a 401 after a key change, re-reads the secret and replays a string body', async () => {
  await rotateAfterCaching();

  const res = await request(server.url, {
    dispatcher: authorizedDispatcher(),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"name":"rotation"}',
  });

  expect(res.statusCode).toBe(200);
  await expect(res.body.json()).resolves.toEqual({ ok: true, body: '{"name":"rotation"}' });
  expect(server.requests).toMatchObject([
    { method: 'POST', authorization: 'Bearer key-a', body: '{"name":"rotation"}' },
    { method: 'POST', authorization: 'Bearer key-b', body: '{"name":"rotation"}' },
  ]);
  expect(client.calls).toHaveLength(2);
  expect(reader.versionId).toBe('v2');
});

it('replays a Buffer body', async () => {
  await rotateAfterCaching();

  const res = await request(server.url, {
    dispatcher: authorizedDispatcher(),
    method: 'PUT',
    body: Buffer.from('bytes'),
  });

  expect(res.statusCode).toBe(200);
  await expect(res.body.json()).resolves.toEqual({ ok: true, body: 'bytes' });
});

it('works with fetch as well', async () => {
  await rotateAfterCaching();

  const res = await fetch(`${server.url}/api/me`, { dispatcher: authorizedDispatcher() });

  expect(res.status).toBe(200);
  await expect(res.json()).resolves.toEqual({ ok: true, body: '' });
  expect(server.requests.map((seen) => seen.authorization)).toEqual([
    'Bearer key-a',
    'Bearer key-b',
  ]);
});

it('hands a second 401 to the caller after exactly one retry', async () => {
  server.acceptedKey = 'key-nobody-has';

  const res = await request(server.url, { dispatcher: authorizedDispatcher() });

  expect(res.statusCode).toBe(401);
  await expect(res.body.json()).resolves.toEqual({ error: 'unauthorized', message: 'bad key' });
  expect(server.requests).toHaveLength(2);
  expect(client.calls).toHaveLength(2);
});

it('does not retry a request whose body is a stream', async () => {
  await rotateAfterCaching();

  const res = await request(server.url, {
    dispatcher: authorizedDispatcher(),
    method: 'POST',
    body: Readable.from(['streamed']),
  });
  await res.body.dump();

  expect(res.statusCode).toBe(401);
  expect(server.requests).toHaveLength(1);
});

it('re-reads the secret once for 50 concurrent requests rejected by a rotation', async () => {
  await rotateAfterCaching();
  const dispatcher = authorizedDispatcher();

  const statuses = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const res = await request(server.url, { dispatcher });
      await res.body.dump();
      return res.statusCode;
    }),
  );

  expect(new Set(statuses)).toEqual(new Set([200]));
  expect(client.calls).toHaveLength(2);
});

it.each([
  ['an object', { Authorization: 'Bearer own-key' }],
  ['a flat list', ['accept', '*/*', 'AUTHORIZATION', 'Bearer own-key']],
  ['a Map', new Map([['authorization', 'Bearer own-key']])],
])('leaves a request whose headers (%s) carry Authorization as it is', async (_shape, headers) => {
  const res = await request(server.url, { dispatcher: authorizedDispatcher(), headers });
  await res.body.dump();

  expect(res.statusCode).toBe(401);
  expect(server.requests).toMatchObject([{ method: 'GET', authorization: 'Bearer own-key' }]);
  expect(client.calls).toHaveLength(0);
});

it('sends the key only to the listed origins', async () => {
  const elsewhere = authorizedDispatcher({ origins: ['https://api.poelis.com'] });
  const res = await request(server.url, { dispatcher: elsewhere });
  await res.body.dump();

  expect(res.statusCode).toBe(401);
  expect(server.requests[0]?.authorization).toBeUndefined();
  expect(client.calls).toHaveLength(0);

  const listed = authorizedDispatcher({ origins: [`${server.url}/any/path`] });
  const ok = await request(server.url, { dispatcher: listed });
  await ok.body.dump();
  expect(ok.statusCode).toBe(200);
});

it('fails the request with the reader error, without sending it, when the key cannot be read', async () => {
  client.failWith(
    Object.assign(new Error('no such secret'), { name: 'ResourceNotFoundException' }),
  );

  const failure = request(server.url, { dispatcher: authorizedDispatcher() });

  await expect(failure).rejects.toBeInstanceOf(SecretReadError);
  await expect(failure).rejects.toMatchObject({ reason: 'not-found' });
  expect(server.requests).toHaveLength(0);
});

it('fails the request with the reader error when re-reading after a 401 fails', async () => {
  await reader.getKey();
  server.acceptedKey = 'key-b';
  client.failWith(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

  const failure = request(server.url, { dispatcher: authorizedDispatcher() });

  await expect(failure).rejects.toMatchObject({ name: 'SecretReadError', reason: 'access-denied' });
  expect(server.requests).toHaveLength(1);
});
