/**
 * The fault matrix for every registered vendor (part 2 of 3): each step × each outbound call
 * × each fault kind, with Secrets Manager's retries, and the invariants checked throughout.
 */
import { describeFaultMatrix } from '../support/fault-matrix';
import { matrixScenarios, shardOf } from './kit';

jest.setTimeout(900_000);

describeFaultMatrix('Fault matrix (2/3)', shardOf(matrixScenarios, 1, 3));
