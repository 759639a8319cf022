import { ManualClock } from '../../../local/aws/types';
import { startPolytomicSimulator, type PolytomicSimulator } from '../../../local/vendors';
import { fingerprint } from '../../../lambda/shared/fingerprint';
import { call, type CallResult } from './http-client';

const VERSION = '2025-09-18';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Polytomic simulator', () => {
  let sim: PolytomicSimulator;
  let clock: ManualClock;
  let orgId: string;
  let userId: string;
  let partnerKey: string;

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    sim = await startPolytomicSimulator({ clock });
    orgId = sim.admin.createOrganization('Acme').id;
    userId = sim.admin.createUser(orgId, 'svc@acme.test', 'admin').id;
    partnerKey = sim.admin.createPartnerKey();
  });

  afterEach(() => sim.close());

  const me = (key: string | undefined, headers: Record<string, string> = {}): Promise<CallResult> =>
    call(`${sim.url}/api/me`, {
      headers: {
        'X-Polytomic-Version': VERSION,
        ...(key === undefined ? {} : { Authorization: `Bearer ${key}` }),
        ...headers,
      },
    });

  const createKey = (
    key: string,
    options: { org?: string; user?: string; force?: string; idempotencyKey?: string } = {},
  ): Promise<CallResult> => {
    const query = options.force === undefined ? '' : `?force=${options.force}`;
    return call(
      `${sim.url}/api/organizations/${options.org ?? orgId}/users/${options.user ?? userId}/keys${query}`,
      {
        method: 'POST',
        headers: {
          'X-Polytomic-Version': VERSION,
          Authorization: `Bearer ${key}`,
          ...(options.idempotencyKey === undefined
            ? {}
            : { 'Idempotency-Key': options.idempotencyKey }),
        },
      },
    );
  };

  const issuedValue = (result: CallResult): string => {
    expect(result.status).toBe(200);
    const value = (result.json as { data: { value: string } }).data.value;
    expect(value).toMatch(UUID_V4);
    return value;
  };

  describe('GET /api/me', () => {
    it('identifies a user key', async () => {
      const key = sim.admin.issueUserKey(orgId, userId);
      const result = await me(key);
      expect(result.status).toBe(200);
      expect(result.headers.get('x-polytomic-version')).toBe(VERSION);
      expect(result.json).toEqual({
        data: {
          id: userId,
          email: 'svc@acme.test',
          organization_id: orgId,
          organization_name: 'Acme',
          is_user: true,
          is_partner: false,
          is_organization: false,
          is_system: false,
          role: 'admin',
        },
      });
    });

    it('identifies a partner key as a partner, not a user', async () => {
      const result = await me(partnerKey);
      expect(result.status).toBe(200);
      const data = (result.json as { data: Record<string, unknown> }).data;
      expect(data).toMatchObject({ is_partner: true, is_user: false });
      expect(data.id).not.toBe(userId);
      expect(data.organization_id).not.toBe(orgId);
    });

    it.each([
      ['missing', undefined],
      ['malformed', 'not-a-uuid'],
      ['unknown', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'],
    ])('answers 401 with a RestErrResponse for a %s key', async (_case, key) => {
      const result = await me(key);
      expect(result.status).toBe(401);
      expect(result.json).toEqual({
        code: 401,
        status: 'Unauthorized',
        error: expect.any(String) as string,
      });
    });

    it('answers 401 for a non-Bearer Authorization scheme', async () => {
      const key = sim.admin.issueUserKey(orgId, userId);
      const result = await call(`${sim.url}/api/me`, {
        headers: { 'X-Polytomic-Version': VERSION, Authorization: `Basic ${key}` },
      });
      expect(result.status).toBe(401);
    });

    it('answers 401 for a revoked key, and the error never echoes the key', async () => {
      const key = sim.admin.issueUserKey(orgId, userId);
      sim.admin.revokeKey(fingerprint(key));
      const result = await me(key);
      expect(result.status).toBe(401);
      expect(result.text).not.toContain(key);
      expect(sim.admin.keyStatus(key)).toBe('revoked');
    });

    it('rejects a missing X-Polytomic-Version with 400, even for a valid key', async () => {
      const key = sim.admin.issueUserKey(orgId, userId);
      const result = await call(`${sim.url}/api/me`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      expect(result.status).toBe(400);
      expect(result.json).toEqual({
        status: 400,
        message: expect.stringMatching(/X-Polytomic-Version/) as string,
      });
    });

    it('rejects an unsupported version and accepts every documented one', async () => {
      const key = sim.admin.issueUserKey(orgId, userId);
      expect((await me(key, { 'X-Polytomic-Version': '2099-01-01' })).status).toBe(400);
      for (const version of [
        '2025-09-18',
        '2024-02-08',
        '2023-04-25',
        '2022-12-12',
        '2021-05-23',
      ]) {
        const result = await me(key, { 'X-Polytomic-Version': version });
        expect(result.status).toBe(200);
        expect(result.headers.get('x-polytomic-version')).toBe(version);
      }
    });

    it('answers 404 for an unknown path and 405 for the wrong method', async () => {
      const headers = { 'X-Polytomic-Version': VERSION, Authorization: `Bearer ${partnerKey}` };
      const missing = await call(`${sim.url}/api/nothing`, { headers });
      expect(missing.status).toBe(404);
      expect(missing.json).toEqual({ status: 404, message: 'Not Found' });
      const wrongMethod = await call(`${sim.url}/api/me`, { method: 'DELETE', headers });
      expect(wrongMethod.status).toBe(405);
    });
  });

  describe('POST /api/organizations/{org}/users/{id}/keys', () => {
    it('issues a UUID v4 key for a user with none, which then authenticates as that user', async () => {
      const value = issuedValue(await createKey(partnerKey));
      const identity = await me(value);
      expect((identity.json as { data: { id: string } }).data.id).toBe(userId);
      expect(sim.admin.liveKeysOf(userId)).toEqual([
        expect.objectContaining({
          vendor: 'polytomic',
          kind: 'user',
          fingerprint: fingerprint(value),
          organizationId: orgId,
          userId,
          status: 'live',
          issuedAt: '2026-01-01T00:00:00.000Z',
        }),
      ]);
    });

    it('refuses with 409 when the user has a live key and force is false or absent', async () => {
      const existing = sim.admin.issueUserKey(orgId, userId);
      for (const force of ['false', undefined]) {
        const result = await createKey(partnerKey, { force });
        expect(result.status).toBe(409);
        expect(result.json).toEqual({ status: 409, message: expect.any(String) as string });
      }
      expect(sim.admin.keyStatus(existing)).toBe('live');
      expect(sim.admin.liveKeysOf(userId)).toHaveLength(1);
    });

    it('with force=true revokes the existing key first, leaving exactly one live key', async () => {
      const existing = sim.admin.issueUserKey(orgId, userId);
      clock.advance(60_000);
      const value = issuedValue(await createKey(partnerKey, { force: 'true' }));
      expect(sim.admin.keyStatus(existing)).toBe('revoked');
      expect((await me(existing)).status).toBe(401);
      expect((await me(value)).status).toBe(200);
      const old = sim.ledger().find((entry) => entry.fingerprint === fingerprint(existing));
      expect(old).toMatchObject({
        status: 'revoked',
        revokedBy: 'force-reissue',
        revokedAt: '2026-01-01T00:01:00.000Z',
      });
      expect(sim.admin.liveKeysOf(userId).map((entry) => entry.fingerprint)).toEqual([
        fingerprint(value),
      ]);
    });

    it('answers 400 for a force value that is not a boolean', async () => {
      expect((await createKey(partnerKey, { force: 'yes' })).status).toBe(400);
    });

    it('accepts partner keys only: a user key gets 403 and nothing is issued', async () => {
      const userKey = sim.admin.issueUserKey(orgId, userId);
      const result = await createKey(userKey, { force: 'true' });
      expect(result.status).toBe(403);
      expect(sim.admin.liveKeysOf(userId).map((entry) => entry.fingerprint)).toEqual([
        fingerprint(userKey),
      ]);
    });

    it('answers 401 for a revoked partner key', async () => {
      sim.admin.revokeKey(fingerprint(partnerKey));
      expect((await createKey(partnerKey)).status).toBe(401);
    });

    it('answers 404 for an unknown organization, an unknown user, or a user of another org', async () => {
      const otherOrg = sim.admin.createOrganization('Other').id;
      const otherUser = sim.admin.createUser(otherOrg, 'svc@other.test').id;
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const target of [{ org: unknown }, { user: unknown }, { org: orgId, user: otherUser }]) {
        const result = await createKey(partnerKey, target);
        expect(result.status).toBe(404);
        expect(result.json).toEqual({ status: 404, message: expect.any(String) as string });
      }
      expect(sim.ledger().filter((entry) => entry.kind === 'user')).toHaveLength(0);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response without issuing a second key', async () => {
      const first = await createKey(partnerKey, {
        force: 'true',
        idempotencyKey: 'rotation-token-1',
      });
      const second = await createKey(partnerKey, {
        force: 'true',
        idempotencyKey: 'rotation-token-1',
      });
      expect(second.status).toBe(200);
      expect(second.json).toEqual(first.json);
      expect(sim.ledger().filter((entry) => entry.kind === 'user')).toHaveLength(1);
    });

    it('replays error outcomes too', async () => {
      sim.admin.issueUserKey(orgId, userId);
      const first = await createKey(partnerKey, {
        force: 'false',
        idempotencyKey: 'rotation-token-2',
      });
      expect(first.status).toBe(409);
      // Even after the user loses the key, the recorded outcome is what a retry gets.
      sim.admin.revokeKey(sim.admin.liveKeysOf(userId)[0].fingerprint);
      const retry = await createKey(partnerKey, {
        force: 'false',
        idempotencyKey: 'rotation-token-2',
      });
      expect(retry.status).toBe(409);
    });

    it('answers 422 when the same key comes with a different request', async () => {
      await createKey(partnerKey, { force: 'true', idempotencyKey: 'rotation-token-3' });
      const other = await createKey(partnerKey, {
        force: 'false',
        idempotencyKey: 'rotation-token-3',
      });
      expect(other.status).toBe(422);
      expect(sim.ledger().filter((entry) => entry.kind === 'user')).toHaveLength(1);
    });

    it('is scoped per partner key', async () => {
      const secondPartner = sim.admin.createPartnerKey();
      const first = issuedValue(
        await createKey(partnerKey, { force: 'true', idempotencyKey: 'shared-token' }),
      );
      const second = issuedValue(
        await createKey(secondPartner, { force: 'true', idempotencyKey: 'shared-token' }),
      );
      expect(second).not.toBe(first);
      expect(sim.admin.keyStatus(first)).toBe('revoked');
    });

    it('forgets the record after 24 hours', async () => {
      const first = issuedValue(
        await createKey(partnerKey, { force: 'true', idempotencyKey: 'rotation-token-4' }),
      );
      clock.advance(24 * 60 * 60 * 1000 - 1);
      const replay = issuedValue(
        await createKey(partnerKey, { force: 'true', idempotencyKey: 'rotation-token-4' }),
      );
      expect(replay).toBe(first);
      clock.advance(1);
      const fresh = issuedValue(
        await createKey(partnerKey, { force: 'true', idempotencyKey: 'rotation-token-4' }),
      );
      expect(fresh).not.toBe(first);
      expect(sim.admin.keyStatus(first)).toBe('revoked');
      expect(sim.admin.liveKeysOf(userId)).toHaveLength(1);
    });

    it('answers 400 for a key outside Polytomic’s format', async () => {
      expect((await createKey(partnerKey, { idempotencyKey: 'short' })).status).toBe(400);
      expect((await createKey(partnerKey, { idempotencyKey: 'has spaces in it' })).status).toBe(
        400,
      );
      expect(sim.admin.liveKeysOf(userId)).toHaveLength(0);
    });
  });

  describe('admin', () => {
    it('issues a settings-panel key that replaces the user’s live one', () => {
      const first = sim.admin.issueUserKey(orgId, userId);
      const second = sim.admin.issueUserKey(orgId, userId);
      expect(sim.admin.keyStatus(first)).toBe('revoked');
      expect(sim.admin.keyStatus(second)).toBe('live');
      expect(sim.admin.keyStatus('never-issued')).toBe('unknown');
    });

    it('marks admin revocations as such and refuses unknown fingerprints', () => {
      const key = sim.admin.issueUserKey(orgId, userId);
      sim.admin.revokeKey(fingerprint(key));
      expect(sim.ledger().find((entry) => entry.kind === 'user')).toMatchObject({
        status: 'revoked',
        revokedBy: 'admin',
      });
      expect(() => sim.admin.revokeKey('ffffffff')).toThrow(/No key/);
    });

    it('refuses users of unknown organizations and keys for unknown users', () => {
      expect(() => sim.admin.createUser('nope', 'a@b.test')).toThrow(/No organization/);
      expect(() => sim.admin.issueUserKey(orgId, 'nope')).toThrow(/No user/);
    });

    it('keeps hashes and fingerprints in the ledger, never values', () => {
      const key = sim.admin.issueUserKey(orgId, userId);
      const ledgerText = JSON.stringify(sim.ledger());
      expect(ledgerText).not.toContain(key);
      expect(ledgerText).not.toContain(partnerKey);
      expect(
        sim
          .ledger()
          .map((entry) => entry.kind)
          .sort(),
      ).toEqual(['partner', 'user']);
      expect(sim.isIssuedKey(key)).toBe(true);
      expect(sim.isIssuedKey(partnerKey)).toBe(true);
    });
  });

  it('logs every API request by route without credentials, and counts per route', async () => {
    const key = sim.admin.issueUserKey(orgId, userId);
    await me(key);
    await me(undefined);
    await createKey(partnerKey, { force: 'true' });
    const log = sim.requests();
    expect(log.map(({ method, route, status }) => ({ method, route, status }))).toEqual([
      { method: 'GET', route: '/api/me', status: 200 },
      { method: 'GET', route: '/api/me', status: 401 },
      { method: 'POST', route: '/api/organizations/:org/users/:user/keys', status: 200 },
    ]);
    expect(new Set(log.map((entry) => entry.requestId)).size).toBe(3);
    expect(log[0].at).toBe('2026-01-01T00:00:00.000Z');
    expect(JSON.stringify(log)).not.toContain(key);
    expect(sim.routeCounts()).toEqual({
      'GET /api/me': 2,
      'POST /api/organizations/:org/users/:user/keys': 1,
    });
  });
});
