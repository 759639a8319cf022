import { systemClock, type Clock } from '../../aws/types';
import type { SimulatorBase, SimulatorOptions, Vendor } from '../types';
import { commonAdminRoutes, type AdminRoute } from './admin-routes';
import { FaultEngine } from './faults';
import { KeyLedger } from './ledger';
import {
  loadSimulatorState,
  saveSimulatorState,
  type PersistentDirectory,
  type SimulatorState,
} from './persistence';
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
  const { statePath } = parts.options;
  if (statePath !== undefined && !isPersistent(directory)) {
    throw new TypeError(`The ${parts.vendor} simulator cannot keep its state in a file.`);
  }
  const kept = statePath === undefined ? undefined : loadSimulatorState(statePath, parts.vendor);
  if (kept !== undefined && isPersistent(directory)) {
    ledger.restore(kept.ledger);
    directory.restore(kept.directory);
  }
  const persist = (): void => {
    if (statePath === undefined || !isPersistent(directory)) return;
    const state: SimulatorState<unknown> = {
      version: 1,
      vendor: parts.vendor,
      ledger: ledger.entries(),
      directory: directory.snapshot(),
    };
    saveSimulatorState(statePath, state);
  };

  const server = await startVendorServer({
    host: parts.options.host,
    port: parts.options.port,
    clock,
    dialect: parts.createDialect(directory, ledger, clock),
    faults,
    log,
    adminRoutes: [...commonAdminRoutes({ ledger, faults, log }), ...parts.adminRoutes(directory)],
    afterRequest: persist,
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
    // In-process changes (tests, scenarios) are kept too.
    close: async () => {
      await server.close();
      persist();
    },
  };
}

/** Whether a vendor's directory can be kept in a state file. */
function isPersistent(directory: unknown): directory is PersistentDirectory<unknown> {
  const candidate = directory as Partial<PersistentDirectory<unknown>> | null;
  return typeof candidate?.snapshot === 'function' && typeof candidate.restore === 'function';
}
