/**
 * The fault matrix: for every step × every outbound call of that step × every fault kind, a
 * rotation meets the fault, Secrets Manager-style retries follow, and the five invariants are
 * checked right after the fault, after the retries, and after the next rotation.
 */
import type { RotationStep } from '../../lambda/rotation/event';
import { FAULT_KINDS, type CallService } from './fault-injection';
import {
  faultAt,
  type PlannedFault,
  recordingInterceptor,
  VENDOR_ATTEMPT_TIMEOUT_MS,
  type CallPoint,
} from './fault-plan';
import { checkInvariants, checkStepsIdempotent } from './invariants';
import { SafetyWorld, type SecretSpec, type SecretUnderTest } from './safety-world';

export interface MatrixScenario {
  readonly name: string;
  readonly spec: SecretSpec;
  /** The steps whose calls are faulted. @default all four */
  readonly steps?: readonly RotationStep[];
}

export interface MatrixOptions {
  /**
   * How a rotation left incomplete is brought back: Secrets Manager's retries, or the
   * operator's `recover` command (retries where it has nothing to do). @default 'retry'
   */
  readonly recovery?: 'retry' | 'recover';
  /** @default every fault kind (FAULT_KINDS) */
  readonly kinds?: readonly PlannedFault[];
  /** Only calls to these services are faulted. @default all */
  readonly services?: readonly CallService[];
}

/** Declares one jest test per scenario and prints the matrix's size and result. */
export function describeFaultMatrix(
  title: string,
  scenarios: readonly MatrixScenario[],
  options: MatrixOptions = {},
): void {
  const kinds = options.kinds ?? FAULT_KINDS;
  const results: { scenario: string; cases: number; violations: number }[] = [];

  afterAll(() => {
    const cases = results.reduce((sum, result) => sum + result.cases, 0);
    const violations = results.reduce((sum, result) => sum + result.violations, 0);
    const rows = results.map((result) => `  ${result.scenario}: ${result.cases} cases`);
    console.log(
      [
        `${title}: ${cases} cases (step × call × ${kinds.length} fault kinds), ${violations} violations`,
        ...rows,
      ].join('\n'),
    );
  });

  describe.each(scenarios)(`${title}: $name`, ({ name, spec, steps }) => {
    let sw: SafetyWorld;

    beforeAll(async () => {
      sw = await SafetyWorld.start({ attemptTimeoutMs: VENDOR_ATTEMPT_TIMEOUT_MS });
    });

    afterAll(() => sw?.close());

    /**
     * A secret ready for the faulted rotation. Under next-rotation it has rotated once
     * already, so that the faulted rotation has a key before the previous one to revoke.
     */
    async function readySecret(): Promise<SecretUnderTest> {
      sw.scanner.reset();
      const secret = await sw.newSecret(spec);
      if (spec.policy === 'next-rotation') {
        await sw.stage(secret);
        const warmUp = await sw.rotate(secret);
        if (warmUp.outcome !== 'succeeded') throw new Error(`warm-up of ${secret.label} failed`);
        sw.actOnReminders(secret);
      }
      await sw.stage(secret);
      return secret;
    }

    async function callPoints(): Promise<CallPoint[]> {
      const secret = await readySecret();
      const points: CallPoint[] = [];
      sw.tracer.interceptor = recordingInterceptor(points);
      const record = await sw.rotate(secret);
      sw.clearFaults();
      expect(record.outcome).toBe('succeeded');
      await sw.retire(secret);
      return points.filter(
        (point) =>
          (steps === undefined || steps.includes(point.step)) &&
          (options.services === undefined || options.services.includes(point.service)),
      );
    }

    async function runCase(point: CallPoint, kind: PlannedFault): Promise<string[]> {
      const secret = await readySecret();
      const plan = faultAt(sw, secret, point, kind);
      sw.tracer.interceptor = plan.interceptor;
      const faulted = await sw.rotate(secret);
      sw.clearFaults();
      await sw.setKeyEnabled(secret, true);
      const violations: string[] = [];
      if (!plan.fired()) {
        // Say how the rotation went instead, so a case that never reached its call is diagnosable.
        const steps = faulted.steps.map((s) => (s.ok ? s.step : `${s.step}!${s.errorType}`));
        violations.push(`the fault never fired (rotation ${faulted.outcome}: ${steps.join(' ')})`);
      }
      violations.push(...(await checkInvariants(sw, secret, { settled: false })));

      if (options.recovery === 'recover') violations.push(...(await recover(sw, secret)));
      else if (!(await sw.retryFailedRotation(secret))) {
        violations.push('the retries did not complete');
      }
      violations.push(...(await checkInvariants(sw, secret, { settled: true })));

      await sw.stage(secret);
      const next = await sw.rotate(secret);
      if (next.outcome !== 'succeeded') violations.push('the next rotation failed');
      violations.push(...(await checkInvariants(sw, secret, { settled: true })));
      violations.push(...(await checkStepsIdempotent(sw, secret)));
      await sw.retire(secret);
      return violations;
    }

    it('keeps every invariant whatever call fails, however it fails', async () => {
      const points = await callPoints();
      if (options.services === undefined) {
        const expectedSteps = steps ?? ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
        expect(new Set(points.map((point) => point.step))).toEqual(new Set(expectedSteps));
      } else {
        // Some steps make no call to these services; the rest must have been found.
        expect(points.length).toBeGreaterThan(0);
      }
      const violations: string[] = [];
      for (const point of points) {
        for (const kind of kinds) {
          const label = `${point.step}#${point.index} ${point.operation} × ${kind}`;
          const found = await runCase(point, kind);
          violations.push(...found.map((violation) => `${label}: ${violation}`));
        }
      }
      results.push({
        scenario: name,
        cases: points.length * kinds.length,
        violations: violations.length,
      });
      expect(violations).toEqual([]);
    });
  });
}

/**
 * The operator's way out of a stuck rotation: `api-key-rotator recover --yes --json`, then
 * whatever it asks of a person (revoke a key in the vendor's web app). When recover refuses, the
 * retries are the way out.
 */
async function recover(sw: SafetyWorld, secret: SecretUnderTest): Promise<string[]> {
  const stages = await sw.versionStages(secret);
  const labelled = (label: string): string | undefined =>
    Object.keys(stages).find((id) => stages[id].includes(label));
  const stuck =
    labelled('AWSPENDING') !== undefined && labelled('AWSPENDING') !== labelled('AWSCURRENT');
  if (!stuck) {
    return (await sw.retryFailedRotation(secret)) ? [] : ['the retries did not complete'];
  }
  const result = await sw.runCli(['recover', secret.arn, '--yes', '--json']);
  if (result.exitCode !== 0) {
    if (await sw.retryFailedRotation(secret)) return [];
    return [`recover exited ${result.exitCode} and the retries did not complete`];
  }
  const report = JSON.parse(result.stdout) as {
    recovered?: boolean;
    recovery?: string;
    pendingKey?: { fingerprint?: string } | null;
  };
  if (report.recovered !== true) return ['recover did not recover'];
  const fingerprint = report.pendingKey?.fingerprint;
  if (report.recovery === 'manual' && fingerprint !== undefined) {
    const { simulator } = secret;
    const live = simulator
      .ledger()
      .some(
        (key) =>
          key.organizationId === secret.organizationId &&
          key.fingerprint === fingerprint &&
          key.status === 'live',
      );
    if (live) simulator.revokeByHand(secret.organizationId, fingerprint);
  }
  return [];
}
