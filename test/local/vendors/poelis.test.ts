import { ManualClock } from '../../../local/aws/types';
import { startPoelisSimulator, type PoelisSimulator } from '../../../local/vendors';
import { fingerprint } from '../../../lambda/shared/fingerprint';
import { call, type CallResult } from './http-client';

const START = Date.parse('2026-01-01T00:00:00Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface WorkspaceList {
  items: { id: string; readable_id: string; name: string }[];
  count: number;
}

describe('Poelis simulator', () => {
  let sim: PoelisSimulator;
  let clock: ManualClock;
  let orgId: string;

  const workspaces = (key: string | undefined, query = '?limit=1'): Promise<CallResult> =>
    call(`${sim.url}/v1/public/workspaces${query}`, {
      headers: key === undefined ? {} : { Authorization: `Bearer ${key}` },
    });

  afterEach(() => sim.close());

  describe('keys, workspaces and auth', () => {
    beforeEach(async () => {
      clock = new ManualClock(START);
      sim = await startPoelisSimulator({ clock });
      orgId = sim.admin.createOrganization('Acme').id;
      sim.admin.createWorkspace(orgId, 'Engines');
      sim.admin.createWorkspace(orgId, 'Blades');
    });

    it('issues poelis_api_ keys of 43 url-safe base64 characters, recorded by name', () => {
      const key = sim.admin.createKey(orgId, 'Production Integration');
      expect(key).toMatch(/^poelis_api_[A-Za-z0-9_-]{43}$/);
      expect(sim.admin.listKeys(orgId)).toEqual([
        {
          vendor: 'poelis',
          kind: 'organization',
          fingerprint: fingerprint(key),
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
          organizationId: orgId,
          keyName: 'Production Integration',
          status: 'live',
          issuedAt: '2026-01-01T00:00:00.000Z',
        },
      ]);
      expect(JSON.stringify(sim.ledger())).not.toContain(key);
    });

    it('lists the organization’s workspaces with items and count, honouring limit and offset', async () => {
      const key = sim.admin.createKey(orgId, 'Production Integration');
      const first = await workspaces(key);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toMatch(/^application\/json/);
      const body = first.json as WorkspaceList;
      expect(body.count).toBe(1);
      expect(body.items).toEqual([
        { id: expect.stringMatching(UUID) as string, readable_id: 'ws-001', name: 'Engines' },
      ]);
      const all = (await workspaces(key, '')).json as WorkspaceList;
      expect(all.items.map((item) => item.name)).toEqual(['Engines', 'Blades']);
      const second = (await workspaces(key, '?limit=1&offset=1')).json as WorkspaceList;
      expect(second.items.map((item) => item.name)).toEqual(['Blades']);
      const past = (await workspaces(key, '?offset=5')).json as WorkspaceList;
      expect(past).toEqual({ items: [], count: 0 });
    });

    it('answers 422 validation_error for a limit outside 1..200', async () => {
      const key = sim.admin.createKey(orgId, 'Production Integration');
      for (const query of ['?limit=0', '?limit=201', '?limit=abc', '?offset=-1']) {
        const result = await workspaces(key, query);
        expect(result.status).toBe(422);
        expect(result.json).toMatchObject({ error: 'validation_error' });
      }
    });

    it('scopes keys to their organization', async () => {
      const otherOrg = sim.admin.createOrganization('Other').id;
      sim.admin.createWorkspace(otherOrg, 'Secret project');
      const otherKey = sim.admin.createKey(otherOrg, 'Other key');
      const body = (await workspaces(otherKey, '')).json as WorkspaceList;
      expect(body.items.map((item) => item.name)).toEqual(['Secret project']);
    });

    it.each([
      ['missing', undefined],
      ['malformed', 'not-a-poelis-key'],
      ['unknown', `poelis_api_${'A'.repeat(43)}`],
    ])('answers 401 unauthorized for a %s key', async (_case, key) => {
      const result = await workspaces(key);
      expect(result.status).toBe(401);
      expect(result.json).toEqual({ error: 'unauthorized', message: expect.any(String) as string });
    });

    it('answers 401 for a key revoked by name or by fingerprint, without echoing it', async () => {
      const byName = sim.admin.createKey(orgId, 'CI/CD Pipeline');
      const byFingerprint = sim.admin.createKey(orgId, 'Monitoring');
      expect((await workspaces(byName)).status).toBe(200);
      clock.advance(5_000);
      sim.admin.revokeKey(orgId, 'CI/CD Pipeline');
      sim.admin.revokeKey(orgId, fingerprint(byFingerprint));
      for (const key of [byName, byFingerprint]) {
        const result = await workspaces(key);
        expect(result.status).toBe(401);
        expect(result.text).not.toContain(key);
        expect(sim.admin.keyStatus(key)).toBe('revoked');
      }
      expect(sim.admin.listKeys(orgId)).toEqual([
        expect.objectContaining({
          keyName: 'CI/CD Pipeline',
          status: 'revoked',
          revokedBy: 'admin',
          revokedAt: '2026-01-01T00:00:05.000Z',
        }),
        expect.objectContaining({ keyName: 'Monitoring', status: 'revoked', revokedBy: 'admin' }),
      ]);
    });

    it('refuses ambiguous or unknown revocations and keys for unknown organizations', () => {
      sim.admin.createKey(orgId, 'Same name');
      sim.admin.createKey(orgId, 'Same name');
      expect(() => sim.admin.revokeKey(orgId, 'Same name')).toThrow(/2 live keys/);
      expect(() => sim.admin.revokeKey(orgId, 'No such key')).toThrow(/No key/);
      expect(() => sim.admin.createKey('nope', 'x')).toThrow(/No organization/);
      expect(() => sim.admin.listKeys('nope')).toThrow(/No organization/);
      expect(sim.admin.keyStatus('poelis_api_never')).toBe('unknown');
    });

    it('puts X-Request-ID and rate-limit headers on every response, success or error', async () => {
      const key = sim.admin.createKey(orgId, 'Production Integration');
      const results = [
        await workspaces(key),
        await workspaces(undefined),
        await call(`${sim.url}/v1/public/nothing`, { headers: { Authorization: `Bearer ${key}` } }),
        await call(`${sim.url}/v1/public/workspaces`, {
          method: 'DELETE',
          headers: { Authorization: `Bearer ${key}` },
        }),
      ];
      expect(results.map((result) => result.status)).toEqual([200, 401, 404, 405]);
      for (const result of results) {
        expect(result.headers.get('x-request-id')).toMatch(UUID);
        expect(result.headers.get('x-ratelimit-limit')).toBe('60');
        expect(result.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
        expect(result.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
      }
      expect(results[2].json).toEqual({
        error: 'not_found',
        message: expect.any(String) as string,
      });
      expect(results[3].json).toEqual({
        error: 'method_not_allowed',
        message: 'Method Not Allowed',
      });
      const ids = sim.requests().map((entry) => entry.requestId);
      expect(ids).toEqual(results.map((result) => result.headers.get('x-request-id')));
    });
  });

  describe('rate limit (token bucket per organization)', () => {
    // 6 per minute (one token every 10 s) plus a burst of 2: 8 requests back to back.
    beforeEach(async () => {
      clock = new ManualClock(START);
      sim = await startPoelisSimulator({ clock, rateLimit: { perMinute: 6, burst: 2 } });
      orgId = sim.admin.createOrganization('Acme').id;
    });

    it('allows perMinute + burst requests at once, then 429 with Retry-After', async () => {
      const key = sim.admin.createKey(orgId, 'Production Integration');
      const remaining: string[] = [];
      for (let i = 0; i < 8; i++) {
        const result = await workspaces(key);
        expect(result.status).toBe(200);
        remaining.push(result.headers.get('x-ratelimit-remaining') ?? '');
      }
      expect(remaining).toEqual(['6', '6', '5', '4', '3', '2', '1', '0']);
      const limited = await workspaces(key);
      expect(limited.status).toBe(429);
      expect(limited.json).toEqual({ error: 'rate_limit_exceeded', message: 'Too many requests' });
      expect(limited.headers.get('retry-after')).toBe('10');
      expect(limited.headers.get('x-ratelimit-limit')).toBe('6');
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      // Full again after 8 tokens at one per 10 s.
      expect(limited.headers.get('x-ratelimit-reset')).toBe(String(START / 1000 + 80));
      expect(limited.headers.get('x-request-id')).toMatch(UUID);
    });

    it('refills with time: one request per 10 s, Retry-After shrinking as time passes', async () => {
      const key = sim.admin.createKey(orgId, 'Production Integration');
      for (let i = 0; i < 8; i++) await workspaces(key);
      clock.advance(4_000);
      const early = await workspaces(key);
      expect(early.status).toBe(429);
      expect(early.headers.get('retry-after')).toBe('6');
      clock.advance(6_000);
      expect((await workspaces(key)).status).toBe(200);
      expect((await workspaces(key)).status).toBe(429);
      clock.advance(80_000);
      const refilled = await workspaces(key);
      expect(refilled.status).toBe(200);
      expect(refilled.headers.get('x-ratelimit-remaining')).toBe('6');
    });

    it('counts per organization: keys of one org share a bucket, other orgs are unaffected', async () => {
      const first = sim.admin.createKey(orgId, 'First');
      const second = sim.admin.createKey(orgId, 'Second');
      for (let i = 0; i < 4; i++) await workspaces(first);
      for (let i = 0; i < 4; i++) await workspaces(second);
      expect((await workspaces(first)).status).toBe(429);
      expect((await workspaces(second)).status).toBe(429);
      const otherOrg = sim.admin.createOrganization('Other').id;
      expect((await workspaces(sim.admin.createKey(otherOrg, 'Other'))).status).toBe(200);
    });

    it('limits callers without a valid key in their own shared bucket', async () => {
      for (let i = 0; i < 8; i++) expect((await workspaces('bogus')).status).toBe(401);
      expect((await workspaces('bogus')).status).toBe(429);
      expect((await workspaces(sim.admin.createKey(orgId, 'Valid'))).status).toBe(200);
    });
  });
});
