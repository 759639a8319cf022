import { systemClock } from '../../aws/types';
import type { AdminRoute } from '../shared/admin-routes';
import { commonAdminRoutes } from '../shared/admin-routes';
import { FaultEngine } from '../shared/faults';
import { optionalString, requireString } from '../shared/http-io';
import { KeyLedger } from '../shared/ledger';
import { RequestLog } from '../shared/request-log';
import { startVendorServer } from '../shared/vendor-server';
import type { PolytomicSimulator, SimulatorOptions } from '../types';
import { createPolytomicDialect } from './api';
import { PolytomicDirectory } from './directory';

/** Starts a Polytomic stand-in on loopback (a free port unless one is given). */
export async function startPolytomicSimulator(
  options: SimulatorOptions = {},
): Promise<PolytomicSimulator> {
  const clock = options.clock ?? systemClock;
  const ledger = new KeyLedger('polytomic', clock);
  const faults = new FaultEngine();
  const log = new RequestLog();
  const directory = new PolytomicDirectory(ledger);

  const server = await startVendorServer({
    host: options.host,
    port: options.port,
    clock,
    dialect: createPolytomicDialect(directory, ledger, clock),
    faults,
    log,
    adminRoutes: [
      ...commonAdminRoutes({ ledger, faults, log }),
      ...polytomicAdminRoutes(directory),
    ],
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

/** The admin operations over HTTP; new key values are answered once, as `{ "value": … }`. */
function polytomicAdminRoutes(directory: PolytomicDirectory): AdminRoute[] {
  return [
    {
      method: 'POST',
      pattern: '/_admin/organizations',
      handle: (_params, body) => directory.createOrganization(requireString(body, 'name')),
    },
    {
      method: 'POST',
      pattern: '/_admin/organizations/:org/users',
      handle: (params, body) =>
        directory.createUser(
          params.org,
          requireString(body, 'email'),
          optionalString(body, 'role'),
        ),
    },
    {
      method: 'POST',
      pattern: '/_admin/partner-keys',
      handle: () => ({ value: directory.createPartnerKey() }),
    },
    {
      method: 'POST',
      pattern: '/_admin/organizations/:org/users/:user/keys',
      handle: (params) => ({ value: directory.issueUserKey(params.org, params.user) }),
    },
    {
      method: 'POST',
      pattern: '/_admin/keys/:fingerprint/revoke',
      handle: (params) => {
        directory.revokeKey(params.fingerprint);
        return undefined;
      },
    },
    {
      method: 'GET',
      pattern: '/_admin/users/:user/live-keys',
      handle: (params) => directory.liveKeysOf(params.user),
    },
  ];
}
