/**
 * A simulator's accounts and key ledger kept in a JSON file, so a local world restarted from its
 * state file still accepts the keys it issued. The ledger holds hashes only, never a key value.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LedgerEntry, Vendor } from '../types';

/** What a simulator's directory (organizations, users, workspaces) gives to be kept and takes back. */
export interface PersistentDirectory<State> {
  /** A JSON-safe copy of everything the directory holds. */
  snapshot(): State;
  /** Replaces everything the directory holds with a snapshot read back from the file. */
  restore(state: State): void;
}

/** The file's content. */
export interface SimulatorState<State> {
  readonly version: 1;
  readonly vendor: Vendor;
  readonly ledger: readonly LedgerEntry[];
  readonly directory: State;
}

/** A state file that cannot be read back: names the file and what to do. */
export class SimulatorStateError extends Error {
  override readonly name = 'SimulatorStateError';

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super(`${path}: ${problem}. Delete the file to start the simulator afresh.`, options);
  }
}

/**
 * Reads a simulator's state file; `undefined` when there is none yet.
 *
 * @example
 * const state = loadSimulatorState('.local-state/world.polytomic.json', 'polytomic');
 */
export function loadSimulatorState(
  path: string,
  vendor: Vendor,
): SimulatorState<unknown> | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SimulatorStateError(path, 'is not JSON', { cause: error });
  }
  const state = parsed as Partial<SimulatorState<unknown>> | null;
  if (typeof state !== 'object' || state === null || state.version !== 1) {
    throw new SimulatorStateError(path, 'is not a version 1 simulator state file');
  }
  if (state.vendor !== vendor) {
    throw new SimulatorStateError(path, `holds ${String(state.vendor)}'s state, not ${vendor}'s`);
  }
  if (!Array.isArray(state.ledger) || typeof state.directory !== 'object') {
    throw new SimulatorStateError(path, 'has no ledger or no directory');
  }
  return state as SimulatorState<unknown>;
}

/**
 * Writes the state file atomically (a crash never leaves half a file), creating its folder.
 *
 * @example
 * saveSimulatorState(path, { version: 1, vendor: 'poelis', ledger, directory });
 */
export function saveSimulatorState(path: string, state: SimulatorState<unknown>): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
  renameSync(temporary, path);
}
