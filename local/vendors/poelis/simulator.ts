import { systemClock } from '../../aws/types';
import { commonAdminRoutes, type AdminRoute } from '../shared/admin-routes';
import { FaultEngine } from '../shared/faults';
import { requireString } from '../shared/http-io';
import { KeyLedger } from '../shared/ledger';
import { RequestLog } from '../shared/request-log';
import { startVendorServer } from '../shared/vendor-server';
import type { PoelisSimulator, PoelisSimulatorOptions } from '../types';
import { createPoelisDialect, DEFAULT_POELIS_RATE_LIMIT } from './api';
import { PoelisDirectory } from './directory';

/** Starts a Poelis stand-in on loopback (a free port unless one is given). */
export async function startPoelisSimulator(
  options: PoelisSimulatorOptions = {},
): Promise<PoelisSimulator> {
  const clock = options.clock ?? systemClock;
  const ledger = new KeyLedger('poelis', clock);
  const faults = new FaultEngine();
  const log = new RequestLog();
  const directory = new PoelisDirectory(ledger);
  const rateLimit = options.rateLimit ?? DEFAULT_POELIS_RATE_LIMIT;

  const server = await startVendorServer({
    host: options.host,
    port: options.port,
    clock,
    dialect: createPoelisDialect(directory, ledger, clock, rateLimit),
    faults,
    log,
    adminRoutes: [...commonAdminRoutes({ ledger, faults, log }), ...poelisAdminRoutes(directory)],
  });

  return {
    url: server.url,
    admin: directory,
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    ledger: () => ledger.entries(),
    requests: () => log.entries(),
    routeCounts: () => log.routeCounts(),
    isIssuedKey: (candidate) => ledger.isIssued(candidate),
    close: () => server.close(),
  };
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
