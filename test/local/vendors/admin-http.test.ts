import {
  startPoelisSimulator,
  startPolytomicSimulator,
  type LedgerEntry,
  type PoelisSimulator,
  type PolytomicSimulator,
} from '../../../local/vendors';
import { fingerprint } from '../../../lambda/shared/fingerprint';
import { adminPost, call } from './http-client';

describe('Polytomic admin over HTTP', () => {
  let sim: PolytomicSimulator;

  beforeEach(async () => {
    sim = await startPolytomicSimulator();
  });

  afterEach(() => sim.close());

  it('creates organizations, users, partner and user keys; reports and revokes them', async () => {
    const org = await adminPost(`${sim.url}/_admin/organizations`, { name: 'Acme' });
    expect(org.status).toBe(200);
    const orgId = (org.json as { id: string; name: string }).id;
    expect(org.json).toEqual({ id: orgId, name: 'Acme' });

    const user = await adminPost(`${sim.url}/_admin/organizations/${orgId}/users`, {
      email: 'svc@acme.test',
      role: 'admin',
    });
    const userId = (user.json as { id: string }).id;
    expect(user.json).toEqual({ id: userId, email: 'svc@acme.test' });

    const partner = await adminPost(`${sim.url}/_admin/partner-keys`);
    const partnerKey = (partner.json as { value: string }).value;
    const issued = await adminPost(`${sim.url}/_admin/organizations/${orgId}/users/${userId}/keys`);
    const userKey = (issued.json as { value: string }).value;
    expect(sim.admin.keyStatus(partnerKey)).toBe('live');

    const live = await call(`${sim.url}/_admin/users/${userId}/live-keys`);
    expect((live.json as LedgerEntry[]).map((entry) => entry.fingerprint)).toEqual([
      fingerprint(userKey),
    ]);

    const status = await adminPost(`${sim.url}/_admin/key-status`, { value: userKey });
    expect(status.json).toEqual({ status: 'live' });
    const revoked = await adminPost(`${sim.url}/_admin/keys/${fingerprint(userKey)}/revoke`);
    expect(revoked.status).toBe(204);
    expect((await adminPost(`${sim.url}/_admin/key-status`, { value: userKey })).json).toEqual({
      status: 'revoked',
    });
    expect(
      (await adminPost(`${sim.url}/_admin/is-issued-key`, { candidate: userKey })).json,
    ).toEqual({
      issued: true,
    });
    expect(
      (await adminPost(`${sim.url}/_admin/is-issued-key`, { candidate: 'other' })).json,
    ).toEqual({ issued: false });

    const ledger = await call(`${sim.url}/_admin/ledger`);
    expect((ledger.json as LedgerEntry[]).map((entry) => [entry.kind, entry.status])).toEqual([
      ['partner', 'live'],
      ['user', 'revoked'],
    ]);
    expect(ledger.text).not.toContain(userKey);
  });

  it('answers admin errors with a status and a message', async () => {
    const unknownOrg = await adminPost(`${sim.url}/_admin/organizations/nope/users`, {
      email: 'a@b.test',
    });
    expect(unknownOrg.status).toBe(404);
    expect(unknownOrg.json).toEqual({ error: expect.stringMatching(/No organization/) as string });
    expect((await adminPost(`${sim.url}/_admin/organizations`, {})).status).toBe(400);
    const badJson = await call(`${sim.url}/_admin/organizations`, { method: 'POST', body: '{' });
    expect(badJson.status).toBe(400);
    expect((await call(`${sim.url}/_admin/nothing`)).status).toBe(404);
    expect((await call(`${sim.url}/_admin/ledger`, { method: 'PUT' })).status).toBe(405);
    expect((await adminPost(`${sim.url}/_admin/keys/ffffffff/revoke`)).status).toBe(404);
  });

  it('arms and clears faults, and reports the request log and route counts', async () => {
    const armed = await adminPost(`${sim.url}/_admin/faults`, {
      kind: 'status',
      status: 503,
      route: '/api/me',
      times: 2,
    });
    expect(armed.status).toBe(204);
    const headers = { 'X-Polytomic-Version': '2025-09-18' };
    expect((await call(`${sim.url}/api/me`, { headers })).status).toBe(503);
    expect((await call(`${sim.url}/_admin/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${sim.url}/api/me`, { headers })).status).toBe(401);
    expect((await adminPost(`${sim.url}/_admin/faults`, { kind: 'explode' })).status).toBe(400);
    expect(
      (await adminPost(`${sim.url}/_admin/faults`, { kind: 'status', times: 'x' })).status,
    ).toBe(400);

    const requests = await call(`${sim.url}/_admin/requests`);
    expect((requests.json as { status: number }[]).map((entry) => entry.status)).toEqual([
      503, 401,
    ]);
    const counts = await call(`${sim.url}/_admin/route-counts`);
    expect(counts.json).toEqual({ 'GET /api/me': 2 });
  });
});

describe('Poelis admin over HTTP', () => {
  let sim: PoelisSimulator;

  beforeEach(async () => {
    sim = await startPoelisSimulator();
  });

  afterEach(() => sim.close());

  it('creates organizations, workspaces and keys; lists and revokes keys', async () => {
    const orgId = (
      (await adminPost(`${sim.url}/_admin/organizations`, { name: 'Acme' })).json as { id: string }
    ).id;
    const workspace = await adminPost(`${sim.url}/_admin/organizations/${orgId}/workspaces`, {
      name: 'Engines',
    });
    expect(workspace.json).toEqual({ id: expect.any(String) as string, name: 'Engines' });
    const created = await adminPost(`${sim.url}/_admin/organizations/${orgId}/keys`, {
      name: 'Production Integration',
    });
    const key = (created.json as { value: string }).value;
    expect(key).toMatch(/^poelis_api_[A-Za-z0-9_-]{43}$/);

    const listed = await call(`${sim.url}/v1/public/workspaces`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect((listed.json as { count: number }).count).toBe(1);

    const keys = await call(`${sim.url}/_admin/organizations/${orgId}/keys`);
    expect((keys.json as LedgerEntry[]).map((entry) => [entry.keyName, entry.status])).toEqual([
      ['Production Integration', 'live'],
    ]);
    const revoked = await adminPost(`${sim.url}/_admin/organizations/${orgId}/keys/revoke`, {
      nameOrFingerprint: 'Production Integration',
    });
    expect(revoked.status).toBe(204);
    expect(sim.admin.keyStatus(key)).toBe('revoked');
    expect((await adminPost(`${sim.url}/_admin/key-status`, { value: key })).json).toEqual({
      status: 'revoked',
    });
    expect(
      (
        await adminPost(`${sim.url}/_admin/organizations/${orgId}/keys/revoke`, {
          nameOrFingerprint: 'Missing',
        })
      ).status,
    ).toBe(404);
  });

  it('does not log admin calls as API requests', async () => {
    await adminPost(`${sim.url}/_admin/organizations`, { name: 'Acme' });
    await call(`${sim.url}/_admin/ledger`);
    expect(sim.requests()).toEqual([]);
    expect(sim.routeCounts()).toEqual({});
  });
});
