/** The fault matrix for Polytomic secrets: two users under each revoke policy. */
import { describeFaultMatrix } from '../support/fault-matrix';

jest.setTimeout(600_000);

describeFaultMatrix('Polytomic fault matrix', [
  { name: 'two users, on-finish', spec: { provider: 'polytomic' } },
  {
    name: 'two users, next-rotation from the stack tag',
    spec: { provider: 'polytomic', policy: 'next-rotation', policyIn: 'tag' },
  },
]);
