import type { AdminRoute } from '../shared/admin-routes';
import { requireString } from '../shared/http-io';
import { startSimulator } from '../shared/simulator';
import type { PoelisSimulator, PoelisSimulatorOptions } from '../types';
import { createPoelisDialect, DEFAULT_POELIS_RATE_LIMIT } from './api';
import { PoelisDirectory } from './directory';

/** Starts a Poelis stand-in on loopback (a free port unless one is given). */
export function startPoelisSimulator(
  options: PoelisSimulatorOptions = {},
): Promise<PoelisSimulator> {
  return startSimulator({
    vendor: 'poelis',
    options,
    createDirectory: (ledger) => new PoelisDirectory(ledger),
    createDialect: (directory, ledger, clock) =>
      createPoelisDialect(directory, ledger, clock, options.rateLimit ?? DEFAULT_POELIS_RATE_LIMIT),
    adminRoutes: poelisAdminRoutes,
  });
}

/** The web app's key management over HTTP; a new key value is answered once, as `{ "value": … }`. */
function poelisAdminRoutes(directory: PoelisDirectory): AdminRoute[] {
  return [
    {
      method: 'POST',
      pattern: '/_admin/organizations',
      handle: (_params, body) => directory.createOrganization(requireString(body, 'name')),
    },
    {
      method: 'POST',
      pattern: '/_admin/organizations/:org/workspaces',
      handle: (params, body) => directory.createWorkspace(params.org, requireString(body, 'name')),
    },
    {
      method: 'POST',
      pattern: '/_admin/organizations/:org/keys',
      handle: (params, body) => ({
        value: directory.createKey(params.org, requireString(body, 'name')),
      }),
    },
    {
      method: 'GET',
      pattern: '/_admin/organizations/:org/keys',
      handle: (params) => directory.listKeys(params.org),
    },
    {
      method: 'POST',
      pattern: '/_admin/organizations/:org/keys/revoke',
      handle: (params, body) => {
        directory.revokeKey(params.org, requireString(body, 'nameOrFingerprint'));
        return undefined;
      },
    },
  ];
}
