/**
 * Figure 2, calls per rotation: the Secrets Manager, KMS, SNS and vendor calls one full
 * rotation makes, per provider and mode, counted by the emulator and the simulators and
 * attributed to the step that made them.
 */
import type { FunctionInvoker, InvokeResult, RotationEvent } from '../local/aws/types';
import type { LocalWorld } from '../local/world';
import {
  provisionPoelisSecret,
  provisionPolytomicSecret,
  stagePoelisKey,
} from '../local/scenarios';
import type { BenchOptions, FigureResult, FigureRow } from './types';
import { formatRatio, ratio } from './stats';
import {
  callCounters,
  counterDelta,
  rotateAndWait,
  startBenchWorld,
  sumCalls,
  type BenchWorld,
} from './world';

/**
 * The pattern of AWS's rotation template (aws-samples/aws-secrets-manager-rotation-lambdas),
 * counted from its code: DescribeSecret in every step; createSecret reads AWSCURRENT, probes
 * AWSPENDING, calls GetRandomPassword and PutSecretValue; setSecret reads AWSPENDING and
 * AWSCURRENT; testSecret reads AWSPENDING; finishSecret describes again and moves the label.
 */
export const TEMPLATE_SM_CALLS_BY_STEP: Readonly<Record<RotationEvent['Step'], number>> = {
  createSecret: 1 + 4,
  setSecret: 1 + 2,
  testSecret: 1 + 1,
  finishSecret: 1 + 2,
};
export const TEMPLATE_SM_CALLS = Object.values(TEMPLATE_SM_CALLS_BY_STEP).reduce((a, b) => a + b);

/** Records the calls made while each step's invocation ran; valid while one rotation runs at a time. */
class StepCallRecorder implements FunctionInvoker {
  private recorded: StepCalls[] = [];

  constructor(
    private readonly inner: FunctionInvoker,
    private readonly world: LocalWorld,
  ) {}

  async invoke(functionArnOrName: string, event: unknown): Promise<InvokeResult> {
    const before = callCounters(this.world);
    const result = await this.inner.invoke(functionArnOrName, event);
    const step = (event as RotationEvent).Step;
    this.recorded.push({ step, calls: counterDelta(before, callCounters(this.world)) });
    return result;
  }

  /** The steps recorded since the last call. */
  take(): StepCalls[] {
    const steps = this.recorded;
    this.recorded = [];
    return steps;
  }
}

interface StepCalls {
  readonly step: RotationEvent['Step'];
  readonly calls: Record<string, number>;
}

interface Mode {
  readonly name: string;
  /** Vendor calls the mode needs: issue + identity check + revoke, as the vendor's API allows. */
  readonly expectedVendorCalls: number;
  readonly expectedVendorNote: string;
  /** Provisions a secret and returns what to do before each rotation. */
  setUp(
    bench: BenchWorld,
    name: string,
  ): Promise<{ arn: string; beforeRotation(n: number): Promise<void> }>;
}

const nothing = (): Promise<void> => Promise.resolve();

const MODES: readonly Mode[] = [
  {
    name: 'Polytomic, two users (alternating)',
    expectedVendorCalls: 3,
    expectedVendorNote: 'issue 1 + identity 1 + revoke (forced re-issue) 1',
    async setUp(bench, name) {
      const { secretArn } = await provisionPolytomicSecret(bench.world, bench.clients, {
        name,
        kmsKeyId: bench.kmsKeyArn,
      });
      return { arn: secretArn, beforeRotation: nothing };
    },
  },
  {
    name: 'Polytomic, single user',
    expectedVendorCalls: 2,
    expectedVendorNote: 'issue 1 (the forced issue revokes the old key) + identity 1',
    async setUp(bench, name) {
      const { secretArn } = await provisionPolytomicSecret(bench.world, bench.clients, {
        name,
        kmsKeyId: bench.kmsKeyArn,
        standby: false,
      });
      return { arn: secretArn, beforeRotation: nothing };
    },
  },
  {
    name: 'Polytomic, revoke on next rotation',
    // The forced issue for the standby user already replaced the key before the previous one.
    expectedVendorCalls: 2,
    expectedVendorNote: 'issue 1 (also revokes the key before the previous) + identity 1',
    async setUp(bench, name) {
      const { secretArn } = await provisionPolytomicSecret(bench.world, bench.clients, {
        name,
        kmsKeyId: bench.kmsKeyArn,
        revokePrevious: 'next-rotation',
      });
      return { arn: secretArn, beforeRotation: nothing };
    },
  },
  {
    name: 'Poelis (assisted)',
    expectedVendorCalls: 1,
    expectedVendorNote: 'identity 1 (keys are issued and revoked in the web app)',
    async setUp(bench, name) {
      const fixture = await provisionPoelisSecret(bench.world, bench.clients, {
        name,
        kmsKeyId: bench.kmsKeyArn,
      });
      return {
        arn: fixture.secretArn,
        beforeRotation: (n) =>
          stagePoelisKey(bench.world, bench.clients, fixture, `${name} #${n + 1}`),
      };
    },
  },
];

interface ModeResult {
  readonly mode: string;
  readonly secretsManager: number;
  readonly kms: number;
  readonly sns: number;
  readonly vendor: number;
  readonly expectedVendor: number;
  readonly expectedVendorNote: string;
  readonly byStep: readonly StepCalls[];
  readonly firstRotation: { readonly secretsManager: number; readonly vendor: number };
}

/** Counts of the second rotation (steady state: an AWSPREVIOUS exists), and of the first. */
async function measureMode(
  bench: BenchWorld,
  recorder: StepCallRecorder,
  mode: Mode,
  index: number,
): Promise<ModeResult> {
  const secret = await mode.setUp(bench, `bench/calls-${index}`);
  const rotations: StepCalls[][] = [];
  for (let n = 0; n < 2; n++) {
    await secret.beforeRotation(n);
    recorder.take();
    await rotateAndWait(bench, secret.arn);
    rotations.push(recorder.take());
  }
  const [first, steady] = rotations.map(mergeSteps);
  return {
    mode: mode.name,
    secretsManager: sumCalls(steady, 'secretsmanager.'),
    kms: sumCalls(steady, 'TrentService.'),
    sns: sumCalls(steady, 'sns.'),
    vendor: vendorCalls(steady),
    expectedVendor: mode.expectedVendorCalls,
    expectedVendorNote: mode.expectedVendorNote,
    byStep: rotations[1],
    firstRotation: {
      secretsManager: sumCalls(first, 'secretsmanager.'),
      vendor: vendorCalls(first),
    },
  };
}

function mergeSteps(steps: readonly StepCalls[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const { calls } of steps) {
    for (const [name, count] of Object.entries(calls)) total[name] = (total[name] ?? 0) + count;
  }
  return total;
}

function vendorCalls(counters: Record<string, number>): number {
  return sumCalls(counters, 'polytomic ') + sumCalls(counters, 'poelis ');
}

export async function callsPerRotation(_options: BenchOptions): Promise<FigureResult> {
  const bench = await startBenchWorld();
  try {
    const recorder = new StepCallRecorder(bench.world.runner, bench.world);
    bench.world.aws.setInvoker(recorder);
    const results: ModeResult[] = [];
    for (const [index, mode] of MODES.entries()) {
      results.push(await measureMode(bench, recorder, mode, index));
    }
    const rows: FigureRow[] = results.flatMap((r) => [
      {
        measure: `${r.mode}: Secrets Manager calls`,
        value: `${r.secretsManager} (+ ${r.kms} KMS, ${r.sns} SNS)`,
        baseline: `${TEMPLATE_SM_CALLS} (AWS template pattern)`,
        ratio: formatRatio(ratio(r.secretsManager, TEMPLATE_SM_CALLS)),
      },
      {
        measure: `${r.mode}: vendor calls`,
        value: String(r.vendor),
        baseline: `${r.expectedVendor} (${r.expectedVendorNote})`,
        ratio: formatRatio(ratio(r.vendor, r.expectedVendor)),
      },
    ]);
    return {
      id: 'callsPerRotation',
      title: '2. Calls per rotation (second rotation of a secret: steady state)',
      // A count a user pays nothing for directly: reported beside the template, without a goal.
      goal: 'Secrets Manager and vendor calls per rotation, beside the AWS template (reported, no goal)',
      goalMet: undefined,
      rows,
      notes: [
        `Baseline: AWS's rotation template pattern makes ${TEMPLATE_SM_CALLS} Secrets Manager calls (by step: ${describeCounts(TEMPLATE_SM_CALLS_BY_STEP)}), counted from its code; ours are counted by the emulator during each step's invocation.`,
        ...results.map((r) => `${r.mode}, by step: ${describeSteps(r.byStep)}.`),
      ],
      data: {
        templateCallsByStep: TEMPLATE_SM_CALLS_BY_STEP,
        modes: results,
      },
    };
  } finally {
    await bench.close();
  }
}

function describeCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

/** "createSecret: DescribeSecret 1, GetSecretValue 3, …; setSecret: …" with service prefixes dropped. */
function describeSteps(steps: readonly StepCalls[]): string {
  return steps
    .map(({ step, calls }) => {
      const parts = Object.entries(calls).map(([name, count]) => `${shortName(name)} ${count}`);
      return `${step}: ${parts.join(', ')}`;
    })
    .join('; ');
}

function shortName(counter: string): string {
  return counter
    .replace(/^secretsmanager\./, '')
    .replace(/^TrentService\./, 'KMS ')
    .replace(/^sns\./, 'SNS ');
}
