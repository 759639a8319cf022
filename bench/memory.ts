/**
 * Figure 9, memory: the rotation function's resident memory during each step on the deployed
 * stack (sampled from /proc while it runs, cold and warm containers), and an app's while it reads
 * the key under load through client/, against the stack's memory size and a same-load app that
 * read its key once without client/.
 */
import { performance } from 'node:perf_hooks';
import type { RotationRecord } from '../local/aws';
import { startApp, type AppSettings } from './app-runner';
import { assertRotated, forceRotation, putPolytomicKey, startDeployedBench } from './deployed';
import { ContainerMemorySampler, type RssSample } from './process-memory';
import { formatBytes, formatRatio, ratio } from './stats';
import type { BenchOptions, FigureResult, FigureRow } from './types';

/** The stack's memory size for the rotation function (lib/rotation-function.ts). */
const MEMORY_MB = 256;
const MEMORY_BYTES = MEMORY_MB * 1024 * 1024;
const RATE_PER_SECOND = 50;
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

export async function memory(options: BenchOptions): Promise<FigureResult> {
  const rotations = options.quick ? 2 : 20;
  const bench = await startDeployedBench();
  try {
    const fixture = await putPolytomicKey(bench, 'bench/polytomic-two-user', { standby: true });
    const settings = (mode: AppSettings['mode']): AppSettings => ({
      mode,
      secretArn: fixture.secretArn,
      aws: {
        endpoint: bench.world.urls.aws,
        region: bench.world.aws.region,
        credentials: bench.appCredentials(),
      },
      url: new URL('/api/me', bench.world.urls.polytomic).href,
      headers: { 'x-polytomic-version': '2025-09-18' },
      ratePerSecond: RATE_PER_SECOND,
    });
    const apps = await Promise.all(
      (['reader', 'interceptor', 'fixed'] as const).map(async (mode) => ({
        mode,
        app: await startApp(settings(mode)),
      })),
    );
    const sampler = new ContainerMemorySampler(bench.rotationFunctionName);
    const cold: StepPeaks[] = [];
    const warm: StepPeaks[] = [];
    sampler.start();
    const started = performance.now();
    for (let run = 0; run < rotations; run++) {
      // Every other rotation starts in a new container: a cold start's step holds the load too.
      const isCold = run % 2 === 0;
      if (isCold) bench.world.runner.kill(bench.rotationFunctionName);
      const before = sampler.stop().samples.length;
      sampler.start();
      await forceRotation(bench, fixture.secretArn);
      await bench.world.aws.waitForRotations(fixture.secretArn);
      assertRotated(bench, fixture.secretArn);
      const record = bench.world.aws.rotationHistory(fixture.secretArn).at(-1);
      const samples = sampler.stop().samples.slice(before);
      sampler.start();
      if (record)
        (isCold ? cold : warm).push(stepPeaks(record, samples, bench.clock.now() - Date.now()));
    }
    const { peakBytes } = sampler.stop();
    const elapsedMs = performance.now() - started;
    const reports = await Promise.all(
      apps.map(async ({ mode, app }) => ({ mode, report: await app.stop() })),
    );
    const fixedRss = reports.find((r) => r.mode === 'fixed')?.report.peakRssBytes ?? 0;
    const stepRows: FigureRow[] = STEPS.map((step) => {
      const coldPeak = Math.max(0, ...cold.map((peaks) => peaks[step] ?? 0));
      const warmPeak = Math.max(0, ...warm.map((peaks) => peaks[step] ?? 0));
      return {
        measure: `function, ${step}: peak RSS (cold container / warm)`,
        value: `${formatBytes(coldPeak)} / ${formatBytes(warmPeak)}`,
        baseline: `${MEMORY_MB} MiB (the stack's memory size)`,
        ratio: formatRatio(ratio(Math.max(coldPeak, warmPeak), MEMORY_BYTES)),
      };
    });
    const appRows: FigureRow[] = reports
      .filter((r) => r.mode !== 'fixed')
      .map(({ mode, report }) => ({
        measure: `app under load, ${mode === 'reader' ? 'reader.withKey' : 'keyAuthInterceptor'}: peak RSS`,
        value: `${formatBytes(report.peakRssBytes)} (${report.startedAt.length.toLocaleString('en-US')} requests)`,
        baseline: `${formatBytes(fixedRss)} (same load, key read once without client/)`,
        ratio: formatRatio(ratio(report.peakRssBytes, fixedRss)),
      }));
    const goalMet = peakBytes > 0 && peakBytes <= MEMORY_BYTES;
    return {
      id: 'memory',
      title: '9. Memory (function per step, app reading under load)',
      goal: `the function's peak RSS within the stack's memory size (${MEMORY_MB} MB) at every step (reported against it)`,
      goalMet,
      rows: [
        ...stepRows,
        {
          measure: 'function: peak RSS of any container (kernel high-water mark)',
          value: formatBytes(peakBytes),
          baseline: `${MEMORY_MB} MiB`,
          ratio: formatRatio(ratio(peakBytes, MEMORY_BYTES)),
        },
        ...appRows,
      ],
      notes: [
        `${rotations} rotations of a two-user Polytomic secret on the deployed stack, every other one in a new container (cold); the container's VmRSS was read from /proc about every millisecond and each sample counted for the step running then; the high-water mark is the kernel's VmHWM.`,
        `Three apps called the vendor at ${RATE_PER_SECOND} requests/s each during the ${(elapsedMs / 1000).toFixed(1)} s of rotations; their peak is the process's maxRSS. The baseline app loads the same modules but reads its key once and never refreshes it (it would fail after the first rotation revokes it; its RSS is what matters here).`,
      ],
      data: {
        rotations,
        memoryMb: MEMORY_MB,
        cold,
        warm,
        peakBytes,
        apps: reports.map((r) => ({
          mode: r.mode,
          peakRssBytes: r.report.peakRssBytes,
          requests: r.report.startedAt.length,
        })),
      },
    };
  } finally {
    await bench.close();
  }
}

type StepPeaks = Partial<Record<(typeof STEPS)[number], number>>;

/** Highest sample while each step ran (its record's start, world clock, through its duration). */
function stepPeaks(
  record: RotationRecord,
  samples: readonly RssSample[],
  clockOffsetMs: number,
): StepPeaks {
  const peaks: StepPeaks = {};
  for (const step of record.steps) {
    const name = STEPS.find((s) => s === step.step);
    if (name === undefined) continue;
    const from = Date.parse(step.startedAt) - clockOffsetMs;
    const to = from + step.durationMs + 2;
    const during = samples.filter((sample) => sample.at >= from && sample.at <= to);
    peaks[name] = Math.max(peaks[name] ?? 0, 0, ...during.map((sample) => sample.rssBytes));
  }
  return peaks;
}
