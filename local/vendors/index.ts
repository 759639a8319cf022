/** Polytomic and Poelis stand-ins for tests, benchmarks and `npm run local`. */
export type {
  FaultKind,
  FaultSpec,
  LedgerEntry,
  PoelisAdmin,
  PoelisSimulator,
  PoelisSimulatorOptions,
  PolytomicAdmin,
  PolytomicSimulator,
  RateLimitOptions,
  RequestRecord,
  SimulatorBase,
  SimulatorOptions,
  Vendor,
} from './types';
export { startPolytomicSimulator } from './polytomic/simulator';
export { POLYTOMIC_ROUTES, POLYTOMIC_VERSIONS } from './polytomic/api';
export { startPoelisSimulator } from './poelis/simulator';
export { DEFAULT_POELIS_RATE_LIMIT, POELIS_ROUTES } from './poelis/api';
export { keyShapedStrings } from './shared/key-shapes';
