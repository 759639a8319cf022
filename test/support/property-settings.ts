/**
 * Size and seed of property runs: small and fixed for CI, set from the environment for a soak
 * (`PROPERTY_RUNS=10000 PROPERTY_SEED=… jest test/safety`).
 */
export interface PropertySettings {
  readonly numRuns: number;
  readonly seed: number;
}

const DEFAULT_SEED = 20261123;

/** `defaultRuns` when PROPERTY_RUNS is unset; PROPERTY_RUNS is split by `share` across files. */
export function propertySettings(defaultRuns: number, share = 1): PropertySettings {
  const runs = readInteger('PROPERTY_RUNS');
  const seed = readInteger('PROPERTY_SEED') ?? DEFAULT_SEED;
  return {
    numRuns: runs === undefined ? defaultRuns : Math.max(1, Math.ceil(runs * share)),
    seed,
  };
}

function readInteger(variable: string): number | undefined {
  const text = process.env[variable]?.trim();
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new Error(`${variable} must be an integer, got "${text}"`);
  return value;
}
