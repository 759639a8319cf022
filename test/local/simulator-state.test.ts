/**
 * A simulator started with a state file keeps its accounts and key ledger across restarts, and a
 * state file it cannot read back is a named error that says what to do, with nothing overwritten.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPoelisSimulator, startPolytomicSimulator } from '../../local/vendors';
import { SimulatorStateError } from '../../local/vendors/shared/persistence';

describe('simulator state files', () => {
  const folder = mkdtempSync(join(tmpdir(), 'simulator-state-test-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  test('Poelis keeps organizations, workspaces, keys and revocations', async () => {
    const statePath = join(folder, 'new', 'poelis.json');
    const first = await startPoelisSimulator({ statePath });
    const org = first.admin.createOrganization('Acme');
    first.admin.createWorkspace(org.id, 'Main');
    const kept = first.admin.createKey(org.id, 'Production #1');
    const revoked = first.admin.createKey(org.id, 'Production #0');
    first.admin.revokeKey(org.id, 'Production #0');
    await first.close();

    const second = await startPoelisSimulator({ statePath });
    try {
      expect(second.admin.keyStatus(kept)).toBe('live');
      expect(second.admin.keyStatus(revoked)).toBe('revoked');
      const response = await fetch(`${second.url}/v1/public/workspaces?limit=1`, {
        headers: { Authorization: `Bearer ${kept}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ items: [{ name: 'Main' }], count: 1 });
    } finally {
      await second.close();
    }
  });

  test('Polytomic keeps its partner account: a partner key still answers as the partner', async () => {
    const statePath = join(folder, 'polytomic.json');
    const me = async (url: string, key: string): Promise<Response> =>
      fetch(`${url}/api/me`, {
        headers: { Authorization: `Bearer ${key}`, 'X-Polytomic-Version': '2025-09-18' },
      });
    const first = await startPolytomicSimulator({ statePath });
    const partnerKey = first.admin.createPartnerKey();
    const before: unknown = await (await me(first.url, partnerKey)).json();
    await first.close();

    const second = await startPolytomicSimulator({ statePath });
    try {
      const response = await me(second.url, partnerKey);
      expect(response.status).toBe(200);
      expect(before).toMatchObject({ data: { is_partner: true } });
      expect(await response.json()).toEqual(before);
    } finally {
      await second.close();
    }
  });

  test.each([
    ['not JSON', '{"version":', /poelis-bad\.json: is not JSON\. Delete the file/],
    [
      'another vendor',
      JSON.stringify({ version: 1, vendor: 'polytomic', ledger: [], directory: {} }),
      /holds polytomic's state, not poelis's/,
    ],
    ['another version', JSON.stringify({ version: 2 }), /is not a version 1 simulator state file/],
  ])('a file holding %s is refused by name and left as it was', async (_what, content, message) => {
    const statePath = join(folder, 'poelis-bad.json');
    writeFileSync(statePath, content);
    const started = startPoelisSimulator({ statePath });
    await expect(started).rejects.toThrow(SimulatorStateError);
    await expect(started).rejects.toThrow(message);
    expect(readFileSync(statePath, 'utf8')).toBe(content);
  });
});
