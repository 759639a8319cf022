import type { AdminRoute } from '../shared/admin-routes';
import { optionalString, requireString } from '../shared/http-io';
import { startSimulator } from '../shared/simulator';
import type { PolytomicSimulator, SimulatorOptions } from '../types';
import { createPolytomicDialect } from './api';
import { PolytomicDirectory } from './directory';

/** Starts a Polytomic stand-in on loopback (a free port unless one is given). */
export function startPolytomicSimulator(
  options: SimulatorOptions = {},
): Promise<PolytomicSimulator> {
  return startSimulator({
    vendor: 'polytomic',
    options,
    createDirectory: (ledger) => new PolytomicDirectory(ledger),
    createDialect: (directory, ledger, clock) => createPolytomicDialect(directory, ledger, clock),
    adminRoutes: polytomicAdminRoutes,
  });
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
