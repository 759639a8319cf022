/**
 * Figure 7, app under load: apps call the vendor simulators at a steady rate with the key from
 * client/ (one through `reader.withKey`, one through `keyAuthInterceptor`, each in its own
 * process) while the deployed stack rotates their secrets again and again, forced and scheduled.
 * Failed requests, and latency while the app's own secret rotates ÷ while nothing rotates.
 */
import { CancelRotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PoelisFixture } from '../local/scenarios';
import { startApp, type AppReport, type AppSettings, type RunningApp } from './app-runner';
import {
  assertRotated,
  forceRotation,
  putPoelisKey,
  putPolytomicKey,
  stageKey,
  startDeployedBench,
  type DeployedBench,
} from './deployed';
import {
  failureWindowsMs,
  splitByWindows,
  type LatencySplit,
  type RotationWindow,
} from './load-windows';
import { formatMs, formatRatio, ratio, summarize } from './stats';
import type { BenchOptions, FigureResult, FigureRow } from './types';

const GOAL_P99_RATIO = 1.1;
/** Requests per second per app: six apps share two cores with the emulator and the function. */
const RATE_PER_SECOND = 25;
/** Quiet time after each rotation, so that "outside" has as many requests as "inside". */
const GAP_MS = 300;
/** Every fourth rotation is the scheduler's (all due secrets at once); the others are forced. */
const SCHEDULED_EVERY = 4;
const DAY_MS = 24 * 60 * 60 * 1000;
const MODE_LABELS: Readonly<Record<AppSettings['mode'], string>> = {
  reader: 'reader.withKey',
  interceptor: 'keyAuthInterceptor',
  fixed: 'no client/',
};
/** High enough that the rate limit plays no part: the figure is about rotation, not the limit. */
const UNLIMITED = { perMinute: 6_000_000, burst: 100_000 };

type ScenarioId = 'polytomicTwoUser' | 'poelis' | 'polytomicSingleUser' | 'control';

interface Scenario {
  readonly id: ScenarioId;
  readonly label: string;
  readonly secretArn: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Goal applies (single-user has a documented failure window instead). */
  readonly zeroDowntime: boolean;
  readonly poelis?: PoelisFixture;
}

export async function appUnderLoad(options: BenchOptions): Promise<FigureResult> {
  const rotations = options.quick ? 4 : 100;
  const bench = await startDeployedBench({ poelisRateLimit: UNLIMITED });
  const apps: { scenario: Scenario; mode: AppSettings['mode']; app: RunningApp }[] = [];
  try {
    // The other secrets of the bench stack stay out of the scheduler's runs.
    for (const name of ['bench/polytomic-next-rotation', 'bench/poelis-next-rotation']) {
      await bench.admin.secrets.send(
        new CancelRotateSecretCommand({ SecretId: bench.secretArn(name) }),
      );
    }
    const scenarios = await setUpScenarios(bench);
    const control = await controlScenario(bench);
    const started = await Promise.all([
      ...scenarios.flatMap((scenario) =>
        (['reader', 'interceptor'] as const).map(async (mode) => ({
          scenario,
          mode,
          app: await startApp(appSettings(bench, scenario, mode)),
        })),
      ),
      (async () => ({
        scenario: control,
        mode: 'fixed' as const,
        app: await startApp(appSettings(bench, control, 'fixed')),
      }))(),
    ]);
    apps.push(...started);
    const windows = await rotateRepeatedly(bench, scenarios, rotations);
    const reports = await Promise.all(
      apps.map(async (entry) => ({ ...entry, report: await entry.app.stop() })),
    );
    apps.length = 0;
    return summarizeLoad(bench, scenarios, reports, windows, rotations);
  } finally {
    await Promise.allSettled(apps.map((entry) => entry.app.stop()));
    await bench.close();
  }
}

async function setUpScenarios(bench: DeployedBench): Promise<Scenario[]> {
  const polytomic = (path: string): { url: string; headers: Record<string, string> } => ({
    url: new URL(path, bench.world.urls.polytomic).href,
    headers: { 'x-polytomic-version': '2025-09-18' },
  });
  const twoUser = await putPolytomicKey(bench, 'bench/polytomic-two-user', { standby: true });
  const singleUser = await putPolytomicKey(bench, 'bench/polytomic-single-user', {
    standby: false,
  });
  const poelis = await putPoelisKey(bench, 'bench/poelis');
  return [
    {
      id: 'polytomicTwoUser',
      label: 'Polytomic, two users',
      secretArn: twoUser.secretArn,
      zeroDowntime: true,
      ...polytomic('/api/me'),
    },
    {
      id: 'poelis',
      label: 'Poelis (staged keys)',
      secretArn: poelis.secretArn,
      url: new URL('/v1/public/workspaces?limit=1', bench.world.urls.poelis).href,
      headers: {},
      zeroDowntime: true,
      poelis,
    },
    {
      id: 'polytomicSingleUser',
      label: 'Polytomic, single user',
      secretArn: singleUser.secretArn,
      zeroDowntime: false,
      ...polytomic('/api/me'),
    },
  ];
}

/**
 * The control: an app whose secret never rotates, calling Polytomic with a key it read once. Its
 * latency while the others' secrets rotate shows what the shared machine alone costs.
 */
async function controlScenario(bench: DeployedBench): Promise<Scenario> {
  const fixture = await putPolytomicKey(bench, 'bench/polytomic-next-rotation', { standby: true });
  return {
    id: 'control',
    label: 'Control (a key that does not rotate, read once)',
    secretArn: fixture.secretArn,
    url: new URL('/api/me', bench.world.urls.polytomic).href,
    headers: { 'x-polytomic-version': '2025-09-18' },
    zeroDowntime: false,
  };
}

function appSettings(
  bench: DeployedBench,
  scenario: Scenario,
  mode: AppSettings['mode'],
): AppSettings {
  const credentials = bench.appCredentials();
  return {
    mode,
    secretArn: scenario.secretArn,
    aws: { endpoint: bench.world.urls.aws, region: bench.world.aws.region, credentials },
    url: scenario.url,
    headers: scenario.headers,
    ratePerSecond: RATE_PER_SECOND,
  };
}

/**
 * `rotations` rotations of every scenario's secret: forced ones one secret at a time, and every
 * fourth round the scheduler's, which rotates all due secrets at once. Poelis: the operator stages
 * a key before each rotation and revokes the old one in the web app when reminded.
 */
async function rotateRepeatedly(
  bench: DeployedBench,
  scenarios: readonly Scenario[],
  rotations: number,
): Promise<RotationWindow[]> {
  const windows: RotationWindow[] = [];
  const failure = (secretArn: string): string | undefined => {
    try {
      assertRotated(bench, secretArn);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  const poelisKeys = new Map<string, string>();
  for (const scenario of scenarios) {
    if (scenario.poelis) poelisKeys.set(scenario.secretArn, scenario.poelis.keyName);
  }
  const stage = async (scenario: Scenario, round: number): Promise<void> => {
    if (scenario.poelis)
      await stageKey(
        bench,
        scenario.poelis,
        `${scenario.poelis.keyName.replace(/ #\d+$/, '')} #${round + 2}`,
      );
  };
  const revokeOld = (scenario: Scenario, round: number): void => {
    if (!scenario.poelis) return;
    const old = poelisKeys.get(scenario.secretArn);
    if (old !== undefined) bench.world.poelis.admin.revokeKey(scenario.poelis.organizationId, old);
    poelisKeys.set(
      scenario.secretArn,
      `${scenario.poelis.keyName.replace(/ #\d+$/, '')} #${round + 2}`,
    );
  };
  for (let round = 0; round < rotations; round++) {
    if (round % SCHEDULED_EVERY === SCHEDULED_EVERY - 1) {
      for (const scenario of scenarios) await stage(scenario, round);
      const startMs = Date.now();
      bench.clock.advance(31 * DAY_MS);
      await bench.world.aws.runDueRotations();
      await bench.world.aws.waitForRotations();
      const failed = scenarios.map((scenario) => failure(scenario.secretArn));
      for (const [index, scenario] of scenarios.entries()) {
        if (failed[index] === undefined) revokeOld(scenario, round);
      }
      const endMs = Date.now();
      for (const [index, scenario] of scenarios.entries()) {
        windows.push({
          secretArn: scenario.secretArn,
          startMs,
          endMs,
          trigger: 'scheduled',
          ...(failed[index] === undefined ? {} : { failed: failed[index] }),
        });
      }
      await sleep(GAP_MS);
      continue;
    }
    for (const scenario of scenarios) {
      await stage(scenario, round);
      const startMs = Date.now();
      await forceRotation(bench, scenario.secretArn);
      await bench.world.aws.waitForRotations(scenario.secretArn);
      const failed = failure(scenario.secretArn);
      if (failed === undefined) revokeOld(scenario, round);
      windows.push({
        ...(failed === undefined ? {} : { failed }),
        secretArn: scenario.secretArn,
        startMs,
        endMs: Date.now(),
        trigger: 'forced',
      });
      await sleep(GAP_MS);
    }
  }
  return windows;
}

interface AppResult {
  readonly scenario: ScenarioId;
  readonly mode: AppSettings['mode'];
  readonly split: LatencySplit;
  readonly p99Ratio: number | undefined;
  readonly failureWindowsMs: readonly number[];
  readonly peakRssBytes: number;
}

function summarizeLoad(
  bench: DeployedBench,
  scenarios: readonly Scenario[],
  reports: readonly { scenario: Scenario; mode: AppSettings['mode']; report: AppReport }[],
  windows: readonly RotationWindow[],
  rotations: number,
): FigureResult {
  const results: AppResult[] = reports.map(({ scenario, mode, report }) => {
    // The control's "inside" is every window: it has none of its own.
    const split =
      scenario.id === 'control'
        ? splitByWindows(
            report,
            windows.map((w) => ({ ...w, secretArn: scenario.secretArn })),
            scenario.secretArn,
          )
        : splitByWindows(report, windows, scenario.secretArn);
    return {
      scenario: scenario.id,
      mode,
      split,
      p99Ratio: ratio(split.inside.p99, split.outside.p99),
      failureWindowsMs: failureWindowsMs(report, windows, scenario.secretArn),
      peakRssBytes: report.peakRssBytes,
    };
  });
  const label = (id: ScenarioId): string =>
    scenarios.find((s) => s.id === id)?.label ?? 'Control (a key that does not rotate)';
  const zeroDowntime = results.filter(
    (r) => scenarios.find((s) => s.id === r.scenario)?.zeroDowntime,
  );
  const failedRotations = windows.filter((w) => w.failed !== undefined);
  const goalMet =
    failedRotations.length === 0 &&
    zeroDowntime.every(
      (r) => r.split.failed === 0 && r.p99Ratio !== undefined && r.p99Ratio <= GOAL_P99_RATIO,
    );
  const rotationRow: FigureRow = {
    measure: 'failed rotations',
    value: `${failedRotations.length} of ${windows.length}${failedRotations[0]?.failed ? ` (first: ${failedRotations[0].failed.slice(0, 160)})` : ''}`,
    baseline: '0',
    ratio: 'n/a',
  };
  const rows: FigureRow[] = [
    rotationRow,
    ...results.flatMap((r) => {
      const name = `${label(r.scenario)}, ${MODE_LABELS[r.mode]}`;
      const latency: FigureRow = {
        measure: `${name}: p99 (p50) while its secret rotates`,
        value: `${formatMs(r.split.inside.p99)} (${formatMs(r.split.inside.p50)}), n=${r.split.inside.count}`,
        baseline: `${formatMs(r.split.outside.p99)} (${formatMs(r.split.outside.p50)}) outside, n=${r.split.outside.count}`,
        ratio: `${formatRatio(r.p99Ratio)} (${formatRatio(ratio(r.split.inside.p50, r.split.outside.p50))})`,
      };
      const failed: FigureRow = {
        measure: `${name}: failed requests`,
        value: `${r.split.failed} of ${r.split.requests.toLocaleString('en-US')}`,
        baseline: '0',
        ratio: 'n/a',
      };
      if (r.scenario === 'control') {
        return [{ ...latency, measure: `${name}: p99 (p50) while any secret rotates` }];
      }
      if (r.scenario !== 'polytomicSingleUser') return [failed, latency];
      const spans = r.failureWindowsMs.length > 0 ? summarize(r.failureWindowsMs) : undefined;
      const rotationSpan = summarize(
        windows
          .filter((w) => w.secretArn === scenarios[2].secretArn)
          .map((w) => w.endMs - w.startMs),
      );
      return [
        failed,
        {
          measure: `${name}: failure window per rotation (documented: createSecret to finishSecret)`,
          value: spans
            ? `${formatMs(spans.median)} median, ${formatMs(spans.max)} max, ${spans.runs} rotations`
            : 'none',
          baseline: `${formatMs(rotationSpan.median)} (rotation, RotateSecret → finished)`,
          ratio: formatRatio(spans ? ratio(spans.median, rotationSpan.median) : undefined),
        },
      ];
    }),
  ];
  const scheduled = windows.filter((w) => w.trigger === 'scheduled').length / scenarios.length;
  return {
    id: 'appUnderLoad',
    title: `7. App under load (${rotations} rotations per secret, forced and scheduled, on the deployed stack)`,
    goal: `0 failed requests; p99 while the secret rotates ≤ ${GOAL_P99_RATIO}× p99 outside rotations (two-user Polytomic and Poelis); single-user's failure window measured`,
    goalMet,
    rows,
    notes: [
      `Each app is its own process calling the vendor simulator at ${RATE_PER_SECOND} requests/s (open loop) with the key from client/ (default max age 5 min), signed as the stack's reader role; ${scheduled} rotations per secret were the scheduler's (all three secrets at once, clock moved 31 days), the rest "Rotate secret immediately", one secret at a time, ${GAP_MS} ms apart.`,
      'A window runs from RotateSecret (or the scheduler run) to finishSecret, plus, for Poelis, the operator revoking the old key in the web app when reminded; "outside" is every request that started while no secret rotated. The ratio column is p99 (p50).',
      "Everything shares two cores: during a window the function's process and the emulator take CPU from the simulator that answers the app. The control app, whose key never rotates and which has no client/, shows that share: its ratio is what the machine alone adds, and bounds the others'.",
      `IAM denials during the run: ${bench.denials.length}.`,
    ],
    data: {
      rotations,
      ratePerSecond: RATE_PER_SECOND,
      gapMs: GAP_MS,
      results,
      windows: windows.length,
    },
  };
}
