/**
 * Bugs the safety suite found, each kept as the smallest case that showed it (the property's
 * shrunk counterexample, or the matrix cell). All were fixed in lambda/rotation.
 */
import type { RotationStep } from '../../lambda/rotation/event';
import type { FaultKind } from '../support/fault-injection';
import { faultAtOperation } from '../support/fault-plan';
import { checkInvariants, expectInvariants } from '../support/invariants';
import { runSchedule } from '../support/rotation-schedule';
import { SafetyWorld, type SecretSpec, type SecretUnderTest } from '../support/safety-world';

let sw: SafetyWorld;

beforeAll(async () => {
  sw = await SafetyWorld.start({ attemptTimeoutMs: 300 });
});

afterAll(() => sw?.close());

beforeEach(() => sw.scanner.reset());

/** A call of one step, by operation. */
interface StepCall {
  readonly step: RotationStep;
  readonly operation: string;
}

async function faultedRotation(
  spec: SecretSpec,
  point: StepCall,
  kind: FaultKind,
): Promise<SecretUnderTest> {
  const secret = await sw.newSecret(spec);
  await sw.stage(secret);
  if (spec.policy === 'next-rotation') {
    expect((await sw.rotate(secret)).outcome).toBe('succeeded');
    sw.actOnReminders(secret);
    await sw.stage(secret);
  }
  sw.tracer.interceptor = faultAtOperation(
    sw,
    secret,
    point.step,
    point.operation,
    kind,
  ).interceptor;
  expect((await sw.rotate(secret)).outcome).toBe('failed');
  sw.clearFaults();
  return secret;
}

const PROMOTION: StepCall = { step: 'finishSecret', operation: 'UpdateSecretVersionStage' };

describe('finishSecret cut short after the promotion', () => {
  // Found by the matrix (finishSecret × UpdateSecretVersionStage × killed / commit-then-drop):
  // the retry found the token already AWSCURRENT and did nothing, so the replaced key stayed
  // live (Polytomic) or was never reported (Poelis).
  it.each([
    ['Polytomic, killed', { provider: 'polytomic' }, 'killed'],
    ['Polytomic, answer lost', { provider: 'polytomic' }, 'commit-then-drop'],
    ['Poelis, killed', { provider: 'poelis' }, 'killed'],
    ['Poelis next-rotation, killed', { provider: 'poelis', policy: 'next-rotation' }, 'killed'],
  ] as const)('%s: the retry revokes or reports the replaced key', async (_name, spec, kind) => {
    const secret = await faultedRotation(spec, PROMOTION, kind);
    expect(await sw.retryFailedRotation(secret)).toBe(true);
    await expectInvariants(sw, secret, { settled: true, idempotence: true });
  });

  it('Polytomic: a revocation that failed after the promotion succeeds on the retry', async () => {
    const revoke: StepCall = {
      step: 'finishSecret',
      operation: 'POST /api/organizations/:id/users/:id/keys',
    };
    const secret = await faultedRotation({ provider: 'polytomic' }, revoke, '5xx');
    expect(sw.lastRotation(secret).steps.at(-1)?.errorType).toBe('RevocationFailedError');
    expect(await sw.retryFailedRotation(secret)).toBe(true);
    await expectInvariants(sw, secret, { settled: true, idempotence: true });
  });
});

describe('a key staged while a rotation is in flight', () => {
  // Found by the property: setSecret cleared STAGED from whichever version held it, so a key
  // the operator staged after createSecret lost its label while live at Poelis: an orphan.
  it('keeps its STAGED label and is rotated in next', async () => {
    const beforeSet: StepCall = { step: 'setSecret', operation: 'DescribeSecret' };
    const secret = await faultedRotation({ provider: 'poelis' }, beforeSet, 'killed');
    await sw.stage(secret);
    expect(await sw.retryFailedRotation(secret)).toBe(true);
    const stages = await sw.versionStages(secret);
    expect(Object.values(stages).flat()).toContain('STAGED');
    expect(await checkInvariants(sw, secret, { settled: true })).toEqual([]);
    expect((await sw.rotate(secret)).outcome).toBe('succeeded');
    await expectInvariants(sw, secret, { settled: true, idempotence: true });
  });
});

describe('finishSecret run before createSecret stored a value', () => {
  // The property's shrunk counterexample: AWSCURRENT moved to a version with no value.
  it('refuses to promote, and AWSCURRENT keeps its key', async () => {
    const violations = await runSchedule(
      sw,
      { provider: 'poelis', policy: 'on-finish', policyIn: 'value' },
      [
        { do: 'rotate', fault: { n: 0, kind: 'timeout' } },
        { do: 'concurrent', steps: ['finishSecret', 'finishSecret'] },
      ],
    );
    expect(violations).toEqual([]);
  });
});

describe('a rotation cut short after its promotion, then superseded', () => {
  // The property's shrunk counterexample (seed 42): finishSecret died after the promotion, a
  // new RotateSecret replaced the cut-short rotation, so no retry ever reminded the operator
  // of the Poelis key it replaced. The next finishSecret now finds that key still accepted.
  it('gets the left-over Poelis key reported by the next rotation', async () => {
    const violations = await runSchedule(
      sw,
      { provider: 'poelis', policy: 'on-finish', policyIn: 'value' },
      [
        { do: 'rotate', fault: { n: 19, kind: 'killed' } },
        { do: 'rotate' },
        { do: 'step', step: 'createSecret' },
      ],
    );
    expect(violations).toEqual([]);
  });
});

describe('finishSecret run before setSecret', () => {
  // The property's shrunk counterexample (seed 42): promoted without setSecret, the Poelis key
  // kept its STAGED label while AWSCURRENT, so every later rotation failed "already the current
  // one". finishSecret now releases STAGED from the key it promotes.
  it('leaves no STAGED label on the promoted key, and the secret rotates on', async () => {
    const violations = await runSchedule(
      sw,
      { provider: 'poelis', policy: 'on-finish', policyIn: 'value' },
      [
        { do: 'rotate', fault: { n: 5, kind: 'killed' } },
        { do: 'step', step: 'finishSecret' },
        { do: 'rotate' },
        { do: 'concurrent', steps: ['createSecret', 'createSecret'] },
      ],
    );
    expect(violations).toEqual([]);
  });

  it('finishSecret releases STAGED from the key it promotes', async () => {
    const secret = await faultedRotation(
      { provider: 'poelis' },
      { step: 'createSecret', operation: 'PutSecretValue' },
      'killed',
    );
    const token = sw.lastRotation(secret).token;
    expect(await sw.invokeStep(secret, 'finishSecret', token)).toMatchObject({ ok: true });
    const stages = await sw.versionStages(secret);
    expect(stages[token]).toContain('AWSCURRENT');
    expect(Object.values(stages).flat()).not.toContain('STAGED');
  });
});
