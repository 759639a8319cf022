/**
 * The fault matrix for every registered vendor (part 3 of 3): each step × each outbound call
 * × each fault kind, with Secrets Manager's retries, and the invariants checked throughout.
 */
import { describeFaultMatrix } from '../support/fault-matrix';
import { matrixScenarios, shardOf } from './kit';

jest.setTimeout(900_000);

describeFaultMatrix('Fault matrix (3/3)', shardOf(matrixScenarios, 2, 3));
