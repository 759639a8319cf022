/**
 * The fault matrix with the operator's `recover` command, instead of Secrets Manager's retries,
 * bringing back each rotation a fault left incomplete, for the fault kinds that leave one.
 */
import { describeFaultMatrix } from '../support/fault-matrix';

jest.setTimeout(600_000);

describeFaultMatrix(
  'Recover fault matrix',
  [
    { name: 'Polytomic, two users, on-finish', spec: { provider: 'polytomic' } },
    {
      name: 'Polytomic, single user',
      spec: { provider: 'polytomic', standby: false },
      steps: ['createSecret'],
    },
    { name: 'Poelis, on-finish', spec: { provider: 'poelis' } },
    {
      name: 'Poelis, next-rotation',
      spec: { provider: 'poelis', policy: 'next-rotation' },
      steps: ['createSecret', 'setSecret'],
    },
  ],
  { recovery: 'recover', kinds: ['killed', 'commit-then-drop', '5xx'] },
);
