/**
 * Figure 5, reader: the app-side cost of reading the key. Cached `getKey()` throughput, and
 * the GetSecretValue calls that many concurrent callers make on a cold cache, for client/'s
 * createKeyReader and for Powertools Parameters' SecretsProvider with the same max age.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { performance } from 'node:perf_hooks';
import { createKeyReader } from '../client';
import { localAwsConfig, provisionPoelisSecret } from '../local/scenarios';
import { formatRatio, ratio, summarize, type Summary } from './stats';
import type { BenchOptions, FigureResult } from './types';
import { startBenchWorld } from './world';

const MAX_AGE_SECONDS = 300;
const GET_SECRET_VALUE = 'secretsmanager.GetSecretValue';

/** Something that hands out the secret, as each library is used by an app. */
type ReadSecret = () => Promise<unknown>;

/** Cached reads per second: `iterations` sequential awaits after one read that fills the cache. */
async function cachedOpsPerSecond(
  read: ReadSecret,
  iterations: number,
  runs: number,
): Promise<Summary> {
  await read();
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    for (let i = 0; i < iterations; i++) await read();
    samples.push(iterations / ((performance.now() - started) / 1000));
  }
  return summarize(samples);
}

export async function reader(options: BenchOptions): Promise<FigureResult> {
  const iterations = options.quick ? 100_000 : 500_000;
  const runs = options.quick ? 3 : 7;
  const concurrent = options.quick ? 1_000 : 10_000;
  const bench = await startBenchWorld();
  try {
    const { secretArn } = await provisionPoelisSecret(bench.world, bench.clients, {
      name: 'bench/reader',
      kmsKeyId: bench.kmsKeyArn,
    });
    const config = localAwsConfig(bench.world);
    const keyReader = () =>
      createKeyReader({
        secretId: secretArn,
        maxAgeMs: MAX_AGE_SECONDS * 1000,
        client: bench.clients.secrets,
      });
    const powertools = () => {
      const provider = new SecretsProvider({ clientConfig: config });
      return () => provider.get(secretArn, { maxAge: MAX_AGE_SECONDS });
    };
    const ours = keyReader();
    const theirs = powertools();
    // Interleaved so that drift hits both alike.
    const oursOps: number[] = [];
    const theirsOps: number[] = [];
    for (let run = 0; run < runs; run++) {
      oursOps.push((await cachedOpsPerSecond(() => ours.getKey(), iterations, 1)).median);
      theirsOps.push((await cachedOpsPerSecond(theirs, iterations, 1)).median);
    }
    const oursCached = summarize(oursOps);
    const theirsCached = summarize(theirsOps);

    const coldCalls = async (read: ReadSecret): Promise<number> => {
      const before = bench.world.aws.calls()[GET_SECRET_VALUE] ?? 0;
      await Promise.all(Array.from({ length: concurrent }, () => read()));
      return (bench.world.aws.calls()[GET_SECRET_VALUE] ?? 0) - before;
    };
    const coldReader = keyReader();
    const oursCold = await coldCalls(() => coldReader.getKey());
    const theirsCold = await coldCalls(powertools());

    const formatOps = (summary: Summary): string =>
      `${(summary.median / 1e6).toFixed(2)} M ops/s (${(summary.min / 1e6).toFixed(2)}–${(summary.max / 1e6).toFixed(2)}, n=${summary.runs})`;
    return {
      id: 'reader',
      title: '5. Reader (client/ createKeyReader vs Powertools SecretsProvider)',
      goal: 'a cached read costs nothing; one GetSecretValue for many concurrent callers (reported side by side)',
      goalMet: undefined,
      rows: [
        {
          measure: 'cached getKey() throughput',
          value: formatOps(oursCached),
          baseline: formatOps(theirsCached),
          ratio: formatRatio(ratio(oursCached.median, theirsCached.median)),
        },
        {
          measure: `GetSecretValue calls, ${concurrent.toLocaleString('en-US')} concurrent cold reads`,
          value: String(oursCold),
          baseline: String(theirsCold),
          ratio: formatRatio(ratio(oursCold, theirsCold)),
        },
      ],
      notes: [
        `Both with max age ${MAX_AGE_SECONDS} s against the emulator; cached throughput is ${iterations.toLocaleString('en-US')} sequential awaited reads per run, ${runs} runs each, interleaved; ratio > 1 means the reader is faster.`,
        'Powertools caches a value once its first read returns; callers that arrive before that each call GetSecretValue. The reader shares one read in flight among all callers.',
      ],
      data: {
        maxAgeSeconds: MAX_AGE_SECONDS,
        iterations,
        cachedOpsPerSecond: { keyReader: oursCached, powertools: theirsCached },
        concurrentColdReads: concurrent,
        getSecretValueCalls: { keyReader: oursCold, powertools: theirsCold },
      },
    };
  } finally {
    await bench.close();
  }
}
