/**
 * The Polytomic simulator's partner endpoints, with the shapes of Polytomic's public API clients:
 * `GET|POST /api/organizations` (`{"data": Organization[] | Organization}`) and
 * `GET|POST /api/organizations/{org_id}/users` (`{email, role}` in, `{"data": User}` out), for
 * partner keys only, with Idempotency-Key replays.
 */
import { startPolytomicSimulator, type PolytomicSimulator } from '../../../local/vendors';
import { call, type CallResult } from './http-client';

const VERSION = '2025-09-18';

let sim: PolytomicSimulator;
let partnerKey: string;

beforeEach(async () => {
  sim = await startPolytomicSimulator();
  partnerKey = sim.admin.createPartnerKey();
});

afterEach(() => sim.close());

function api(
  method: 'GET' | 'POST',
  path: string,
  options: { key?: string; body?: unknown; idempotencyKey?: string } = {},
): Promise<CallResult> {
  return call(`${sim.url}${path}`, {
    method,
    headers: {
      'X-Polytomic-Version': VERSION,
      Authorization: `Bearer ${options.key ?? partnerKey}`,
      'Content-Type': 'application/json',
      ...(options.idempotencyKey === undefined
        ? {}
        : { 'Idempotency-Key': options.idempotencyKey }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
}

const data = <T>(result: CallResult): T => (result.json as { data: T }).data;

describe('organizations', () => {
  it('creates an organization and lists it', async () => {
    const created = await api('POST', '/api/organizations', { body: { name: 'Acme' } });
    expect(created.status).toBe(200);
    const organization = data<{ id: string; name: string }>(created);
    expect(organization).toEqual({ id: expect.any(String) as string, name: 'Acme' });
    const listed = await api('GET', '/api/organizations');
    expect(data<unknown[]>(listed)).toEqual([organization]);
  });

  it('refuses a name already in use (409) and a missing name (422)', async () => {
    await api('POST', '/api/organizations', { body: { name: 'Acme' } });
    expect((await api('POST', '/api/organizations', { body: { name: 'Acme' } })).status).toBe(409);
    expect((await api('POST', '/api/organizations', { body: {} })).status).toBe(422);
  });

  it('replays a create with the same Idempotency-Key, and refuses the key for another body', async () => {
    const first = await api('POST', '/api/organizations', {
      body: { name: 'Acme' },
      idempotencyKey: 'onboard-organization-1',
    });
    const again = await api('POST', '/api/organizations', {
      body: { name: 'Acme' },
      idempotencyKey: 'onboard-organization-1',
    });
    expect(again.status).toBe(200);
    expect(data<{ id: string }>(again).id).toBe(data<{ id: string }>(first).id);
    expect(data<unknown[]>(await api('GET', '/api/organizations'))).toHaveLength(1);
    const other = await api('POST', '/api/organizations', {
      body: { name: 'Other' },
      idempotencyKey: 'onboard-organization-1',
    });
    expect(other.status).toBe(422);
  });
});

describe('users', () => {
  let orgId: string;

  beforeEach(async () => {
    orgId = data<{ id: string }>(
      await api('POST', '/api/organizations', { body: { name: 'Acme' } }),
    ).id;
  });

  it('creates a user with a role and lists it', async () => {
    const created = await api('POST', `/api/organizations/${orgId}/users`, {
      body: { email: 'svc@acme.test', role: 'viewer' },
    });
    expect(created.status).toBe(200);
    const user = data<Record<string, string>>(created);
    expect(user).toEqual({
      id: expect.any(String) as string,
      email: 'svc@acme.test',
      organization_id: orgId,
      role: 'viewer',
    });
    expect(data<unknown[]>(await api('GET', `/api/organizations/${orgId}/users`))).toEqual([user]);
  });

  it('defaults the role to admin, as the documented example answers', async () => {
    const created = await api('POST', `/api/organizations/${orgId}/users`, {
      body: { email: 'svc@acme.test' },
    });
    expect(data<{ role: string }>(created).role).toBe('admin');
  });

  it('refuses an email in use here or in another organization (409), a bad email or role (422)', async () => {
    const other = sim.admin.createOrganization('Other');
    sim.admin.createUser(other.id, 'taken@acme.test');
    const post = (body: unknown): Promise<CallResult> =>
      api('POST', `/api/organizations/${orgId}/users`, { body });
    expect((await post({ email: 'Taken@acme.test' })).status).toBe(409);
    await post({ email: 'mine@acme.test' });
    expect((await post({ email: 'mine@acme.test' })).status).toBe(409);
    expect((await post({ email: 'not-an-email' })).status).toBe(422);
    expect((await post({ email: 'x@acme.test', role: 'root' })).status).toBe(422);
  });

  it('answers 404 for an unknown organization', async () => {
    expect((await api('GET', '/api/organizations/nope/users')).status).toBe(404);
    const created = await api('POST', '/api/organizations/nope/users', {
      body: { email: 'svc@acme.test' },
    });
    expect(created.status).toBe(404);
  });
});

describe('authorization', () => {
  it('accepts partner keys only: a user key gets 403, an unknown key 401', async () => {
    const org = sim.admin.createOrganization('Acme');
    const user = sim.admin.createUser(org.id, 'svc@acme.test');
    const userKey = sim.admin.issueUserKey(org.id, user.id);
    for (const [method, path] of [
      ['GET', '/api/organizations'],
      ['POST', '/api/organizations'],
      ['GET', `/api/organizations/${org.id}/users`],
      ['POST', `/api/organizations/${org.id}/users`],
    ] as const) {
      const body = method === 'POST' ? { name: 'X', email: 'x@acme.test' } : undefined;
      expect((await api(method, path, { key: userKey, body })).status).toBe(403);
      expect(
        (await api(method, path, { key: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', body })).status,
      ).toBe(401);
    }
  });
});
