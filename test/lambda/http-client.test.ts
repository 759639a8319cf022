import { MockAgent } from 'undici';
import { HttpClient, type HttpClientOptions, type HttpRequest } from '../../lambda/http/client';
import {
  InsecureUrlError,
  OriginNotAllowedError,
  RedirectRefusedError,
  ResponseTooLargeError,
  VendorUnavailableError,
} from '../../lambda/http/errors';
import { bindToProvider, DEFAULT_ALLOWED_ORIGINS } from '../../lambda/http/origin-policy';
import { backoffDelayMs, rateLimitDelayMs } from '../../lambda/http/retry';

const ORIGIN = 'https://api.poelis.com';
const NOW = 1_800_000_000_000;

let agent: MockAgent;
let sleeps: number[];
let clock: number;
let logged: { message: string; attributes: Record<string, unknown> }[];

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  sleeps = [];
  clock = NOW;
  logged = [];
});

afterEach(() => agent.close());

function client(options: Partial<HttpClientOptions> = {}): HttpClient {
  const log = (message: string, attributes: Record<string, unknown>): void => {
    logged.push({ message, attributes });
  };
  return new HttpClient({
    policy: { allowedOrigins: DEFAULT_ALLOWED_ORIGINS, allowLoopbackHttp: false },
    dispatcher: agent,
    log: { info: log, warn: log },
    sleep: (ms) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
    now: () => clock,
    ...options,
  });
}

function get(url: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'GET', url: new URL(url), deadline: NOW + 30_000, ...extra };
}

const pool = () => agent.get(ORIGIN);

describe('where requests may go', () => {
  it.each([
    ['https://169.254.169.254/latest/meta-data/', OriginNotAllowedError],
    ['https://evil.example.com/api/me', OriginNotAllowedError],
    ['https://api.poelis.com:8443/v1', OriginNotAllowedError],
    ['http://api.poelis.com/v1', InsecureUrlError],
    ['http://169.254.169.254/latest/meta-data/', InsecureUrlError],
    ['http://127.0.0.1:4010/v1', InsecureUrlError],
  ])('refuses %s before any request', async (url, errorClass) => {
    await expect(client().request(get(url))).rejects.toThrow(errorClass);
    expect(logged).toHaveLength(0);
  });

  it('lets loopback http through only when enabled and allowlisted', async () => {
    agent.get('http://127.0.0.1:4010').intercept({ path: '/v1' }).reply(200, 'ok');
    const policy = { allowedOrigins: ['http://127.0.0.1:4010'], allowLoopbackHttp: true };
    await expect(
      client({ policy }).request(get('http://127.0.0.1:4010/v1')),
    ).resolves.toMatchObject({ status: 200 });
    await expect(client({ policy }).request(get('http://localhost:4010/v1'))).rejects.toThrow(
      OriginNotAllowedError,
    );
    await expect(
      client({ policy: { ...policy, allowLoopbackHttp: false } }).request(
        get('http://127.0.0.1:4010/v1'),
      ),
    ).rejects.toThrow(InsecureUrlError);
  });

  it('lets a port-less loopback entry allow every port of that host, and nothing else', async () => {
    agent.get('http://127.0.0.1:4011').intercept({ path: '/v1' }).reply(200, 'ok');
    const policy = { allowedOrigins: ['http://127.0.0.1'], allowLoopbackHttp: true };
    await expect(
      client({ policy }).request(get('http://127.0.0.1:4011/v1')),
    ).resolves.toMatchObject({ status: 200 });
    await expect(client({ policy }).request(get('http://localhost:4011/v1'))).rejects.toThrow(
      OriginNotAllowedError,
    );
    // An https entry never widens to other ports.
    await expect(
      client({
        policy: { allowedOrigins: ['https://api.poelis.com'], allowLoopbackHttp: true },
      }).request(get('https://api.poelis.com:8443/v1')),
    ).rejects.toThrow(OriginNotAllowedError);
    await expect(
      client({ policy: { ...policy, allowLoopbackHttp: false } }).request(
        get('http://127.0.0.1:4011/v1'),
      ),
    ).rejects.toThrow(InsecureUrlError);
  });

  it("under a per-provider policy, sends a bound request only to its provider's origins", async () => {
    pool().intercept({ path: '/v1' }).reply(200, '{}');
    const http = client({
      policy: {
        originsByProvider: { poelis: [ORIGIN], polytomic: ['https://app.polytomic.com'] },
        allowLoopbackHttp: false,
      },
    });
    const refused = await bindToProvider(http, 'polytomic')
      .request(get(`${ORIGIN}/v1`))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OriginNotAllowedError);
    expect((refused as Error).message).toContain("not one of polytomic's origins");
    await expect(http.request(get(`${ORIGIN}/v1`))).rejects.toThrow('made for no provider');
    await expect(bindToProvider(http, 'acme').request(get(`${ORIGIN}/v1`))).rejects.toThrow(
      OriginNotAllowedError,
    );
    await expect(
      bindToProvider(http, 'poelis').request(get(`${ORIGIN}/v1`)),
    ).resolves.toMatchObject({ status: 200 });
  });

  it('does not follow redirects', async () => {
    pool()
      .intercept({ path: '/v1' })
      .reply(302, '', { headers: { location: 'https://169.254.169.254/' } });
    const error = await client()
      .request(get(`${ORIGIN}/v1`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedirectRefusedError);
    expect((error as RedirectRefusedError).status).toBe(302);
  });
});

describe('responses', () => {
  it('returns status, body and the vendor request id, and logs the request', async () => {
    pool()
      .intercept({ path: '/v1/public/workspaces?limit=1' })
      .reply(200, '{"items":[]}', {
        headers: { 'x-request-id': 'req-42' },
      });
    const response = await client().request(get(`${ORIGIN}/v1/public/workspaces?limit=1`));
    expect(response).toMatchObject({ status: 200, body: '{"items":[]}', requestId: 'req-42' });
    expect(logged[0]).toMatchObject({
      message: 'vendor request',
      attributes: {
        method: 'GET',
        path: '/v1/public/workspaces',
        status: 200,
        vendorRequestId: 'req-42',
        attempt: 1,
      },
    });
  });

  it('caps the response size', async () => {
    pool().intercept({ path: '/big' }).reply(200, 'x'.repeat(2048));
    await expect(client({ maxResponseBytes: 1024 }).request(get(`${ORIGIN}/big`))).rejects.toThrow(
      ResponseTooLargeError,
    );
  });

  it('returns a 4xx to the caller without retrying', async () => {
    pool().intercept({ path: '/v1' }).reply(401, '{"error":"unauthorized"}');
    await expect(client().request(get(`${ORIGIN}/v1`))).resolves.toMatchObject({ status: 401 });
    expect(sleeps).toEqual([]);
  });
});

describe('retries', () => {
  it('retries 5xx with jittered exponential backoff', async () => {
    pool().intercept({ path: '/v1' }).reply(500, 'oops');
    pool().intercept({ path: '/v1' }).reply(503, 'busy');
    pool().intercept({ path: '/v1' }).reply(200, 'ok');
    await expect(client().request(get(`${ORIGIN}/v1`))).resolves.toMatchObject({
      status: 200,
      body: 'ok',
    });
    expect(sleeps).toEqual([100, 200]);
  });

  it('retries a connection reset', async () => {
    pool()
      .intercept({ path: '/v1' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    pool().intercept({ path: '/v1' }).reply(200, 'ok');
    await expect(client().request(get(`${ORIGIN}/v1`))).resolves.toMatchObject({ status: 200 });
    expect(sleeps).toHaveLength(1);
  });

  it('gives up after the attempt limit with a VendorUnavailableError', async () => {
    pool().intercept({ path: '/v1' }).reply(502, 'bad').times(3);
    const error = await client({ maxAttempts: 3 })
      .request(get(`${ORIGIN}/v1`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VendorUnavailableError);
    expect((error as VendorUnavailableError).status).toBe(502);
    expect(sleeps).toHaveLength(2);
  });

  it('honours Retry-After on 429', async () => {
    pool()
      .intercept({ path: '/v1' })
      .reply(429, 'slow down', { headers: { 'retry-after': '3' } });
    pool().intercept({ path: '/v1' }).reply(200, 'ok');
    await client().request(get(`${ORIGIN}/v1`));
    expect(sleeps).toEqual([3000 + 100]);
  });

  it('honours X-RateLimit-Reset (epoch seconds) on 429', async () => {
    const reset = String((NOW + 5000) / 1000);
    pool()
      .intercept({ path: '/v1' })
      .reply(429, 'slow down', { headers: { 'x-ratelimit-reset': reset } });
    pool().intercept({ path: '/v1' }).reply(200, 'ok');
    await client().request(get(`${ORIGIN}/v1`));
    expect(sleeps).toEqual([5000 + 100]);
  });

  it('keeps retrying 429s past the attempt limit while the deadline allows', async () => {
    pool()
      .intercept({ path: '/v1' })
      .reply(429, 'slow down', { headers: { 'retry-after': '0' } })
      .times(6);
    pool().intercept({ path: '/v1' }).reply(200, 'ok');
    await expect(client({ maxAttempts: 4 }).request(get(`${ORIGIN}/v1`))).resolves.toMatchObject({
      status: 200,
    });
    expect(sleeps).toEqual([100, 200, 400, 800, 1600, 2500]);
    expect(logged.filter((entry) => entry.message === 'vendor request')).toHaveLength(7);
  });

  it('stops retrying 429s at the deadline', async () => {
    const deadline = NOW + 10_000;
    pool()
      .intercept({ path: '/v1' })
      .reply(429, 'slow down', { headers: { 'retry-after': '1' } })
      .persist();
    const error = await client({ maxAttempts: 2 })
      .request(get(`${ORIGIN}/v1`, { deadline }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VendorUnavailableError);
    expect((error as VendorUnavailableError).status).toBe(429);
    expect((error as Error).message).toContain('would not finish before the function times out');
    expect(sleeps.length).toBeGreaterThan(2);
    expect(clock).toBeLessThanOrEqual(deadline);
  });

  it('still caps 5xx after rate limiting', async () => {
    pool()
      .intercept({ path: '/v1' })
      .reply(429, 'slow down', { headers: { 'retry-after': '0' } })
      .times(3);
    pool().intercept({ path: '/v1' }).reply(502, 'bad').times(2);
    const error = await client({ maxAttempts: 2 })
      .request(get(`${ORIGIN}/v1`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VendorUnavailableError);
    expect((error as VendorUnavailableError).status).toBe(502);
    expect(sleeps).toHaveLength(4);
  });

  it('never waits past the deadline', async () => {
    pool()
      .intercept({ path: '/v1' })
      .reply(429, 'slow down', { headers: { 'retry-after': '60' } });
    const error = await client()
      .request(get(`${ORIGIN}/v1`, { deadline: NOW + 10_000 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VendorUnavailableError);
    expect((error as Error).message).toContain('would not finish before the function times out');
    expect(sleeps).toEqual([]);
  });

  it('does not start an attempt when no time is left', async () => {
    await expect(client().request(get(`${ORIGIN}/v1`, { deadline: NOW + 100 }))).rejects.toThrow(
      /no time left/,
    );
  });

  it('does not retry a POST without an Idempotency-Key', async () => {
    pool().intercept({ path: '/keys', method: 'POST' }).reply(503, 'busy');
    await expect(
      client().request({ method: 'POST', url: new URL(`${ORIGIN}/keys`), deadline: NOW + 30_000 }),
    ).rejects.toThrow(VendorUnavailableError);
    expect(sleeps).toEqual([]);
  });

  it('retries a POST that carries an Idempotency-Key', async () => {
    pool().intercept({ path: '/keys', method: 'POST' }).reply(503, 'busy');
    pool().intercept({ path: '/keys', method: 'POST' }).reply(200, '{}');
    const response = await client().request({
      method: 'POST',
      url: new URL(`${ORIGIN}/keys`),
      headers: { 'Idempotency-Key': 'token-1' },
      deadline: NOW + 30_000,
    });
    expect(response.status).toBe(200);
  });

  it('bounds each attempt by the time left', async () => {
    pool().intercept({ path: '/slow' }).reply(200, 'late').delay(5_000);
    const realClock = client({ now: Date.now, maxAttempts: 1 });
    await expect(
      realClock.request({
        method: 'GET',
        url: new URL(`${ORIGIN}/slow`),
        deadline: Date.now() + 300,
      }),
    ).rejects.toThrow(VendorUnavailableError);
  });
});

describe('retry arithmetic', () => {
  it('keeps backoff within the exponential ceiling', () => {
    expect(backoffDelayMs(1, () => 0.999)).toBeLessThan(200);
    expect(backoffDelayMs(3, () => 0.999)).toBeLessThan(800);
    expect(backoffDelayMs(20, () => 0.999)).toBeLessThan(5000);
    expect(backoffDelayMs(3, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or an HTTP date, and X-RateLimit-Reset as delta or epoch', () => {
    expect(rateLimitDelayMs({ 'retry-after': '2' }, NOW)).toBe(2000);
    expect(rateLimitDelayMs({ 'retry-after': new Date(NOW + 4000).toUTCString() }, NOW)).toBe(4000);
    expect(rateLimitDelayMs({ 'x-ratelimit-reset': '7' }, NOW)).toBe(7000);
    expect(rateLimitDelayMs({ 'x-ratelimit-reset': String(NOW / 1000 + 9) }, NOW)).toBe(9000);
    expect(rateLimitDelayMs({}, NOW)).toBeUndefined();
  });
});
