/**
 * Figure 1, cold start: how long a fresh Node process takes to load the rotation bundle and
 * run its module initialisation, against two baselines: the floor (a bundle of a handler that
 * only uses the Secrets Manager client) and the peer (AWS's rotation template in Python with
 * boto3, bench/template/). Tries of what could lower load time are measured beside it, and
 * probe bundles of single dependencies show where the load time goes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BuildOptions, Metafile } from 'esbuild';
import { FunctionEnv, METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/shared/contracts';
import {
  bundleEntry,
  bundleSource,
  bytesByPackage,
  PROJECT_ROOT,
  type PackageBytes,
} from './bundles';
import { ensureBoto3, loadTemplateOnce, PYTHON, type LoadSample } from './python-template';
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
const ROTATION_ENTRY = join(PROJECT_ROOT, 'lambda', 'rotation', 'index.ts');
const ROTATION_METAFILE = join(PROJECT_ROOT, 'dist', 'meta', 'rotation.json');
/** Goals: against the SM-only floor, and against the Python template. */
const GOAL_FLOOR_RATIO = 1.3;
const GOAL_TEMPLATE_RATIO = 0.6;

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
  'SM + KMS + SNS + EventBridge clients': `
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
const clients = [new SecretsManagerClient({}), new KMSClient({}), new SNSClient({}), new EventBridgeClient({})];
export const handler = () => clients.length;
`,
  'EventBridge client': `
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
const client = new EventBridgeClient({});
export const handler = () => client.send(new PutEventsCommand({ Entries: [] }));
`,
};

/** The rotation entry (lambda/rotation/index.ts) with the notice clients loaded on first use. */
const LAZY_NOTICES_ENTRY = `
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Notifier } from './lambda/aws/notifications';
import type { RotationEventPublisher } from './lambda/aws/rotation-events';
import { SecretsStore } from './lambda/aws/secrets';
import { HttpClient } from './lambda/http/client';
import { FunctionEnv, METRICS_NAMESPACE, SERVICE_NAME } from './lambda/shared/contracts';
import { readRotatorConfig } from './lambda/rotation/config';
import { createRotationHandler } from './lambda/rotation/handler';
const serviceName = process.env[FunctionEnv.ServiceName] ?? SERVICE_NAME;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ serviceName, namespace: process.env[FunctionEnv.MetricsNamespace] ?? METRICS_NAMESPACE });
const config = readRotatorConfig(process.env);
const topicArn = config.notifyTopicArn;
let notifier: Promise<Notifier> | undefined;
let events: Promise<RotationEventPublisher> | undefined;
export const handler = createRotationHandler({
  config,
  secrets: new SecretsStore(new SecretsManagerClient({})),
  kms: new KMSClient({}),
  http: new HttpClient({ policy: config.originPolicy, log: logger }),
  notifier: {
    notify: async (subject, message) => {
      notifier ??= Promise.all([import('@aws-sdk/client-sns'), import('./lambda/aws/notifications')]).then(
        ([sns, notices]) => topicArn === undefined ? notices.silentNotifier : new notices.SnsNotifier(new sns.SNSClient({}), topicArn),
      );
      await (await notifier).notify(subject, message);
    },
  },
  events: {
    publish: async (event) => {
      events ??= Promise.all([import('@aws-sdk/client-eventbridge'), import('./lambda/aws/rotation-events')]).then(
        ([eventBridge, publishers]) => new publishers.EventBridgePublisher(new eventBridge.EventBridgeClient({})),
      );
      return (await events).publish(event);
    },
  },
  logger,
  metrics,
});
`;

/** undici's Agent and request() imported from their own modules instead of undici's index. */
const UNDICI_PARTS_PROBE = `
import Agent from 'undici/lib/dispatcher/agent.js';
import api from 'undici/lib/api/index.js';
const agent = new Agent({ connect: { timeout: 5000 } });
export const handler = (url: string) => api.request.call(agent, { origin: new URL(url).origin, path: '/', method: 'GET' });
`;

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

async function loadOnce(file: string): Promise<LoadSample> {
  const { stdout } = await run(process.execPath, ['-e', LOADER, file], { env: LOAD_ENVIRONMENT });
  return JSON.parse(stdout) as LoadSample;
}

interface Subject {
  readonly name: string;
  readonly bytes: number;
  /** One cold load in a fresh process. */
  readonly load: () => Promise<LoadSample>;
}

interface SubjectResult {
  readonly name: string;
  readonly bytes: number;
  readonly load: Summary;
  readonly rssBytes: number;
}

/** A Node bundle as a subject. */
function bundleSubject(name: string, file: string, bytes: number): Subject {
  return { name, bytes, load: () => loadOnce(file) };
}

/** Loads every subject `runs` times, interleaved so drift on a shared machine hits all alike. */
async function measure(subjects: readonly Subject[], runs: number): Promise<SubjectResult[]> {
  const samples = subjects.map((): LoadSample[] => []);
  for (const subject of subjects) await subject.load(); // page cache warm-up, not counted
  for (let i = 0; i < runs; i++) {
    for (const [index, subject] of subjects.entries()) {
      samples[index].push(await subject.load());
    }
  }
  return subjects.map((subject, index) => ({
    name: subject.name,
    bytes: subject.bytes,
    load: summarize(samples[index].map((sample) => sample.loadMs)),
    rssBytes: summarize(samples[index].map((sample) => sample.rssBytes)).median,
  }));
}

/** What was tried to lower load time, and whether the deployed bundle keeps it. */
interface LoadTry {
  readonly name: string;
  /** A source to bundle, or the rotation entry with settings changed. */
  readonly source: string | BuildOptions;
  readonly verdict: (result: SubjectResult, deployed: SubjectResult) => string;
}

/** Faster by more than the spread of repeated loads on this machine. */
const wins = (result: SubjectResult, deployed: SubjectResult): boolean =>
  result.load.median < deployed.load.median * 0.9;

const TRIES: readonly LoadTry[] = [
  {
    name: 'try: not minified',
    source: { minify: false },
    verdict: (result, deployed) =>
      result.load.median > deployed.load.median
        ? 'minifying is faster: kept (scripts/bundle.ts)'
        : 'no faster minified; kept for bytes',
  },
  {
    name: 'try: without keepNames',
    source: { keepNames: false },
    verdict: (result, deployed) =>
      `${wins(result, deployed) ? 'faster' : 'within noise'}; not applied: callers and tests match error class names`,
  },
  {
    name: "try: dependencies' CommonJS builds (mainFields main first)",
    source: { mainFields: ['main', 'module'] },
    verdict: (result, deployed) =>
      wins(result, deployed)
        ? 'faster: worth applying in scripts/bundle.ts'
        : 'not faster: not applied',
  },
  {
    name: 'try: SNS and EventBridge clients loaded on first notice',
    source: LAZY_NOTICES_ENTRY,
    verdict: (result, deployed) =>
      wins(result, deployed)
        ? 'faster, though the cost moves to the first notice'
        : 'within noise: not applied (the EventBridge client stays loaded through lambda/rotation/reporting.ts; the cost would move to the first notice)',
  },
  {
    name: "try: undici's Agent and request() from their own modules",
    source: UNDICI_PARTS_PROBE,
    verdict: () =>
      'compare with "probe: undici alone"; would be a change to lambda/http/client.ts, not to an entry point',
  },
];

export async function coldStart(options: BenchOptions): Promise<FigureResult> {
  const runs = options.quick ? 3 : 15;
  /** Tries and probes explain the figure: fewer loads each, with their own reference loads. */
  const extraRuns = 6;
  const boto3Version = await ensureBoto3();
  const workDir = mkdtempSync(join(tmpdir(), 'api-key-rotator-bench-'));
  try {
    const baseline = await bundleSource(BASELINE_SOURCE, join(workDir, 'baseline', 'index.js'));
    const build = async (name: string, source: string, index: number) => ({
      name,
      ...(await bundleSource(source, join(workDir, `${index}`, 'index.js'))),
    });
    // Quick runs measure the goal's three subjects only.
    const probeSources = options.quick ? [] : Object.entries(PROBES);
    const tryList = options.quick ? [] : TRIES;
    const probes = await Promise.all(
      probeSources.map(([name, source], index) => build(name, source, 100 + index)),
    );
    const tries = await Promise.all(
      tryList.map(async (attempt, index) =>
        typeof attempt.source === 'string'
          ? build(attempt.name, attempt.source, 200 + index)
          : {
              name: attempt.name,
              ...(await bundleEntry(
                ROTATION_ENTRY,
                attempt.source,
                join(workDir, `${200 + index}`, 'index.js'),
              )),
            },
      ),
    );
    const rotationMetafile = JSON.parse(readFileSync(ROTATION_METAFILE, 'utf8')) as Metafile;
    const deployedSubject = bundleSubject(
      'rotation bundle',
      ROTATION_BUNDLE,
      statSync(ROTATION_BUNDLE).size,
    );
    const floorSubject = bundleSubject('SM-only handler', baseline.file, baseline.bytes);
    const [rotation, smOnly, template] = await measure(
      [
        deployedSubject,
        floorSubject,
        {
          name: 'AWS rotation template (Python, boto3)',
          bytes: statSync(join(__dirname, 'template', 'lambda_function.py')).size,
          load: () => loadTemplateOnce(LOAD_ENVIRONMENT),
        },
      ],
      runs,
    );
    const noExtras = tries.length + probes.length === 0;
    const [reference, floorReference, ...rest] = noExtras
      ? [rotation, smOnly]
      : await measure(
          [
            deployedSubject,
            floorSubject,
            ...tries.map((t) => bundleSubject(t.name, t.file, t.bytes)),
            ...probes.map((probe) => bundleSubject(probe.name, probe.file, probe.bytes)),
          ],
          extraRuns,
        );
    const tryResults = rest.slice(0, tries.length);
    const probeResults = rest.slice(tries.length);
    const floorRatio = ratio(rotation.load.median, smOnly.load.median);
    const templateRatio = ratio(rotation.load.median, template.load.median);
    const packages = bytesByPackage(rotationMetafile);
    const versus = (result: SubjectResult): string =>
      formatRatio(ratio(result.load.median, reference.load.median));
    return {
      id: 'coldStart',
      title: '1. Cold start (bundle load + init in a fresh process)',
      goal: `load time ≤ ${GOAL_TEMPLATE_RATIO}× AWS's rotation template (Python, boto3) and ≤ ${GOAL_FLOOR_RATIO}× the SM-only handler`,
      goalMet:
        floorRatio !== undefined &&
        templateRatio !== undefined &&
        floorRatio <= GOAL_FLOOR_RATIO &&
        templateRatio <= GOAL_TEMPLATE_RATIO,
      rows: [
        {
          measure: 'load time vs the template (peer)',
          value: formatSpread(rotation.load, formatMs),
          baseline: formatSpread(template.load, formatMs),
          ratio: formatRatio(templateRatio),
        },
        {
          measure: 'load time vs the SM-only handler (floor)',
          value: formatMs(rotation.load.median),
          baseline: formatSpread(smOnly.load, formatMs),
          ratio: formatRatio(floorRatio),
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
          baseline: `${formatBytes(smOnly.rssBytes)} (floor), ${formatBytes(template.rssBytes)} (template)`,
          ratio: formatRatio(ratio(rotation.rssBytes, smOnly.rssBytes)),
        },
        ...tryResults.map((result, index) => ({
          measure: result.name,
          value: `${formatMs(result.load.median)}, ${formatBytes(result.bytes)}: ${TRIES[index].verdict(result, reference)}`,
          baseline: `${formatMs(reference.load.median)} (deployed bundle, same ${extraRuns} rounds)`,
          ratio: versus(result),
        })),
        ...probeResults.map((probe) => ({
          measure: `probe: ${probe.name} alone`,
          value: `${formatMs(probe.load.median)}, ${formatBytes(probe.bytes)}`,
          baseline: `${formatMs(floorReference.load.median)} (SM-only, same rounds)`,
          ratio: formatRatio(ratio(probe.load.median, floorReference.load.median)),
        })),
      ],
      notes: [
        `Floor: a handler importing only @aws-sdk/client-secrets-manager, bundled with the settings of scripts/bundle.ts. Peer: bench/template/lambda_function.py, the template's steps with boto3 ${boto3Version} under ${PYTHON} (Debian's python3-boto3), timed from the import of the module through the creation of the boto3 client its first invocation makes; Node subjects are timed from require() through module initialisation. All three loaded ${runs} times, interleaved, Node ${process.version}; tries and probes ${extraRuns} times each, interleaved with the deployed bundle and the floor again, against which they are compared.`,
        "Load time excludes the runtime's own start (node or python3 before the first line), which Lambda pays for both alike.",
        `Rotation bundle bytes by package: ${describePackages(packages, rotation.bytes)}.`,
        "Tries are built from the project's sources with the same settings and show what each change would do; lazy loading moves the cost to the first invocation that needs the client, it does not remove it. Probe rows load one dependency alone and overlap (shared @smithy and node built-ins): they do not add up.",
      ],
      data: {
        runs,
        node: process.version,
        boto3: boto3Version,
        rotation: subjectData(rotation),
        baseline: subjectData(smOnly),
        template: subjectData(template),
        loadRatio: floorRatio,
        templateRatio,
        bytesRatio: ratio(rotation.bytes, smOnly.bytes),
        tries: tryResults.map(subjectData),
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
