/**
 * The fault matrix for Poelis secrets, and for the steps where Polytomic's single-user mode and
 * Poelis's next-rotation policy take another path.
 */
import { describeFaultMatrix } from '../support/fault-matrix';

jest.setTimeout(600_000);

describeFaultMatrix('Poelis and single-user fault matrix', [
  { name: 'Poelis, on-finish', spec: { provider: 'poelis' } },
  {
    name: 'Poelis, next-rotation',
    spec: { provider: 'poelis', policy: 'next-rotation' },
    steps: ['finishSecret'],
  },
  {
    name: 'Polytomic, single user',
    spec: { provider: 'polytomic', standby: false },
    steps: ['createSecret', 'finishSecret'],
  },
]);
