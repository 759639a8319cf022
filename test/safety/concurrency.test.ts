/**
 * Concurrency: the same step invoked twice at once, and rotations of different secrets sharing
 * one Polytomic partner key running at once. No key may be issued twice and left live, and none
 * may be lost.
 */
import type { RotationStep } from '../../lambda/rotation/event';
import { faultAt } from '../support/fault-plan';
import { checkInvariants, expectInvariants } from '../support/invariants';
import {
  ROTATION_STEPS,
  SafetyWorld,
  type SecretSpec,
  type SecretUnderTest,
} from '../support/safety-world';

let sw: SafetyWorld;

beforeAll(async () => {
  sw = await SafetyWorld.start();
});

afterAll(() => sw?.close());

beforeEach(() => sw.scanner.reset());

/** A rotation stopped just before `step`: the function dies at that step's first call. */
async function rotationStoppedBefore(
  spec: SecretSpec,
  step: RotationStep,
): Promise<{ secret: SecretUnderTest; token: string }> {
  const secret = await sw.newSecret(spec);
  await sw.stage(secret);
  const point = { step, index: 0, service: 'secretsmanager' as const, operation: 'DescribeSecret' };
  sw.tracer.interceptor = faultAt(sw, secret, point, 'killed').interceptor;
  const record = await sw.rotate(secret);
  sw.clearFaults();
  expect(record.steps.at(-1)).toMatchObject({ step, ok: false, errorType: 'Runtime.ExitError' });
  return { secret, token: record.token };
}

const SPECS: readonly [string, SecretSpec][] = [
  ['Polytomic', { provider: 'polytomic' }],
  ['Polytomic single-user', { provider: 'polytomic', standby: false }],
  ['Poelis', { provider: 'poelis' }],
];

describe.each(SPECS)('%s: one step invoked twice at once', (_name, spec) => {
  it.each(ROTATION_STEPS)('%s twice at once, then the rest: one key, no orphan', async (step) => {
    const { secret, token } = await rotationStoppedBefore(spec, step);
    const issuedBefore = sw.world.polytomic.ledger().length + sw.world.poelis.ledger().length;

    const twins = await Promise.all([
      sw.invokeStep(secret, step, token),
      sw.invokeStep(secret, step, token),
    ]);
    twins.forEach((result) => sw.recordInvocation(result));
    // At least one twin does the step; the other may lose the race on the label move.
    expect(twins.some((result) => result.ok)).toBe(true);
    expect(await checkInvariants(sw, secret, { settled: false })).toEqual([]);

    for (const later of ROTATION_STEPS.slice(ROTATION_STEPS.indexOf(step))) {
      const result = await sw.invokeStep(secret, later, token);
      sw.recordInvocation(result);
      expect(result).toMatchObject({ ok: true });
    }
    const issued = sw.world.polytomic.ledger().length + sw.world.poelis.ledger().length;
    // createSecret issues one key; an on-finish Polytomic revocation re-issues one more.
    const expectedIssues =
      spec.provider === 'polytomic'
        ? (step === 'createSecret' ? 1 : 0) + (spec.standby === false ? 0 : 1)
        : 0;
    expect(issued - issuedBefore).toBe(expectedIssues);
    await expectInvariants(sw, secret, { settled: true, idempotence: true });
    await sw.retire(secret);
  });
});

describe('all four steps of one rotation invoked twice at once, in order', () => {
  it.each(SPECS)('%s ends rotated, with no orphan', async (_name, spec) => {
    const { secret, token } = await rotationStoppedBefore(spec, 'createSecret');
    for (const step of ROTATION_STEPS) {
      const twins = await Promise.all([
        sw.invokeStep(secret, step, token),
        sw.invokeStep(secret, step, token),
      ]);
      twins.forEach((result) => sw.recordInvocation(result));
    }
    expect((await sw.versionStages(secret))[token]).toContain('AWSCURRENT');
    await expectInvariants(sw, secret, { settled: true, idempotence: true });
    await sw.retire(secret);
  });
});

describe('rotations of different secrets sharing one partner key', () => {
  it('run at once, three times over, each ending rotated with no orphan', async () => {
    const first = await sw.newSecret({ provider: 'polytomic' });
    const partnerKeySecretId = (
      JSON.parse((await sw.allValues(first)).values().next().value ?? '{}') as {
        partnerKeySecretId: string;
      }
    ).partnerKeySecretId;
    const others = await Promise.all(
      [1, 2].map(() => sw.newSecret({ provider: 'polytomic', partnerKeySecretId })),
    );
    const secrets = [first, ...others];
    for (let round = 0; round < 3; round++) {
      const records = await Promise.all(secrets.map((secret) => sw.rotate(secret)));
      expect(records.map((record) => record.outcome)).toEqual(secrets.map(() => 'succeeded'));
      for (const secret of secrets) await expectInvariants(sw, secret);
    }
    for (const secret of secrets)
      await expectInvariants(sw, secret, { settled: true, idempotence: true });
  });
});
