/**
 * Random rotation schedules for property runs: rotations, Secrets Manager retries, duplicated,
 * concurrent and out-of-order step invocations, forced rotations during a rotation, operator
 * staging and reminders, and faults at any call. `runSchedule` plays one and returns every
 * invariant violation it sees.
 */
import fc from 'fast-check';
import type { RotationStep } from '../../lambda/rotation/event';
import { FAULT_KINDS, type FaultKind } from './fault-injection';
import { faultAtNthCall } from './fault-plan';
import { checkInvariants, checkStepsIdempotent } from './invariants';
import { propertySettings } from './property-settings';
import { ROTATION_STEPS, SafetyWorld, type SecretSpec, type SecretUnderTest } from './safety-world';

export type Fault = { readonly n: number; readonly kind: FaultKind };

export type Action =
  | { readonly do: 'rotate'; readonly fault?: Fault }
  | { readonly do: 'step'; readonly step: RotationStep; readonly fault?: Fault }
  | { readonly do: 'concurrent'; readonly steps: readonly [RotationStep, RotationStep] }
  | { readonly do: 'stage' }
  | { readonly do: 'due' }
  | { readonly do: 'operator' };

const fault: fc.Arbitrary<Fault | undefined> = fc.option(
  fc.record({ n: fc.nat({ max: 24 }), kind: fc.constantFrom(...FAULT_KINDS) }),
  { nil: undefined },
);
const step = fc.constantFrom(...ROTATION_STEPS);

export const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ do: fc.constant('rotate' as const), fault }) },
  { weight: 3, arbitrary: fc.record({ do: fc.constant('step' as const), step, fault }) },
  {
    weight: 2,
    arbitrary: fc.record({ do: fc.constant('concurrent' as const), steps: fc.tuple(step, step) }),
  },
  { weight: 2, arbitrary: fc.record({ do: fc.constant('stage' as const) }) },
  { weight: 2, arbitrary: fc.record({ do: fc.constant('due' as const) }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('operator' as const) }) },
);

/** Runs one schedule and returns every invariant violation, labelled with the action. */
export async function runSchedule(
  world: SafetyWorld,
  spec: SecretSpec,
  actions: readonly Action[],
): Promise<string[]> {
  world.scanner.reset();
  const secret = await world.newSecret(spec);
  const violations: string[] = [];
  try {
    await world.stage(secret);
    for (const [index, action] of actions.entries()) {
      await perform(world, secret, action);
      const found = await checkInvariants(world, secret, { settled: false });
      violations.push(...found.map((violation) => `after action ${index}: ${violation}`));
      if (violations.length > 0) return [...violations, historyOf(world, secret)];
    }
    if (!(await settle(world, secret))) return ['the secret did not settle once faults stopped'];
    violations.push(...(await checkInvariants(world, secret, { settled: true })));
    await world.stage(secret);
    const next = await world.rotate(secret);
    if (next.outcome !== 'succeeded') violations.push('the next rotation failed');
    violations.push(...(await checkInvariants(world, secret, { settled: true })));
    violations.push(...(await checkStepsIdempotent(world, secret)));
    return violations;
  } finally {
    world.clearFaults();
    await world.setKeyEnabled(secret, true);
    await world.retire(secret);
  }
}

async function perform(world: SafetyWorld, secret: SecretUnderTest, action: Action): Promise<void> {
  if ('fault' in action && action.fault !== undefined) {
    world.tracer.interceptor = faultAtNthCall(
      world,
      secret,
      action.fault.n,
      action.fault.kind,
    ).interceptor;
  }
  try {
    switch (action.do) {
      case 'rotate':
        // Refused while a rotation is incomplete: a forced rotation during a rotation.
        await world.rotate(secret).catch((error: unknown) => world.scanner.addError(error));
        break;
      case 'step': {
        const token = await rotationToken(world, secret);
        if (token !== undefined)
          world.recordInvocation(await world.invokeStep(secret, action.step, token));
        break;
      }
      case 'concurrent': {
        const token = await rotationToken(world, secret);
        if (token === undefined) break;
        const results = await Promise.all(
          action.steps.map((name) => world.invokeStep(secret, name, token)),
        );
        results.forEach((result) => world.recordInvocation(result));
        break;
      }
      case 'stage':
        await world.stage(secret);
        break;
      case 'due':
        await world.runDueRotations();
        break;
      case 'operator':
        world.actOnReminders(secret);
        break;
    }
    await world.world.aws.waitForRotations(secret.arn);
  } finally {
    world.clearFaults();
    await world.setKeyEnabled(secret, true);
  }
}

/** The secret's rotations and their steps, for a violation report. */
function historyOf(world: SafetyWorld, secret: SecretUnderTest): string {
  const rotations = world.world.aws.rotationHistory(secret.arn).map((record) => {
    const steps = record.steps.map((s) => (s.ok ? s.step : `${s.step}!${s.errorType}`));
    return `${record.token.slice(0, 8)} ${record.trigger} ${record.outcome}: ${steps.join(' ')}`;
  });
  return `   rotations: ${rotations.join(' | ')}`;
}

/** The token of the rotation in flight, or of the last one. */
async function rotationToken(
  world: SafetyWorld,
  secret: SecretUnderTest,
): Promise<string | undefined> {
  const stages = await world.versionStages(secret);
  const pending = Object.keys(stages).find((id) => stages[id].includes('AWSPENDING'));
  if (pending !== undefined) return pending;
  return world.world.aws.rotationHistory(secret.arn).at(-1)?.token;
}

/** Secrets Manager's retries once faults stop; Poelis gets a staged key if it lacks one. */
async function settle(world: SafetyWorld, secret: SecretUnderTest): Promise<boolean> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const history = world.world.aws.rotationHistory(secret.arn);
    const last = history.at(-1);
    const stages = await world.versionStages(secret);
    const current = Object.keys(stages).find((id) => stages[id].includes('AWSCURRENT'));
    const pending = Object.keys(stages).find((id) => stages[id].includes('AWSPENDING'));
    const inFlight = pending !== undefined && pending !== current;
    if (last === undefined || (!inFlight && last.outcome === 'succeeded')) return true;
    if (!inFlight && current === last.token) {
      // Promoted before a failure: the steps again, with the same token.
      if (await world.retryFailedRotation(secret, 1)) return true;
      continue;
    }
    if (!inFlight) return true;
    // The operator stages a key when none is, or when told the staged one is already current.
    const staged = Object.keys(stages).find((id) => stages[id].includes('STAGED'));
    const assisted = secret.simulator.createKeyByHand !== undefined;
    if (assisted && (staged === undefined || staged === current)) {
      await world.stage(secret);
    }
    await world.runDueRotations();
  }
  return false;
}

/**
 * Declares the property over random schedules for secrets drawn from `specs`, sized by
 * PROPERTY_RUNS (its `share`) and PROPERTY_SEED, and prints the run count once done.
 */
export function describeScheduleProperty(
  title: string,
  specs: fc.Arbitrary<SecretSpec>,
  defaultRuns: number,
  share: number,
): void {
  describe(title, () => declareScheduleProperty(title, specs, defaultRuns, share));
}

function declareScheduleProperty(
  title: string,
  specs: fc.Arbitrary<SecretSpec>,
  defaultRuns: number,
  share: number,
): void {
  let sw: SafetyWorld;
  let summary = `${title}: did not run`;

  beforeAll(async () => {
    sw = await SafetyWorld.start({ attemptTimeoutMs: 300 });
  });

  // Printed once the world has stopped capturing this process's output.
  afterAll(async () => {
    await sw?.close();
    console.log(summary);
  });

  const { numRuns, seed } = propertySettings(defaultRuns, share);
  // Generous per run (a run takes well under a second), so a hang still fails the test.
  const timeoutMs = 60_000 + numRuns * 5_000;

  it(
    `${title}: every invariant holds under random rotation schedules`,
    async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(
          specs,
          fc.array(actionArbitrary, { minLength: 1, maxLength: 8 }),
          async (spec, actions) => {
            runs += 1;
            const violations = await runSchedule(sw, spec, actions);
            if (violations.length > 0) throw new Error(violations.join('\n'));
          },
        ),
        { numRuns, seed },
      );
      summary = `${title}: ${runs} runs (numRuns ${numRuns}, seed ${seed}), 0 violations`;
      expect(runs).toBeGreaterThanOrEqual(numRuns);
    },
    timeoutMs,
  );
}
