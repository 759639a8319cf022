import { systemClock, type Clock } from '../../aws/types';
import type { SimulatorBase, SimulatorOptions, Vendor } from '../types';
import { commonAdminRoutes, type AdminRoute } from './admin-routes';
import { FaultEngine } from './faults';
import { KeyLedger } from './ledger';
import { RequestLog } from './request-log';
import { startVendorServer, type VendorDialect } from './vendor-server';

/** What makes one vendor: its accounts, its API and its admin routes. */
export interface SimulatorParts<Directory> {
  readonly vendor: Vendor;
  readonly options: SimulatorOptions;
  readonly createDirectory: (ledger: KeyLedger) => Directory;
  readonly createDialect: (directory: Directory, ledger: KeyLedger, clock: Clock) => VendorDialect;
  readonly adminRoutes: (directory: Directory) => AdminRoute[];
}

/** Starts a vendor stand-in on loopback with the ledger, faults and request log every vendor shares. */
export async function startSimulator<Directory>(
  parts: SimulatorParts<Directory>,
): Promise<SimulatorBase & { readonly admin: Directory }> {
  const clock = parts.options.clock ?? systemClock;
  const ledger = new KeyLedger(parts.vendor, clock);
  const faults = new FaultEngine();
  const log = new RequestLog();
  const directory = parts.createDirectory(ledger);

  const server = await startVendorServer({
    host: parts.options.host,
    port: parts.options.port,
    clock,
    dialect: parts.createDialect(directory, ledger, clock),
    faults,
    log,
    adminRoutes: [...commonAdminRoutes({ ledger, faults, log }), ...parts.adminRoutes(directory)],
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
