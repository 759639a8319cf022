/**
 * Hostile vendor answers for every registered vendor: at each vendor call of a rotation, the
 * vendor (or a proxy in front of it) answers HTML, nothing, too much, a redirect elsewhere or a
 * 403; the invariants hold, nothing wedges, and the next rotation succeeds.
 */
import { describeFaultMatrix } from '../support/fault-matrix';
import { HOSTILE_ANSWERS } from '../support/fault-plan';
import { matrixScenarios, shardOf } from './kit';

jest.setTimeout(900_000);

describeFaultMatrix(
  'Hostile vendor answers',
  shardOf((vendor) => matrixScenarios(vendor).slice(0, 1), 0, 1),
  { kinds: HOSTILE_ANSWERS, services: ['vendor'] },
);
