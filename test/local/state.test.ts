/**
 * `npm run local -- --state FILE` from a fresh clone: the folder is created, Ctrl-C exits cleanly,
 * and a world restarted from the file answers at the same URLs with the same stack, secrets and
 * vendor accounts — the keys it issued still authenticate, the ones it revoked stay revoked.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startLocalWorldProcess, type LocalWorldLine } from './support/local-process';

const POELIS_SECRET = 'api-key-rotator/poelis/production';
const POLYTOMIC_VERSION = { 'X-Polytomic-Version': '2025-09-18' };

/** A JSON call to a simulator's `/_admin` (or API) route. */
async function call<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

const post = <T>(url: string, body: unknown = {}): Promise<T> =>
  call<T>(url, { method: 'POST', body: JSON.stringify(body) });

function clientAs(world: LocalWorldLine, session: string): SecretsManagerClient {
  const credentials = world.sessions[session];
  if (credentials === undefined) throw new Error(`npm run local printed no ${session} session`);
  return new SecretsManagerClient({ endpoint: world.aws, region: 'us-east-1', credentials });
}

/** The status a vendor answers for `key` on its identity route. */
async function identityStatus(
  vendor: 'polytomic' | 'poelis',
  world: LocalWorldLine,
  key: string,
): Promise<number> {
  const url =
    vendor === 'polytomic' ? `${world.polytomic}/api/me` : `${world.poelis}/v1/public/workspaces`;
  const headers = {
    Authorization: `Bearer ${key}`,
    ...(vendor === 'polytomic' ? POLYTOMIC_VERSION : {}),
  };
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  return response.status;
}

describe('npm run local -- --state FILE', () => {
  const folder = mkdtempSync(join(tmpdir(), 'local-state-test-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  test('a restarted world accepts the keys it issued and the key its secret stores', async () => {
    const statePath = join(folder, 'not', 'yet', 'world.json');
    const first = await startLocalWorldProcess(['--state', statePath]);
    let poelisKey: string;
    let partnerKey: string;
    let userKey: string;
    let revokedKey: string;
    let userId: string;
    try {
      const { world } = first;
      // Poelis: an organization, a workspace, a key put in the secret as the operator would.
      const org = await post<{ id: string }>(`${world.poelis}/_admin/organizations`, {
        name: 'Acme',
      });
      await post(`${world.poelis}/_admin/organizations/${org.id}/workspaces`, { name: 'Main' });
      poelisKey = (
        await post<{ value: string }>(`${world.poelis}/_admin/organizations/${org.id}/keys`, {
          name: 'Production #1',
        })
      ).value;
      const operator = clientAs(world, 'operator');
      await operator.send(
        new PutSecretValueCommand({
          SecretId: POELIS_SECRET,
          SecretString: JSON.stringify({
            provider: 'poelis',
            apiKey: poelisKey,
            keyName: 'Production #1',
            baseUrl: world.poelis,
          }),
        }),
      );
      operator.destroy();

      // Polytomic: a partner key, an organization, a user with a key; a second key revoked.
      partnerKey = (await post<{ value: string }>(`${world.polytomic}/_admin/partner-keys`)).value;
      const company = await post<{ id: string }>(`${world.polytomic}/_admin/organizations`, {
        name: 'Acme',
      });
      userId = (
        await post<{ id: string }>(`${world.polytomic}/_admin/organizations/${company.id}/users`, {
          email: 'rotator-a@acme.example',
        })
      ).id;
      const issue = `${world.polytomic}/_admin/organizations/${company.id}/users/${userId}/keys`;
      revokedKey = (await post<{ value: string }>(issue)).value;
      // The settings panel replaces the user's live key, revoking the first.
      userKey = (await post<{ value: string }>(issue)).value;
      expect(await identityStatus('polytomic', world, revokedKey)).toBe(401);
    } finally {
      expect(await first.stop('SIGINT')).toBe(0);
    }
    for (const file of [
      'world.json',
      'world.polytomic.json',
      'world.poelis.json',
      'world.credentials',
    ]) {
      expect(existsSync(join(folder, 'not', 'yet', file))).toBe(true);
    }

    const second = await startLocalWorldProcess(['--state', statePath]);
    try {
      const { world } = second;
      expect([world.aws, world.polytomic, world.poelis]).toEqual([
        first.world.aws,
        first.world.polytomic,
        first.world.poelis,
      ]);
      expect(second.stderr()).toContain('already deployed (state file)');
      // The app reads the stored key as its reader role, and Poelis still accepts it.
      const reader = clientAs(world, 'reader');
      const stored = await reader.send(new GetSecretValueCommand({ SecretId: POELIS_SECRET }));
      reader.destroy();
      const { apiKey } = JSON.parse(stored.SecretString ?? '{}') as { apiKey?: string };
      expect(apiKey === poelisKey).toBe(true);
      expect(await identityStatus('poelis', world, poelisKey)).toBe(200);

      expect(await identityStatus('polytomic', world, partnerKey)).toBe(200);
      const me = await call<{ data: { id: string } }>(`${world.polytomic}/api/me`, {
        headers: { Authorization: `Bearer ${userKey}`, ...POLYTOMIC_VERSION },
      });
      expect(me.data.id).toBe(userId);
      expect(await identityStatus('polytomic', world, revokedKey)).toBe(401);
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
  }, 600_000);
});
