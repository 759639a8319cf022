/**
 * CloudWatch metrics and metric alarms, in process: metrics arrive from the functions' log lines
 * (embedded metric format), from the Lambda runner (AWS/Lambda) and from other emulated services
 * (AWS/Events, AWS/SNS); alarms are created from `AWS::CloudWatch::Alarm` properties and publish
 * to SNS as `cloudwatch.amazonaws.com` when they change state.
 *
 * Alarms are evaluated when a datapoint arrives for the metric they watch and when `evaluateAll()`
 * is called; real CloudWatch evaluates every minute instead (EMULATOR.md).
 */
import { randomBytes } from 'node:crypto';
import type { Principal } from './authorization';
import { AwsError } from './errors';
import type { Clock } from './types';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type AlarmStatistic = 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'SampleCount';
export type AlarmComparisonOperator =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';
export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';
export type AlarmHistoryItemType = 'ConfigurationUpdate' | 'StateUpdate' | 'Action';

/**
 * Publishes to an SNS topic as an AWS service. The world wires it to SNS's publish-as-a-service
 * path, which evaluates the topic policy (and the topic's KMS key) and throws an `AwsError` when
 * the service is denied.
 */
export type ServicePublisher = (
  principal: Principal,
  topicArn: string,
  subject: string,
  message: string,
  context: Record<string, string>,
) => Promise<void>;

/** One metric: a namespace, a name and one exact set of dimensions. */
export interface MetricSeries {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** The unit the last datapoint declared, if any. */
  unit?: string;
  /** `[epochMs, value]`, in arrival order. */
  samples: [number, number][];
}

export interface AlarmConfig {
  description?: string;
  actionsEnabled: boolean;
  alarmActions: string[];
  okActions: string[];
  insufficientDataActions: string[];
  namespace: string;
  metricName: string;
  /** In the order the alarm declared them. */
  dimensions: { name: string; value: string }[];
  statistic: AlarmStatistic;
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  threshold: number;
  comparisonOperator: AlarmComparisonOperator;
  treatMissingData: TreatMissingData;
  tags: { key: string; value: string }[];
}

export interface AlarmHistoryItem {
  alarmName: string;
  /** ISO-8601. */
  timestamp: string;
  historyItemType: AlarmHistoryItemType;
  historySummary: string;
  /** JSON text, as DescribeAlarmHistory returns it. */
  historyData: string;
}

export interface AlarmRecord {
  name: string;
  arn: string;
  config: AlarmConfig;
  state: AlarmStateValue;
  reason: string;
  stateUpdatedAt: number;
  configurationUpdatedAt: number;
  /** Oldest first; bounded. */
  history: AlarmHistoryItem[];
}

/** Everything the service keeps: plain JSON. */
export interface CloudWatchState {
  /** By metric key (see `metricKey`). */
  metrics: Record<string, MetricSeries>;
  /** By alarm name. */
  alarms: Record<string, AlarmRecord>;
  emf: {
    /** Embedded-metric-format documents whose metrics were recorded. */
    accepted: number;
    /** Documents that carried `_aws` but broke the specification, and were dropped. */
    rejected: number;
    lastRejection?: { functionName: string; reason: string };
  };
}

export function emptyCloudWatchState(): CloudWatchState {
  return { metrics: {}, alarms: {}, emf: { accepted: 0, rejected: 0 } };
}

export interface CloudWatchServiceOptions {
  readonly region: string;
  readonly accountId: string;
  readonly clock: Clock;
  /** Publishes alarm notifications; see `ServicePublisher`. */
  readonly notify: ServicePublisher;
  /** State to continue from. @default empty */
  readonly state?: CloudWatchState;
  /**
   * Which time an embedded-metric-format datapoint is stamped with: `arrival` (the emulator's
   * clock when the line arrives) or `document` (`_aws.Timestamp`). Functions run on the real
   * clock while the world may run a manual one, so arrival is the default.
   */
  readonly emfTimestamps?: 'arrival' | 'document';
  /** Datapoints kept per metric; the oldest are dropped beyond it. @default 10000 */
  readonly maxSamplesPerMetric?: number;
}

export interface AlarmSummary {
  readonly name: string;
  readonly arn: string;
  readonly state: AlarmStateValue;
  readonly reason: string;
}

export interface InvocationOutcome {
  readonly ok: boolean;
  readonly durationMs: number;
  readonly throttled?: boolean;
}

const SERVICE_PRINCIPAL: Principal = { kind: 'service', service: 'cloudwatch.amazonaws.com' };
const MINUTE_MS = 60_000;
// AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html (1-minute data kept 15 days)
const RETENTION_MS = 15 * 24 * 60 * MINUTE_MS;
// AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html (2 weeks back, 2 hours ahead)
const MAX_PAST_MS = 14 * 24 * 60 * MINUTE_MS;
const MAX_FUTURE_MS = 2 * 60 * MINUTE_MS;
const MAX_DIMENSIONS = 30;
const MAX_HISTORY_ITEMS = 200;
/** How many periods beyond EvaluationPeriods an evaluation looks back (AWS's example: 3 → 5). */
const EXTRA_EVALUATION_PERIODS = 2;
// AWS: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Subject: fewer than 100 characters)
const SNS_SUBJECT_MAX = 99;

const STATISTICS: readonly AlarmStatistic[] = [
  'Sum',
  'Average',
  'Minimum',
  'Maximum',
  'SampleCount',
];
const OPERATORS: Readonly<Record<AlarmComparisonOperator, string>> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};
const TREATMENTS: readonly TreatMissingData[] = ['missing', 'notBreaching', 'breaching', 'ignore'];
// AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html (units)
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

/** AWS::CloudWatch::Alarm properties this emulator evaluates (others are refused by name). */
const SUPPORTED_ALARM_PROPERTIES = new Set([
  'AlarmName',
  'AlarmDescription',
  'ActionsEnabled',
  'AlarmActions',
  'OKActions',
  'InsufficientDataActions',
  'ComparisonOperator',
  'DatapointsToAlarm',
  'Dimensions',
  'EvaluationPeriods',
  'MetricName',
  'Namespace',
  'Period',
  'Statistic',
  'Threshold',
  'TreatMissingData',
  'Tags',
]);

/** The names CloudWatch puts in notification subjects and the `Region` field. */
const REGION_NAMES: Readonly<Record<string, string>> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'ca-central-1': 'Canada (Central)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-north-1': 'EU (Stockholm)',
  'eu-south-1': 'EU (Milan)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-northeast-2': 'Asia Pacific (Seoul)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'sa-east-1': 'South America (Sao Paulo)',
};

/** The display name of a region, as alarm notifications spell it; the code when unknown. */
export function regionDisplayName(region: string): string {
  return REGION_NAMES[region] ?? region;
}

/** The identity of a metric: namespace, name and the sorted dimension set. */
export function metricKey(
  namespace: string,
  metricName: string,
  dimensions: Readonly<Record<string, string>>,
): string {
  const sorted = Object.keys(dimensions)
    .sort()
    .map((name) => [name, dimensions[name]]);
  return JSON.stringify([namespace, metricName, sorted]);
}

/** Java's rendering of a double, as CloudWatch's reasons print values (`1.0`, `0.5`). */
function formatDouble(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `dd/MM/yy HH:mm:ss` in UTC, as datapoints appear in state reasons. */
function reasonDate(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `2022-07-09T02:39:54.536+0000`, as alarm notifications print times. */
function notificationTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+0000');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A CloudFormation number: CloudFormation accepts numbers written as strings. */
function cfnNumber(props: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const raw = props[name];
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new AwsError('ValidationError', `${name} must be a number, got ${JSON.stringify(raw)}.`);
  }
  return value;
}

function cfnInteger(props: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const value = cfnNumber(props, name);
  if (value !== undefined && !Number.isInteger(value)) {
    throw new AwsError('ValidationError', `${name} must be an integer, got ${value}.`);
  }
  return value;
}

function cfnString(props: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = props[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new AwsError('ValidationError', `${name} must be a string.`);
  }
  return value;
}

function cfnBoolean(props: Readonly<Record<string, unknown>>, name: string): boolean | undefined {
  const value = props[name];
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new AwsError('ValidationError', `${name} must be a boolean.`);
}

function cfnStringList(props: Readonly<Record<string, unknown>>, name: string): string[] {
  const value = props[name];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new AwsError('ValidationError', `${name} must be a list of strings.`);
  }
  return value.filter((item): item is string => typeof item === 'string');
}

function hasControlCharacter(text: string): boolean {
  return [...text].some((char) => {
    const code = char.charCodeAt(0);
    return code < 0x20 || code === 0x7f;
  });
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) {
    throw new AwsError('MissingParameter', `The parameter ${name} is required.`);
  }
  return value;
}

function randomSuffix(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(12)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

interface Datapoint {
  /** Start of the period. */
  readonly start: number;
  readonly value: number;
}

interface Evaluation {
  readonly state: AlarmStateValue;
  readonly reason: string;
  readonly data: Record<string, unknown>;
}

/** The statistic of one period's samples. */
function statistic(name: AlarmStatistic, values: readonly number[]): number {
  switch (name) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'SampleCount':
      return values.length;
  }
}

function breaches(config: AlarmConfig, value: number): boolean {
  switch (config.comparisonOperator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= config.threshold;
    case 'GreaterThanThreshold':
      return value > config.threshold;
    case 'LessThanThreshold':
      return value < config.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= config.threshold;
  }
}

/**
 * The state an alarm's metric puts it in now, following "How alarm state is evaluated when data
 * is missing": look back EvaluationPeriods + 2 periods (aligned to Period), evaluate the most
 * recent EvaluationPeriods existing datapoints, and fill only as many missing ones as needed.
 */
// AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-evaluating-missing-data
function evaluate(
  config: AlarmConfig,
  samples: readonly (readonly [number, number])[],
  now: number,
  current: AlarmStateValue,
): Evaluation {
  const periodMs = config.period * 1000;
  const n = config.evaluationPeriods;
  const m = config.datapointsToAlarm ?? n;
  const range = n + EXTRA_EVALUATION_PERIODS;
  const lastStart = Math.floor(now / periodMs) * periodMs;
  const firstStart = lastStart - (range - 1) * periodMs;
  const buckets = new Map<number, number[]>();
  for (const [t, v] of samples) {
    if (t < firstStart || t >= lastStart + periodMs) continue;
    const start = Math.floor(t / periodMs) * periodMs;
    const bucket = buckets.get(start);
    if (bucket) bucket.push(v);
    else buckets.set(start, [v]);
  }
  const existing: Datapoint[] = [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, values]) => ({ start, value: statistic(config.statistic, values) }));
  const evaluated = existing.slice(-n);
  const breaching = evaluated.filter((point) => breaches(config, point.value));
  const notBreaching = evaluated.filter((point) => !breaches(config, point.value));
  const fill = n - evaluated.length;
  const phrase = OPERATORS[config.comparisonOperator];
  const threshold = formatDouble(config.threshold);
  const list = (points: readonly Datapoint[]): string =>
    [...points]
      .reverse()
      .map((p) => `${formatDouble(p.value)} (${reasonDate(p.start)})`)
      .join(', ');
  const data: Record<string, unknown> = {
    version: '1.0',
    queryDate: notificationTime(now),
    startDate: notificationTime(firstStart),
    statistic: config.statistic,
    period: config.period,
    recentDatapoints: existing.map((p) => p.value),
    threshold: config.threshold,
    evaluatedDatapoints: evaluated.map((p) => ({
      timestamp: notificationTime(p.start),
      value: p.value,
    })),
  };

  const crossed = (state: 'ALARM' | 'OK', breachCount: number, treatedAs?: string): Evaluation => {
    const points = state === 'ALARM' ? breaching : notBreaching;
    // With missing datapoints filled, all N count; otherwise only the existing ones were evaluated.
    const total = treatedAs ? n : evaluated.length;
    const count = state === 'ALARM' ? breachCount : total - breachCount;
    const missing =
      fill > 0 && treatedAs
        ? `${plural(fill, 'missing datapoint')} ${fill === 1 ? 'was' : 'were'} treated as [${treatedAs}]`
        : '';
    if (evaluated.length === 0) {
      return {
        state,
        reason: `Threshold Crossed: no datapoints were received for ${plural(fill, 'period')} and ${missing}.`,
        data,
      };
    }
    const verb = points.length === 1 ? 'was' : 'were';
    const comparison = state === 'ALARM' ? phrase : `not ${phrase}`;
    const minimum = state === 'ALARM' ? m : n - m + 1;
    const transition = state === 'ALARM' ? 'OK -> ALARM' : 'ALARM -> OK';
    return {
      state,
      reason:
        `Threshold Crossed: ${count} out of the last ${total} datapoints [${list(points)}] ${verb} ${comparison} the threshold (${threshold})` +
        (missing ? ` and ${missing}` : '') +
        ` (minimum ${plural(minimum, 'datapoint')} for ${transition} transition).`,
      data,
    };
  };

  if (fill === 0) return crossed(breaching.length >= m ? 'ALARM' : 'OK', breaching.length);
  switch (config.treatMissingData) {
    case 'breaching': {
      const count = breaching.length + fill;
      return crossed(count >= m ? 'ALARM' : 'OK', count, 'Breaching');
    }
    case 'notBreaching':
      return crossed(breaching.length >= m ? 'ALARM' : 'OK', breaching.length, 'NonBreaching');
    case 'missing':
    case 'ignore': {
      if (breaching.length >= m) return crossed('ALARM', breaching.length);
      if (notBreaching.length > 0) return crossed('OK', breaching.length);
      if (config.treatMissingData === 'ignore') {
        return { state: current, reason: '', data };
      }
      return {
        state: 'INSUFFICIENT_DATA',
        reason: `Insufficient Data: ${plural(fill, 'datapoint')} ${fill === 1 ? 'was' : 'were'} unknown.`,
        data,
      };
    }
  }
}

/**
 * CloudWatch metrics and alarms.
 *
 * @example
 * const cloudwatch = new CloudWatchService({ region, accountId, clock, notify: sns.publishAs });
 * cloudwatch.putMetricAlarm(resolvedProperties, { generatedName: 'ApiKeyRotator-Errors-1A2B3C' });
 * runner.logSink = (line, fn) => void cloudwatch.ingestLogLine(fn, line);
 */
export class CloudWatchService {
  readonly state: CloudWatchState;
  private readonly region: string;
  private readonly accountId: string;
  private readonly clock: Clock;
  private readonly notify: ServicePublisher;
  private readonly emfTimestamps: 'arrival' | 'document';
  private readonly maxSamples: number;
  private readonly pending = new Set<Promise<void>>();

  constructor(options: CloudWatchServiceOptions) {
    this.region = options.region;
    this.accountId = options.accountId;
    this.clock = options.clock;
    this.notify = options.notify;
    this.state = options.state ?? emptyCloudWatchState();
    this.emfTimestamps = options.emfTimestamps ?? 'arrival';
    this.maxSamples = options.maxSamplesPerMetric ?? 10_000;
  }

  // ---- metrics ---------------------------------------------------------------------------------

  /**
   * Records one datapoint (PutMetricData for one value) and evaluates the alarms that watch the
   * metric. Resolves once their actions ran; never rejects because of an action.
   */
  // AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
  putMetricData(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    value: number,
    timestamp?: number,
    unit?: string,
  ): Promise<void> {
    const at = timestamp ?? this.clock.now();
    this.validateDatum(namespace, metricName, dimensions, value, at, unit);
    const key = this.record(namespace, metricName, dimensions, [value], at, unit);
    return this.evaluateWatching(new Set([key]));
  }

  /**
   * Reads one line a function printed. Lines that are not JSON objects, or JSON without `_aws`,
   * are ignored; a document with `_aws` that breaks the embedded metric format is dropped and
   * counted in `state.emf.rejected`. Each dimension set of each directive is a separate metric.
   * Resolves once the alarms it touched were evaluated; never rejects.
   */
  // AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
  ingestLogLine(functionName: string, line: string): Promise<void> {
    const document = parseLogJson(line);
    if (document === undefined || !('_aws' in document)) return Promise.resolve();
    let metrics: EmfMetric[];
    try {
      metrics = parseEmf(document);
    } catch (error) {
      this.state.emf.rejected += 1;
      this.state.emf.lastRejection = {
        functionName,
        reason: error instanceof Error ? error.message : String(error),
      };
      return Promise.resolve();
    }
    const now = this.clock.now();
    const at = this.emfTimestamps === 'document' ? (metrics[0]?.timestamp ?? now) : now;
    if (at < now - MAX_PAST_MS || at > now + MAX_FUTURE_MS) {
      this.state.emf.rejected += 1;
      this.state.emf.lastRejection = {
        functionName,
        reason: '_aws.Timestamp is more than two weeks in the past or two hours in the future',
      };
      return Promise.resolve();
    }
    this.state.emf.accepted += 1;
    const keys = new Set<string>();
    for (const metric of metrics) {
      keys.add(
        this.record(
          metric.namespace,
          metric.name,
          metric.dimensions,
          metric.values,
          at,
          metric.unit,
        ),
      );
    }
    return this.evaluateWatching(keys);
  }

  /**
   * The metrics Lambda publishes for one invocation under AWS/Lambda, per function and across
   * all functions: Invocations, Errors (failed invocations only), Duration; a throttled request
   * counts only as Throttles.
   */
  // AWS: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
  recordInvocation(functionName: string, outcome: InvocationOutcome): Promise<void> {
    const at = this.clock.now();
    const keys = new Set<string>();
    const sets: Record<string, string>[] = [{ FunctionName: functionName }, {}];
    for (const dimensions of sets) {
      const put = (name: string, value: number, unit: string): void => {
        keys.add(this.record('AWS/Lambda', name, dimensions, [value], at, unit));
      };
      if (outcome.throttled) {
        put('Throttles', 1, 'Count');
        continue;
      }
      put('Invocations', 1, 'Count');
      put('Duration', outcome.durationMs, 'Milliseconds');
      if (!outcome.ok) put('Errors', 1, 'Count');
    }
    return this.evaluateWatching(keys);
  }

  /** The sum of a metric's datapoints (exact dimension set), optionally since a time. */
  metricSum(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    sinceMs?: number,
  ): number {
    const series = this.state.metrics[metricKey(namespace, metricName, dimensions)];
    if (!series) return 0;
    return series.samples
      .filter(([t]) => sinceMs === undefined || t >= sinceMs)
      .reduce((sum, [, v]) => sum + v, 0);
  }

  /** Every metric that has datapoints (ListMetrics), with how many it holds. */
  metrics(): {
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
    datapoints: number;
  }[] {
    return Object.values(this.state.metrics).map((series) => ({
      namespace: series.namespace,
      metricName: series.metricName,
      dimensions: { ...series.dimensions },
      datapoints: series.samples.length,
    }));
  }

  // ---- alarms ----------------------------------------------------------------------------------

  /**
   * Creates or replaces a metric alarm from AWS::CloudWatch::Alarm properties (resolved). Without
   * AlarmName, the name is `generatedName` (CloudFormation's `<stack>-<logicalId>-<random>`) or a
   * random one. An existing alarm keeps its state. Properties the emulator does not evaluate
   * (Metrics, ExtendedStatistic, Unit, ...) are refused with an Error naming them.
   */
  // AWS: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html
  putMetricAlarm(
    props: Readonly<Record<string, unknown>>,
    options: { readonly generatedName?: string } = {},
  ): { name: string; arn: string } {
    for (const name of Object.keys(props)) {
      if (!SUPPORTED_ALARM_PROPERTIES.has(name)) {
        throw new Error(
          `AWS::CloudWatch::Alarm property ${name} is not emulated (supported: ${[...SUPPORTED_ALARM_PROPERTIES].join(', ')}).`,
        );
      }
    }
    const name =
      cfnString(props, 'AlarmName') ?? options.generatedName ?? `Alarm-${randomSuffix()}`;
    // AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
    if (name.length < 1 || name.length > 255 || hasControlCharacter(name)) {
      throw new AwsError(
        'ValidationError',
        'AlarmName must be 1 to 255 characters without control characters.',
      );
    }
    const config = this.alarmConfig(props);
    const now = this.clock.now();
    const arn = `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${name}`;
    const existing = this.state.alarms[name];
    if (existing) {
      existing.config = config;
      existing.configurationUpdatedAt = now;
      this.addHistory(existing, 'ConfigurationUpdate', `Alarm "${name}" updated`, {
        version: '1.0',
        type: 'Update',
      });
    } else {
      const alarm: AlarmRecord = {
        name,
        arn,
        config,
        state: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        stateUpdatedAt: now,
        configurationUpdatedAt: now,
        history: [],
      };
      this.state.alarms[name] = alarm;
      this.addHistory(alarm, 'ConfigurationUpdate', `Alarm "${name}" created`, {
        version: '1.0',
        type: 'Create',
      });
    }
    return { name, arn };
  }

  /** Deletes an alarm; unknown names are ignored, as DeleteAlarms does for a missing one. */
  deleteAlarm(name: string): void {
    delete this.state.alarms[name];
  }

  /**
   * Evaluates every alarm now, e.g. to let time move an alarm back to OK once its datapoints
   * have aged out. Resolves once the actions of any transition ran.
   */
  evaluateAll(): Promise<void> {
    return this.runTransitions(Object.values(this.state.alarms));
  }

  /** Waits for every alarm action in flight. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  alarms(): AlarmSummary[] {
    return Object.values(this.state.alarms).map(({ name, arn, state, reason }) => ({
      name,
      arn,
      state,
      reason,
    }));
  }

  alarm(name: string): AlarmRecord | undefined {
    return this.state.alarms[name];
  }

  /** An alarm's history, newest first as DescribeAlarmHistory returns it by default. */
  alarmHistory(name: string, type?: AlarmHistoryItemType): AlarmHistoryItem[] {
    const alarm = this.state.alarms[name];
    if (!alarm) return [];
    return alarm.history
      .filter((item) => type === undefined || item.historyItemType === type)
      .reverse();
  }

  // ---- internals -------------------------------------------------------------------------------

  private validateDatum(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    value: number,
    at: number,
    unit: string | undefined,
  ): void {
    if (namespace.length < 1 || namespace.length > 255) {
      throw new AwsError(
        'InvalidParameterValue',
        'The parameter Namespace must be 1 to 255 characters.',
      );
    }
    if (metricName.length < 1 || metricName.length > 255) {
      throw new AwsError(
        'InvalidParameterValue',
        'The parameter MetricName must be 1 to 255 characters.',
      );
    }
    const names = Object.keys(dimensions);
    if (names.length > MAX_DIMENSIONS) {
      throw new AwsError(
        'InvalidParameterValue',
        `A metric can have at most ${MAX_DIMENSIONS} dimensions.`,
      );
    }
    for (const name of names) {
      const dimensionValue = dimensions[name];
      if (name.length < 1 || typeof dimensionValue !== 'string' || dimensionValue.length < 1) {
        throw new AwsError('InvalidParameterValue', `Dimension ${name} needs a name and a value.`);
      }
    }
    if (!Number.isFinite(value)) {
      throw new AwsError(
        'InvalidParameterValue',
        `The value ${value} for parameter MetricData.member.1.Value is invalid.`,
      );
    }
    const now = this.clock.now();
    if (at < now - MAX_PAST_MS || at > now + MAX_FUTURE_MS) {
      throw new AwsError(
        'InvalidParameterValue',
        `The parameter MetricData.member.1.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.`,
      );
    }
    if (unit !== undefined && !UNITS.has(unit)) {
      throw new AwsError('InvalidParameterValue', `The unit ${unit} is not valid.`);
    }
  }

  /** Appends datapoints to a series, creating it; returns its key. */
  private record(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    values: readonly number[],
    at: number,
    unit: string | undefined,
  ): string {
    const key = metricKey(namespace, metricName, dimensions);
    let series = this.state.metrics[key];
    if (!series) {
      series = { namespace, metricName, dimensions: { ...dimensions }, samples: [] };
      this.state.metrics[key] = series;
    }
    if (unit !== undefined) series.unit = unit;
    for (const value of values) series.samples.push([at, value]);
    const oldest = this.clock.now() - RETENTION_MS;
    const first = series.samples[0];
    if (first !== undefined && first[0] < oldest) {
      series.samples = series.samples.filter(([t]) => t >= oldest);
    }
    if (series.samples.length > this.maxSamples) {
      series.samples.splice(0, series.samples.length - this.maxSamples);
    }
    return key;
  }

  private alarmConfig(props: Readonly<Record<string, unknown>>): AlarmConfig {
    const namespace = required(cfnString(props, 'Namespace'), 'Namespace');
    const metricName = required(cfnString(props, 'MetricName'), 'MetricName');
    const statistic = required(cfnString(props, 'Statistic'), 'Statistic');
    if (!STATISTICS.includes(statistic as AlarmStatistic)) {
      throw new Error(
        `Statistic ${statistic} is not emulated (supported: ${STATISTICS.join(', ')}).`,
      );
    }
    const operator = required(cfnString(props, 'ComparisonOperator'), 'ComparisonOperator');
    if (!(operator in OPERATORS)) {
      throw new Error(
        `ComparisonOperator ${operator} is not emulated (supported: ${Object.keys(OPERATORS).join(', ')}).`,
      );
    }
    const period = required(cfnInteger(props, 'Period'), 'Period');
    if ([10, 20, 30].includes(period)) {
      throw new Error(`Period ${period}: high-resolution alarms are not emulated.`);
    }
    if (period < 60 || period % 60 !== 0) {
      throw new AwsError(
        'ValidationError',
        `Period must be 10, 20, 30 or a multiple of 60, got ${period}.`,
      );
    }
    const evaluationPeriods = required(cfnInteger(props, 'EvaluationPeriods'), 'EvaluationPeriods');
    if (evaluationPeriods < 1) {
      throw new AwsError('ValidationError', 'EvaluationPeriods must be at least 1.');
    }
    const window = period * evaluationPeriods;
    if (window > 604_800 || (period < 3600 && window > 86_400)) {
      throw new AwsError(
        'ValidationError',
        `Period multiplied by EvaluationPeriods (${window} seconds) exceeds the longest evaluation range (one day for periods under an hour, seven days otherwise).`,
      );
    }
    const datapointsToAlarm = cfnInteger(props, 'DatapointsToAlarm');
    if (
      datapointsToAlarm !== undefined &&
      (datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods)
    ) {
      throw new AwsError(
        'ValidationError',
        `DatapointsToAlarm must be between 1 and EvaluationPeriods (${evaluationPeriods}).`,
      );
    }
    const treatMissingData = cfnString(props, 'TreatMissingData') ?? 'missing';
    if (!TREATMENTS.includes(treatMissingData as TreatMissingData)) {
      throw new AwsError(
        'ValidationError',
        `TreatMissingData must be one of ${TREATMENTS.join(', ')}, got ${treatMissingData}.`,
      );
    }
    const rawDimensions = props.Dimensions ?? [];
    if (!Array.isArray(rawDimensions) || rawDimensions.length > MAX_DIMENSIONS) {
      throw new AwsError(
        'ValidationError',
        `Dimensions must be a list of at most ${MAX_DIMENSIONS}.`,
      );
    }
    const dimensions = rawDimensions.map((item: unknown) => {
      if (!isRecord(item) || typeof item.Name !== 'string' || typeof item.Value !== 'string') {
        throw new AwsError('ValidationError', 'Each dimension needs a string Name and Value.');
      }
      return { name: item.Name, value: item.Value };
    });
    if (new Set(dimensions.map((d) => d.name)).size !== dimensions.length) {
      throw new AwsError('InvalidParameterCombination', 'Dimension names must be unique.');
    }
    const actions = {
      alarmActions: cfnStringList(props, 'AlarmActions'),
      okActions: cfnStringList(props, 'OKActions'),
      insufficientDataActions: cfnStringList(props, 'InsufficientDataActions'),
    };
    for (const [property, list] of [
      ['AlarmActions', actions.alarmActions],
      ['OKActions', actions.okActions],
      ['InsufficientDataActions', actions.insufficientDataActions],
    ] as const) {
      if (list.length > 5) {
        throw new AwsError('ValidationError', `${property} can hold at most 5 actions.`);
      }
      for (const action of list) {
        if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/.test(action)) {
          throw new Error(
            `${property}: ${action} is not an SNS topic ARN; only SNS alarm actions are emulated.`,
          );
        }
      }
    }
    const rawTags = props.Tags ?? [];
    if (!Array.isArray(rawTags)) throw new AwsError('ValidationError', 'Tags must be a list.');
    const tags = rawTags.map((item: unknown) => {
      if (!isRecord(item) || typeof item.Key !== 'string' || typeof item.Value !== 'string') {
        throw new AwsError('ValidationError', 'Each tag needs a string Key and Value.');
      }
      return { key: item.Key, value: item.Value };
    });
    return {
      description: cfnString(props, 'AlarmDescription'),
      actionsEnabled: cfnBoolean(props, 'ActionsEnabled') ?? true,
      ...actions,
      namespace,
      metricName,
      dimensions,
      statistic: statistic as AlarmStatistic,
      period,
      evaluationPeriods,
      datapointsToAlarm,
      threshold: required(cfnNumber(props, 'Threshold'), 'Threshold'),
      comparisonOperator: operator as AlarmComparisonOperator,
      treatMissingData: treatMissingData as TreatMissingData,
      tags,
    };
  }

  private evaluateWatching(keys: ReadonlySet<string>): Promise<void> {
    const watching = Object.values(this.state.alarms).filter((alarm) =>
      keys.has(this.alarmMetricKey(alarm)),
    );
    return watching.length === 0 ? Promise.resolve() : this.runTransitions(watching);
  }

  private alarmMetricKey(alarm: AlarmRecord): string {
    const { namespace, metricName, dimensions } = alarm.config;
    return metricKey(
      namespace,
      metricName,
      Object.fromEntries(dimensions.map((d) => [d.name, d.value])),
    );
  }

  /**
   * Evaluates alarms synchronously (so concurrent datapoints cannot both see the old state), then
   * runs the actions of the transitions.
   */
  private runTransitions(alarms: readonly AlarmRecord[]): Promise<void> {
    const now = this.clock.now();
    const work: Promise<void>[] = [];
    for (const alarm of alarms) {
      const series = this.state.metrics[this.alarmMetricKey(alarm)];
      const result = evaluate(alarm.config, series?.samples ?? [], now, alarm.state);
      if (result.state === alarm.state) continue;
      const oldState = alarm.state;
      const oldReason = alarm.reason;
      alarm.state = result.state;
      alarm.reason = result.reason;
      alarm.stateUpdatedAt = now;
      // AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_AlarmHistoryItem.html
      this.addHistory(alarm, 'StateUpdate', `Alarm updated from ${oldState} to ${result.state}`, {
        version: '1.0',
        oldState: { stateValue: oldState, stateReason: oldReason },
        newState: {
          stateValue: result.state,
          stateReason: result.reason,
          stateReasonData: result.data,
        },
      });
      if (!alarm.config.actionsEnabled) continue;
      const actions =
        result.state === 'ALARM'
          ? alarm.config.alarmActions
          : result.state === 'OK'
            ? alarm.config.okActions
            : alarm.config.insufficientDataActions;
      if (actions.length === 0) continue;
      const message = this.notificationMessage(alarm, oldState, now);
      work.push(this.track(this.runActions(alarm, actions, message, now)));
    }
    return Promise.all(work).then(() => undefined);
  }

  private track(promise: Promise<void>): Promise<void> {
    this.pending.add(promise);
    return promise.finally(() => this.pending.delete(promise));
  }

  /**
   * Publishes to each action's topic as cloudwatch.amazonaws.com and records an Action history
   * item per action: "Successfully executed action ..." or "Failed to execute action ...
   * Received error: ..." as the console shows when a topic policy refuses the alarm.
   */
  // AWS: https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
  private async runActions(
    alarm: AlarmRecord,
    actions: readonly string[],
    message: string,
    at: number,
  ): Promise<void> {
    const subject = `${alarm.state}: "${alarm.name}" in ${regionDisplayName(this.region)}`.slice(
      0,
      SNS_SUBJECT_MAX,
    );
    const context = { 'aws:SourceArn': alarm.arn, 'aws:SourceAccount': this.accountId };
    for (const topicArn of actions) {
      try {
        await this.notify(SERVICE_PRINCIPAL, topicArn, subject, message, context);
        this.addHistory(alarm, 'Action', `Successfully executed action ${topicArn}`, {
          actionState: 'Succeeded',
          stateUpdateTimestamp: at,
          notificationResource: topicArn,
          publishedMessage: message,
        });
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        this.addHistory(
          alarm,
          'Action',
          `Failed to execute action ${topicArn}. Received error: "${text}"`,
          {
            actionState: 'Failed',
            stateUpdateTimestamp: at,
            notificationResource: topicArn,
            error: text,
          },
        );
      }
    }
  }

  /** The JSON CloudWatch publishes to SNS for an alarm state change. */
  // AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
  private notificationMessage(alarm: AlarmRecord, oldState: AlarmStateValue, at: number): string {
    const c = alarm.config;
    return JSON.stringify({
      AlarmName: alarm.name,
      AlarmDescription: c.description ?? null,
      AWSAccountId: this.accountId,
      AlarmConfigurationUpdatedTimestamp: notificationTime(alarm.configurationUpdatedAt),
      NewStateValue: alarm.state,
      NewStateReason: alarm.reason,
      StateChangeTime: notificationTime(at),
      Region: regionDisplayName(this.region),
      AlarmArn: alarm.arn,
      OldStateValue: oldState,
      OKActions: c.okActions,
      AlarmActions: c.alarmActions,
      InsufficientDataActions: c.insufficientDataActions,
      Trigger: {
        MetricName: c.metricName,
        Namespace: c.namespace,
        StatisticType: 'Statistic',
        Statistic: c.statistic === 'SampleCount' ? 'SAMPLE_COUNT' : c.statistic.toUpperCase(),
        Unit: null,
        Dimensions: c.dimensions.map((d) => ({ value: d.value, name: d.name })),
        Period: c.period,
        EvaluationPeriods: c.evaluationPeriods,
        ...(c.datapointsToAlarm !== undefined ? { DatapointsToAlarm: c.datapointsToAlarm } : {}),
        ComparisonOperator: c.comparisonOperator,
        Threshold: c.threshold,
        TreatMissingData: c.treatMissingData,
        EvaluateLowSampleCountPercentile: '',
      },
    });
  }

  private addHistory(
    alarm: AlarmRecord,
    type: AlarmHistoryItemType,
    summary: string,
    data: Record<string, unknown>,
  ): void {
    alarm.history.push({
      alarmName: alarm.name,
      timestamp: new Date(this.clock.now()).toISOString(),
      historyItemType: type,
      historySummary: summary,
      historyData: JSON.stringify(data),
    });
    if (alarm.history.length > MAX_HISTORY_ITEMS) {
      alarm.history.splice(0, alarm.history.length - MAX_HISTORY_ITEMS);
    }
  }
}

// ---- embedded metric format --------------------------------------------------------------------

interface EmfMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit?: string;
  readonly dimensions: Record<string, string>;
  readonly values: number[];
  readonly timestamp: number;
}

/**
 * The JSON object on a log line, if there is one. Lambda may prefix a line with a timestamp and
 * request id separated by tabs; the document after them still counts.
 */
// AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
function parseLogJson(line: string): Record<string, unknown> | undefined {
  let text = line.trim();
  if (!text.startsWith('{')) {
    const tab = text.lastIndexOf('\t');
    if (tab < 0) return undefined;
    text = text.slice(tab + 1).trim();
    if (!text.startsWith('{')) return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The metrics an EMF document declares; throws naming the first rule it breaks. */
function parseEmf(document: Record<string, unknown>): EmfMetric[] {
  const aws = document._aws;
  if (!isRecord(aws)) throw new Error('_aws must be an object');
  const timestamp = aws.Timestamp;
  if (typeof timestamp !== 'number' || !Number.isInteger(timestamp)) {
    throw new Error('_aws.Timestamp must be an integer number of milliseconds');
  }
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) throw new Error('_aws.CloudWatchMetrics must be an array');
  const metrics: EmfMetric[] = [];
  directives.forEach((directive: unknown, index) => {
    const where = `_aws.CloudWatchMetrics[${index}]`;
    if (!isRecord(directive)) throw new Error(`${where} must be an object`);
    const namespace = directive.Namespace;
    if (typeof namespace !== 'string' || namespace.length < 1 || namespace.length > 255) {
      throw new Error(`${where}.Namespace must be a string of 1 to 255 characters`);
    }
    const dimensionSets = directive.Dimensions;
    if (!Array.isArray(dimensionSets) || dimensionSets.length < 1) {
      throw new Error(`${where}.Dimensions must be a non-empty array of dimension sets`);
    }
    const resolvedSets = dimensionSets.map((set: unknown, setIndex) => {
      if (!Array.isArray(set) || set.length > MAX_DIMENSIONS) {
        throw new Error(
          `${where}.Dimensions[${setIndex}] must be an array of at most ${MAX_DIMENSIONS} keys`,
        );
      }
      const dimensions: Record<string, string> = {};
      for (const key of set as unknown[]) {
        if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
          throw new Error(`${where}.Dimensions[${setIndex}] holds a key that is not a string`);
        }
        const value = document[key];
        if (typeof value !== 'string') {
          throw new Error(`dimension ${key} must be a string member of the root node`);
        }
        dimensions[key] = value;
      }
      return dimensions;
    });
    const definitions = directive.Metrics;
    if (!Array.isArray(definitions) || definitions.length > 100) {
      throw new Error(`${where}.Metrics must be an array of at most 100 metric definitions`);
    }
    for (const definition of definitions as unknown[]) {
      if (!isRecord(definition) || typeof definition.Name !== 'string' || !definition.Name) {
        throw new Error(`${where}.Metrics holds a definition without a Name`);
      }
      const name = definition.Name;
      const unit = definition.Unit;
      if (unit !== undefined && (typeof unit !== 'string' || !UNITS.has(unit))) {
        throw new Error(`metric ${name} has an invalid Unit ${JSON.stringify(unit)}`);
      }
      const target = document[name];
      const values = Array.isArray(target) ? (target as unknown[]) : [target];
      if (
        values.length < 1 ||
        values.length > 100 ||
        !values.every((v) => typeof v === 'number' && Number.isFinite(v))
      ) {
        throw new Error(
          `metric ${name} must be a number or an array of at most 100 numbers on the root node`,
        );
      }
      for (const dimensions of resolvedSets) {
        metrics.push({
          namespace,
          name,
          unit: typeof unit === 'string' ? unit : undefined,
          dimensions,
          values: values as number[],
          timestamp,
        });
      }
    }
  });
  return metrics;
}
