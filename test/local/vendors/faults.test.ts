import {
  startPoelisSimulator,
  startPolytomicSimulator,
  type FaultKind,
  type PoelisSimulator,
  type PolytomicSimulator,
} from '../../../local/vendors';
import { call, type CallResult } from './http-client';

const VERSION = '2025-09-18';
const KEYS_ROUTE = '/api/organizations/:org/users/:user/keys';

describe('fault injection', () => {
  let sim: PolytomicSimulator;
  let orgId: string;
  let userId: string;
  let partnerKey: string;
  let userKey: string;

  beforeEach(async () => {
    sim = await startPolytomicSimulator();
    orgId = sim.admin.createOrganization('Acme').id;
    userId = sim.admin.createUser(orgId, 'svc@acme.test').id;
    partnerKey = sim.admin.createPartnerKey();
    userKey = sim.admin.issueUserKey(orgId, userId);
  });

  afterEach(() => sim.close());

  const me = (init: RequestInit = {}): Promise<CallResult> =>
    call(`${sim.url}/api/me`, {
      ...init,
      headers: { 'X-Polytomic-Version': VERSION, Authorization: `Bearer ${userKey}` },
    });

  const reissue = (idempotencyKey?: string): Promise<CallResult> =>
    call(`${sim.url}/api/organizations/${orgId}/users/${userId}/keys?force=true`, {
      method: 'POST',
      headers: {
        'X-Polytomic-Version': VERSION,
        Authorization: `Bearer ${partnerKey}`,
        ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
      },
    });

  it('status: answers the given 5xx in Polytomic’s error shape, once by default', async () => {
    sim.injectFault({ kind: 'status', status: 503 });
    const failed = await me();
    expect(failed.status).toBe(503);
    expect(failed.json).toEqual({ status: 503, message: 'Service Unavailable' });
    expect((await me()).status).toBe(200);
  });

  it('status: defaults to 500 and does not run the operation', async () => {
    sim.injectFault({ kind: 'status', route: KEYS_ROUTE });
    expect((await reissue()).status).toBe(500);
    expect(sim.admin.keyStatus(userKey)).toBe('live');
  });

  it('rate-limit: answers 429 with the given Retry-After', async () => {
    sim.injectFault({ kind: 'rate-limit', retryAfterSeconds: 7 });
    const limited = await me();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.json).toMatchObject({ status: 429 });
  });

  it('reset: destroys the connection before anything happens', async () => {
    sim.injectFault({ kind: 'reset', route: KEYS_ROUTE });
    await expect(reissue()).rejects.toThrow();
    expect(sim.admin.keyStatus(userKey)).toBe('live');
    expect(sim.requests().at(-1)).toMatchObject({ route: KEYS_ROUTE, status: 0 });
  });

  it('commit-then-drop: the key is issued, the caller never sees it, a retry with the same Idempotency-Key replays it', async () => {
    sim.injectFault({ kind: 'commit-then-drop', method: 'POST', route: KEYS_ROUTE });
    await expect(reissue('rotation-token-1')).rejects.toThrow();
    expect(sim.admin.keyStatus(userKey)).toBe('revoked');
    const [orphan] = sim.admin.liveKeysOf(userId);
    expect(orphan).toBeDefined();
    expect(sim.requests().at(-1)).toMatchObject({ route: KEYS_ROUTE, status: 0 });

    const retry = await reissue('rotation-token-1');
    expect(retry.status).toBe(200);
    const value = (retry.json as { data: { value: string } }).data.value;
    expect(sim.isIssuedKey(value)).toBe(true);
    expect(sim.admin.liveKeysOf(userId).map((entry) => entry.sha256)).toEqual([orphan.sha256]);
  });

  it.each<[FaultKind, RegExp, string]>([
    ['malformed-json', /^application\/json/, '{"data": {"value": "'],
    ['empty', /^application\/json/, ''],
    ['html', /^text\/html/, '<!DOCTYPE html>'],
  ])('%s: answers 200 with a body a JSON client cannot use', async (kind, contentType, start) => {
    sim.injectFault({ kind });
    const result = await me();
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(contentType);
    expect(result.text.startsWith(start)).toBe(true);
    expect(result.json).toBeUndefined();
  });

  it('huge: answers a valid JSON body of several MiB', async () => {
    sim.injectFault({ kind: 'huge' });
    const result = await me();
    expect(result.status).toBe(200);
    expect(result.text.length).toBeGreaterThan(8 * 1024 * 1024);
    expect(result.json).toEqual({ padding: expect.any(String) as string });
  });

  it('redirect: answers 302 with the given Location', async () => {
    sim.injectFault({ kind: 'redirect', location: 'https://login.example.invalid/' });
    const result = await me({ redirect: 'manual' });
    expect(result.status).toBe(302);
    expect(result.headers.get('location')).toBe('https://login.example.invalid/');
  });

  it('latency: holds the response back, then answers normally', async () => {
    sim.injectFault({ kind: 'latency', latencyMs: 5_000 });
    await expect(me({ signal: AbortSignal.timeout(100) })).rejects.toThrow();
    sim.injectFault({ kind: 'latency', latencyMs: 20 });
    expect((await me()).status).toBe(200);
  });

  it('latency: concurrent retries with one Idempotency-Key still issue a single key', async () => {
    sim.injectFault({ kind: 'latency', latencyMs: 50, route: KEYS_ROUTE, times: 2 });
    const [first, second] = await Promise.all([
      reissue('rotation-token-2'),
      reissue('rotation-token-2'),
    ]);
    expect(first.status).toBe(200);
    expect(second.json).toEqual(first.json);
    expect(sim.admin.liveKeysOf(userId)).toHaveLength(1);
  });

  it('matches on method and route, hits `times` requests, then stops', async () => {
    sim.injectFault({ kind: 'status', status: 502, method: 'post', route: KEYS_ROUTE, times: 2 });
    expect((await me()).status).toBe(200);
    expect((await reissue()).status).toBe(502);
    expect((await reissue()).status).toBe(502);
    expect((await reissue()).status).toBe(200);
  });

  it('matches a concrete path as well as a pattern', async () => {
    sim.injectFault({ kind: 'status', route: `/api/organizations/${orgId}/users/${userId}/keys` });
    expect((await reissue()).status).toBe(500);
  });

  it('clearFaults disarms everything', async () => {
    sim.injectFault({ kind: 'status', times: 5 });
    sim.clearFaults();
    expect((await me()).status).toBe(200);
  });

  it('rejects invalid fault specs', () => {
    expect(() => sim.injectFault({ kind: 'explode' as FaultKind })).toThrow(/Unknown fault kind/);
    expect(() => sim.injectFault({ kind: 'status', times: 0 })).toThrow(/times/);
    expect(() => sim.injectFault({ kind: 'status', status: 42 })).toThrow(/status/);
  });
});

describe('fault injection on Poelis', () => {
  let sim: PoelisSimulator;
  let key: string;

  beforeEach(async () => {
    sim = await startPoelisSimulator();
    key = sim.admin.createKey(sim.admin.createOrganization('Acme').id, 'Production Integration');
  });

  afterEach(() => sim.close());

  const workspaces = (): Promise<CallResult> =>
    call(`${sim.url}/v1/public/workspaces?limit=1`, {
      headers: { Authorization: `Bearer ${key}` },
    });

  it('words injected errors the Poelis way, with a request id', async () => {
    sim.injectFault({ kind: 'status', status: 500, route: '/v1/public/workspaces' });
    const result = await workspaces();
    expect(result.status).toBe(500);
    expect(result.json).toEqual({ error: 'internal_error', message: 'Internal Server Error' });
    expect(result.headers.get('x-request-id')).toBeTruthy();
  });

  it('reports an injected 429 as an exhausted allowance', async () => {
    sim.injectFault({ kind: 'rate-limit', retryAfterSeconds: 30 });
    const result = await workspaces();
    expect(result.status).toBe(429);
    expect(result.json).toEqual({ error: 'rate_limit_exceeded', message: 'Too many requests' });
    expect(result.headers.get('retry-after')).toBe('30');
    expect(result.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(result.headers.get('x-ratelimit-limit')).toBe('60');
  });

  it('resets connections like the Polytomic simulator does', async () => {
    sim.injectFault({ kind: 'reset' });
    await expect(workspaces()).rejects.toThrow();
    expect((await workspaces()).status).toBe(200);
    expect(sim.requests().map((entry) => entry.status)).toEqual([0, 200]);
  });
});
