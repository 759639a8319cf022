/**
 * Figure 1, cold start: how long a fresh Node process takes to load the rotation bundle and
 * run its module initialisation, against a bundle of a handler that only uses the Secrets
 * Manager client. Probe bundles of single dependencies show where the load time goes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { FunctionEnv, METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/shared/contracts';
import { bundleSource, bytesByPackage, PROJECT_ROOT, type PackageBytes } from './bundles';
import {
  formatBytes,
  formatRatio,
  formatSpread,
  formatMs,
  ratio,
  summarize,
  type Summary,
} from './stats';
import type { BenchOptions, FigureResult } from './types';

const run = promisify(execFile);

const ROTATION_BUNDLE = join(PROJECT_ROOT, 'dist', 'lambda', 'rotation', 'index.js');
const ROTATION_METAFILE = join(PROJECT_ROOT, 'dist', 'meta', 'rotation.json');
const GOAL_RATIO = 1.3;

/** The baseline: a handler that reads a secret and nothing else. */
const BASELINE_SOURCE = `
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
const client = new SecretsManagerClient({});
export const handler = async (event: { SecretId: string }) => {
  await client.send(new GetSecretValueCommand({ SecretId: event.SecretId }));
};
`;

/** Single dependencies of the rotation bundle, each used the way lambda/ uses it. */
const PROBES: Readonly<Record<string, string>> = {
  undici: `
import { Agent, request } from 'undici';
const agent = new Agent({ connect: { timeout: 5000 } });
export const handler = (url: string) => request(url, { dispatcher: agent });
`,
  'powertools logger + metrics': `
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
const logger = new Logger({ serviceName: 'probe' });
const metrics = new Metrics({ serviceName: 'probe', namespace: 'Probe' });
export const handler = () => { logger.info('x'); metrics.publishStoredMetrics(); };
`,
  'SM + KMS + SNS clients': `
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
const clients = [new SecretsManagerClient({}), new KMSClient({}), new SNSClient({})];
export const handler = () => clients.length;
`,
};

/** Loads a bundle in a fresh process and reports the time `require` took and the RSS after it. */
const LOADER = `
const { performance } = require('node:perf_hooks');
const started = performance.now();
const loaded = require(process.argv[1]);
const loadMs = performance.now() - started;
if (typeof loaded.handler !== 'function') throw new Error('the bundle exports no handler');
process.stdout.write(JSON.stringify({ loadMs, rssBytes: process.memoryUsage.rss() }));
`;

/** What a Lambda container would set; the bundles read these at load. */
const LOAD_ENVIRONMENT = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  [FunctionEnv.ServiceName]: SERVICE_NAME,
  [FunctionEnv.MetricsNamespace]: METRICS_NAMESPACE,
};

interface LoadSample {
  readonly loadMs: number;
  readonly rssBytes: number;
}

async function loadOnce(file: string): Promise<LoadSample> {
  const { stdout } = await run(process.execPath, ['-e', LOADER, file], { env: LOAD_ENVIRONMENT });
  return JSON.parse(stdout) as LoadSample;
}

interface Subject {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
}

interface SubjectResult extends Subject {
  readonly load: Summary;
  readonly rssBytes: number;
}

/** Loads every subject `runs` times, interleaved so drift on a shared machine hits all alike. */
async function measure(subjects: readonly Subject[], runs: number): Promise<SubjectResult[]> {
  const samples = subjects.map((): LoadSample[] => []);
  for (const subject of subjects) await loadOnce(subject.file); // page cache warm-up, not counted
  for (let i = 0; i < runs; i++) {
    for (const [index, subject] of subjects.entries()) {
      samples[index].push(await loadOnce(subject.file));
    }
  }
  return subjects.map((subject, index) => ({
    ...subject,
    load: summarize(samples[index].map((sample) => sample.loadMs)),
    rssBytes: summarize(samples[index].map((sample) => sample.rssBytes)).median,
  }));
}

export async function coldStart(options: BenchOptions): Promise<FigureResult> {
  const runs = options.quick ? 5 : 20;
  const workDir = mkdtempSync(join(tmpdir(), 'api-key-rotator-bench-'));
  try {
    const baseline = await bundleSource(BASELINE_SOURCE, join(workDir, 'baseline', 'index.js'));
    const probes = await Promise.all(
      Object.entries(PROBES).map(async ([name, source], index) => ({
        name,
        ...(await bundleSource(source, join(workDir, `probe-${index}`, 'index.js'))),
      })),
    );
    const rotationMetafile = JSON.parse(readFileSync(ROTATION_METAFILE, 'utf8')) as Metafile;
    const [rotation, smOnly, ...probeResults] = await measure(
      [
        { name: 'rotation bundle', file: ROTATION_BUNDLE, bytes: statSync(ROTATION_BUNDLE).size },
        { name: 'SM-only handler', file: baseline.file, bytes: baseline.bytes },
        ...probes.map((probe) => ({ name: probe.name, file: probe.file, bytes: probe.bytes })),
      ],
      runs,
    );
    const loadRatio = ratio(rotation.load.median, smOnly.load.median);
    const packages = bytesByPackage(rotationMetafile);
    return {
      id: 'coldStart',
      title: '1. Cold start (bundle load + init in a fresh node process)',
      goal: `load time ≤ ${GOAL_RATIO}× the SM-only handler`,
      goalMet: loadRatio !== undefined && loadRatio <= GOAL_RATIO,
      rows: [
        {
          measure: 'load time',
          value: formatSpread(rotation.load, formatMs),
          baseline: formatSpread(smOnly.load, formatMs),
          ratio: formatRatio(loadRatio),
        },
        {
          measure: 'bundle bytes',
          value: formatBytes(rotation.bytes),
          baseline: formatBytes(smOnly.bytes),
          ratio: formatRatio(ratio(rotation.bytes, smOnly.bytes)),
        },
        {
          measure: 'RSS after load',
          value: formatBytes(rotation.rssBytes),
          baseline: formatBytes(smOnly.rssBytes),
          ratio: formatRatio(ratio(rotation.rssBytes, smOnly.rssBytes)),
        },
        ...probeResults.map((probe) => ({
          measure: `probe: ${probe.name} alone`,
          value: `${formatMs(probe.load.median)}, ${formatBytes(probe.bytes)}`,
          baseline: formatMs(smOnly.load.median),
          ratio: formatRatio(ratio(probe.load.median, smOnly.load.median)),
        })),
      ],
      notes: [
        `Baseline: a handler importing only @aws-sdk/client-secrets-manager, bundled with the settings of scripts/bundle.ts; both loaded ${runs} times, interleaved, with ${process.execPath} ${process.version}.`,
        `Rotation bundle bytes by package: ${describePackages(packages, rotation.bytes)}.`,
        'Probe rows load one dependency alone (same settings) and show where load time goes; their times overlap (shared @smithy and node built-ins), they do not add up.',
      ],
      data: {
        runs,
        node: process.version,
        rotation: subjectData(rotation),
        baseline: subjectData(smOnly),
        loadRatio,
        bytesRatio: ratio(rotation.bytes, smOnly.bytes),
        probes: probeResults.map(subjectData),
        rotationBytesByPackage: packages,
        baselineBytesByPackage: bytesByPackage(baseline.metafile),
      },
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function subjectData(subject: SubjectResult): Record<string, unknown> {
  return {
    name: subject.name,
    bytes: subject.bytes,
    loadMs: subject.load,
    rssBytes: subject.rssBytes,
  };
}

/** The largest packages with their share of the bundle, the rest summed. */
function describePackages(packages: readonly PackageBytes[], total: number): string {
  const shown = 8;
  const share = (bytes: number): string => `${((bytes / total) * 100).toFixed(0)} %`;
  const top = packages
    .slice(0, shown)
    .map((p) => `${p.name} ${formatBytes(p.bytes)} (${share(p.bytes)})`);
  const restBytes = packages.slice(shown).reduce((sum, p) => sum + p.bytes, 0);
  const rest =
    packages.length > shown ? [`${packages.length - shown} others ${formatBytes(restBytes)}`] : [];
  return [...top, ...rest].join(', ');
}
