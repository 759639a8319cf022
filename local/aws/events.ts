/**
 * EventBridge rules on the default event bus, in process: rules with event patterns, SNS topic
 * targets, and the AWS/Events metrics a match produces. Emulated services put events with
 * `putEvent`; callers put custom events with PutEvents over the JSON 1.1 API
 * (`X-Amz-Target: AWSEvents.PutEvents`), authorized per entry (`eventsJsonService`).
 */
import { randomUUID } from 'node:crypto';
import type { AuthorizationRequest, Principal } from './authorization';
import { AwsError, validationError } from './errors';
import type { InputReader } from './input';
import type { OperationTable } from './operations';
import type { Clock } from './types';

/** Delivers to an SNS topic as `events.amazonaws.com`; throws (an `AwsError`) when refused. */
export type EventTopicPublisher = (
  principal: Principal,
  topicArn: string,
  message: string,
  context: Record<string, string>,
) => Promise<void>;

/** Records one CloudWatch datapoint (the world wires it to `CloudWatchService.putMetricData`). */
export type MetricSink = (
  namespace: string,
  metricName: string,
  dimensions: Record<string, string>,
  value: number,
) => Promise<void> | void;

export type RuleState = 'ENABLED' | 'DISABLED';

export interface EventTarget {
  readonly id: string;
  readonly arn: string;
  /** Constant JSON text sent instead of the event. */
  readonly input?: string;
}

export interface RuleRecord {
  name: string;
  arn: string;
  description?: string;
  /** The pattern as JSON text, as DescribeRule returns it. */
  eventPattern: string;
  state: RuleState;
  eventBusName: string;
  targets: EventTarget[];
}

export interface DeliveryRecord {
  ruleName: string;
  targetId: string;
  targetArn: string;
  eventId: string;
  /** ISO-8601. */
  at: string;
  ok: boolean;
  error?: { type: string; message: string };
}

/** An event as a service puts it; the envelope fields are filled in. */
export interface PutEventInput {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly resources?: readonly string[];
  /** @default the clock */
  readonly time?: string;
}

/** The event as EventBridge delivers it. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface EventsState {
  rules: Record<string, RuleRecord>;
  /** Oldest first; bounded. */
  deliveries: DeliveryRecord[];
  /** Events put on the bus, oldest first; bounded. Absent in state files written before it. */
  events?: EventEnvelope[];
}

export function emptyEventsState(): EventsState {
  return { rules: {}, deliveries: [], events: [] };
}

export interface EventsServiceOptions {
  readonly region: string;
  readonly accountId: string;
  readonly clock: Clock;
  readonly publishToTopic: EventTopicPublisher;
  readonly putMetric: MetricSink;
  readonly state?: EventsState;
  /** Deliveries kept (and events kept). @default 1000 */
  readonly maxDeliveries?: number;
  /**
   * Authorizes one PutEvents entry as IAM would, rejecting with AWS's AccessDeniedException (and
   * logging the denial); without it, PutEvents is refused.
   */
  readonly authorize?: (request: AuthorizationRequest) => Promise<void>;
}

/** One entry of PutEvents' answer: an event id, or why the entry failed. */
export type PutEventsResultEntry =
  { readonly EventId: string } | { readonly ErrorCode: string; readonly ErrorMessage: string };

/** PutEvents' answer: as many entries as the request had, in order. */
export interface PutEventsOutput {
  readonly FailedEntryCount: number;
  readonly Entries: PutEventsResultEntry[];
}

// AWS: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html (1 to 10 entries)
const MAX_PUT_ENTRIES = 10;
// AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html (the request's entries < 256 KB)
const MAX_PUT_BYTES = 256 * 1024;
// AWS: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html
const MAX_DETAIL_TYPE_LENGTH = 128;
const MAX_SOURCE_LENGTH = 256;

const SERVICE_PRINCIPAL: Principal = { kind: 'service', service: 'events.amazonaws.com' };
const NAME_PATTERN = /^[.\-_A-Za-z0-9]{1,64}$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/;
/** The comparison operators this emulator matches; others are refused at PutRule. */
const SUPPORTED_OPERATORS = new Set(['prefix', 'anything-but', 'exists']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function invalidPattern(reason: string): AwsError {
  return new AwsError(
    'InvalidEventPatternException',
    `Event pattern is not valid. Reason: ${reason}`,
  );
}

/**
 * Checks an event pattern: every field is an object of fields or a non-empty array of values,
 * each value a JSON primitive or one supported operator.
 */
// AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
function validatePattern(pattern: unknown, path: string): void {
  if (!isRecord(pattern)) throw invalidPattern(`${path || 'the pattern'} must be an object`);
  if (path === '' && Object.keys(pattern).length === 0) {
    throw invalidPattern('the pattern is empty');
  }
  for (const [key, value] of Object.entries(pattern)) {
    const where = path ? `${path}.${key}` : key;
    if (isRecord(value)) {
      validatePattern(value, where);
      continue;
    }
    if (!Array.isArray(value)) {
      throw invalidPattern(`"${where}" must be an object or an array`);
    }
    if (value.length === 0) throw invalidPattern(`"${where}" is an empty array`);
    for (const item of value as unknown[]) {
      if (isPrimitive(item)) continue;
      if (!isRecord(item)) throw invalidPattern(`"${where}" holds a nested array`);
      const operators = Object.keys(item);
      const [operator] = operators;
      if (operators.length !== 1 || operator === undefined) {
        throw invalidPattern(`"${where}" holds an object that is not a single operator`);
      }
      if (!SUPPORTED_OPERATORS.has(operator)) {
        throw new Error(
          `Event pattern operator "${operator}" (at ${where}) is not emulated; supported: exact values, prefix, anything-but, exists.`,
        );
      }
      validateOperator(operator, item[operator], where);
    }
  }
}

// AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
function validateOperator(operator: string, operand: unknown, where: string): void {
  switch (operator) {
    case 'prefix':
      if (typeof operand !== 'string')
        throw invalidPattern(`prefix at "${where}" must be a string`);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') {
        throw invalidPattern(`exists at "${where}" must be true or false`);
      }
      return;
    case 'anything-but': {
      if (
        typeof operand === 'string' ||
        (typeof operand === 'number' && Number.isFinite(operand))
      ) {
        return;
      }
      if (Array.isArray(operand)) {
        const list = operand as unknown[];
        const allStrings = list.every((v) => typeof v === 'string');
        const allNumbers = list.every((v) => typeof v === 'number' && Number.isFinite(v));
        if (list.length > 0 && (allStrings || allNumbers)) return;
        throw invalidPattern(`anything-but at "${where}" must list only strings or only numbers`);
      }
      if (isRecord(operand)) {
        const keys = Object.keys(operand);
        if (keys.length === 1 && keys[0] === 'prefix' && typeof operand.prefix === 'string') return;
        if (keys.length === 1 && keys[0] !== undefined) {
          throw new Error(
            `Event pattern operator "anything-but/${keys[0]}" (at ${where}) is not emulated; supported: anything-but with a value, a list, or a prefix.`,
          );
        }
      }
      throw invalidPattern(`anything-but at "${where}" has an invalid operand`);
    }
  }
}

/** Whether one event leaf value (never an array) satisfies one pattern value. */
function matchesValue(condition: unknown, value: unknown, present: boolean): boolean {
  if (!isRecord(condition)) return present && value === condition;
  if ('prefix' in condition) {
    return present && typeof value === 'string' && value.startsWith(String(condition.prefix));
  }
  if ('exists' in condition) return condition.exists === present;
  if ('anything-but' in condition) {
    const operand = condition['anything-but'];
    if (!present || isRecord(value)) return false;
    if (isRecord(operand)) {
      return typeof value === 'string' && !value.startsWith(String(operand.prefix));
    }
    const excluded: unknown[] = Array.isArray(operand) ? operand : [operand];
    return !excluded.includes(value);
  }
  return false;
}

/**
 * Whether an event matches a (validated) pattern: every pattern field must be present with the
 * same nesting; a field matches if any pattern value matches the event value or, for an array in
 * the event, any of its elements. `exists` looks at leaves only: an object is not a leaf.
 */
// AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
export function matchesPattern(
  pattern: Readonly<Record<string, unknown>>,
  event: unknown,
): boolean {
  if (Array.isArray(event)) {
    return (event as unknown[]).some((element) => matchesPattern(pattern, element));
  }
  if (!isRecord(event)) return false;
  return Object.entries(pattern).every(([key, condition]) => {
    const present = Object.prototype.hasOwnProperty.call(event, key);
    const value = present ? event[key] : undefined;
    if (isRecord(condition)) return present && matchesPattern(condition, value);
    const conditions = Array.isArray(condition) ? (condition as unknown[]) : [];
    const leafPresent = present && !isRecord(value);
    const leaves: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
    return conditions.some((c) => {
      if (isRecord(c) && 'exists' in c) return matchesValue(c, value, leafPresent);
      return leaves.some((leaf) => !isRecord(leaf) && matchesValue(c, leaf, leafPresent));
    });
  });
}

/** `2017-12-22T18:43:48Z`: EventBridge event times have no fraction. */
function eventTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * EventBridge rules and their targets.
 *
 * Secrets Manager rotation events arrive as CloudTrail service events:
 * `{ source: 'aws.secretsmanager', 'detail-type': 'AWS Service Event via CloudTrail',
 *    detail: { eventSource: 'secretsmanager.amazonaws.com', eventName: 'RotationFailed',
 *              eventType: 'AwsServiceEvent', additionalEventData: { SecretId: <arn> }, ... } }`.
 */
// AWS: https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-eventbridge.html
export class EventsService {
  readonly state: EventsState;
  private readonly region: string;
  private readonly accountId: string;
  private readonly clock: Clock;
  private readonly publishToTopic: EventTopicPublisher;
  private readonly putMetric: MetricSink;
  private readonly maxDeliveries: number;
  private readonly authorize: EventsServiceOptions['authorize'];

  constructor(options: EventsServiceOptions) {
    this.region = options.region;
    this.accountId = options.accountId;
    this.clock = options.clock;
    this.publishToTopic = options.publishToTopic;
    this.putMetric = options.putMetric;
    this.state = options.state ?? emptyEventsState();
    this.maxDeliveries = options.maxDeliveries ?? 1000;
    this.authorize = options.authorize;
  }

  /** The default bus's ARN, the resource PutEvents is authorized on. */
  get defaultBusArn(): string {
    return `arn:aws:events:${this.region}:${this.accountId}:event-bus/default`;
  }

  /** Events put on the bus (by services and by PutEvents), oldest first; bounded. */
  received(
    filter: { readonly source?: string; readonly detailType?: string } = {},
  ): EventEnvelope[] {
    return (this.state.events ?? []).filter(
      (event) =>
        (filter.source === undefined || event.source === filter.source) &&
        (filter.detailType === undefined || event['detail-type'] === filter.detailType),
    );
  }

  /**
   * PutEvents as `principal`: 1 to 10 entries, at most 256 KB in all (else the request fails with
   * ValidationException). Each entry is authorized on the default bus with `events:source` and
   * `events:detail-type`, and needs Source, DetailType and a Detail that is a JSON object; an entry
   * that fails is answered with ErrorCode and ErrorMessage and counted in FailedEntryCount, the
   * others are put. A request whose every entry is denied fails with AccessDeniedException.
   */
  // AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html (failed entries)
  async putEventsAs(principal: Principal, input: InputReader): Promise<PutEventsOutput> {
    const entries = input.optionalObjectList('Entries');
    if (entries === undefined) {
      throw validationError('entries', null, 'Member must not be null');
    }
    if (entries.length < 1 || entries.length > MAX_PUT_ENTRIES) {
      throw validationError(
        'entries',
        null,
        `Member must have length less than or equal to ${MAX_PUT_ENTRIES} and greater than or equal to 1`,
      );
    }
    if (input.optionalString('EndpointId') !== undefined) {
      throw new Error('PutEvents with EndpointId (global endpoints) is not emulated.');
    }
    const parsed = entries.map((entry) => readEntry(entry));
    const bytes = parsed.reduce((total, entry) => total + entry.bytes, 0);
    if (bytes >= MAX_PUT_BYTES) {
      throw new AwsError(
        'ValidationException',
        `Total size of the entries in the request is over the limit (${bytes} bytes; less than ${MAX_PUT_BYTES} allowed).`,
      );
    }
    if (parsed.every((entry) => 'error' in entry && entry.error.ErrorCode === 'InvalidArgument')) {
      throw new AwsError(
        'ValidationException',
        'Parameters Source, DetailType and Detail are required in at least one entry.',
      );
    }
    const denials = await Promise.all(
      parsed.map((entry) =>
        'error' in entry ? Promise.resolve(undefined) : this.denialOf(principal, entry),
      ),
    );
    const valid = parsed.flatMap((entry, index) => ('error' in entry ? [] : [denials[index]]));
    const [firstDenial] = valid;
    if (firstDenial !== undefined && valid.every((denial) => denial !== undefined)) {
      throw firstDenial;
    }
    const results: PutEventsResultEntry[] = [];
    for (const [index, entry] of parsed.entries()) {
      if ('error' in entry) {
        results.push(entry.error);
        continue;
      }
      if (denials[index] !== undefined) {
        results.push({
          ErrorCode: 'NotAuthorizedForSourceException',
          ErrorMessage: `Not authorized for the source ${entry.source} and detail type ${entry.detailType}.`,
        });
        continue;
      }
      const { event } = await this.putEvent({
        source: entry.source,
        'detail-type': entry.detailType,
        detail: entry.detail,
        resources: entry.resources,
        time: entry.time,
      });
      results.push({ EventId: event.id });
    }
    return {
      FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
      Entries: results,
    };
  }

  /** Why `principal` may not put `entry`, or undefined when it may. */
  private async denialOf(principal: Principal, entry: ValidEntry): Promise<AwsError | undefined> {
    if (this.authorize === undefined) {
      throw new Error('PutEvents needs an authorizer: pass `authorize` to EventsService.');
    }
    try {
      // AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html
      await this.authorize({
        principal,
        action: 'events:PutEvents',
        resource: this.defaultBusArn,
        resourceAccount: this.accountId,
        // events:source is multivalued (ArrayOfString): policies test it with ForAllValues.
        context: { 'events:source': [entry.source], 'events:detail-type': entry.detailType },
      });
      return undefined;
    } catch (error) {
      if (error instanceof AwsError) return error;
      throw error;
    }
  }

  /**
   * Creates or updates a rule on the default bus (PutRule); returns its ARN. The pattern may be
   * JSON text (the API) or an object (CloudFormation). Operators other than exact values,
   * `prefix`, `anything-but` and `exists` are refused with an Error naming them.
   */
  // AWS: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
  putRule(input: {
    readonly name: string;
    readonly description?: string;
    readonly eventPattern: string | Readonly<Record<string, unknown>>;
    readonly state?: string;
    readonly eventBusName?: string;
  }): string {
    if (!NAME_PATTERN.test(input.name)) {
      throw new AwsError(
        'ValidationException',
        `Rule name ${input.name} must be 1 to 64 characters from [.-_A-Za-z0-9].`,
      );
    }
    const bus = input.eventBusName ?? 'default';
    if (
      bus !== 'default' &&
      bus !== `arn:aws:events:${this.region}:${this.accountId}:event-bus/default`
    ) {
      throw new Error(`Event bus ${bus} is not emulated; only the default bus is.`);
    }
    const state = input.state ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') {
      throw new Error(`Rule state ${state} is not emulated (supported: ENABLED, DISABLED).`);
    }
    if (input.description !== undefined && input.description.length > 512) {
      throw new AwsError('ValidationException', 'Description must be at most 512 characters.');
    }
    let pattern: unknown = input.eventPattern;
    if (typeof pattern === 'string') {
      try {
        pattern = JSON.parse(pattern);
      } catch {
        throw invalidPattern('the pattern is not JSON');
      }
    }
    validatePattern(pattern, '');
    const arn = `arn:aws:events:${this.region}:${this.accountId}:rule/${input.name}`;
    const existing = this.state.rules[input.name];
    this.state.rules[input.name] = {
      name: input.name,
      arn,
      description: input.description,
      eventPattern: JSON.stringify(pattern),
      state,
      eventBusName: 'default',
      targets: existing?.targets ?? [],
    };
    return arn;
  }

  /**
   * Adds or replaces targets by id (PutTargets). Only SNS topics are emulated; other ARNs are
   * refused with an Error naming them. `input` must be JSON text.
   */
  // AWS: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html
  putTargets(ruleName: string, targets: readonly EventTarget[]): void {
    const rule = this.state.rules[ruleName];
    if (!rule) {
      throw new AwsError('ResourceNotFoundException', `Rule ${ruleName} does not exist.`);
    }
    for (const target of targets) {
      if (!NAME_PATTERN.test(target.id)) {
        throw new AwsError(
          'ValidationException',
          `Target id ${target.id} must be 1 to 64 characters from [.-_A-Za-z0-9].`,
        );
      }
      if (!SNS_TOPIC_ARN.test(target.arn)) {
        throw new Error(
          `Target ${target.id}: ${target.arn} is not an SNS topic; only SNS targets are emulated.`,
        );
      }
      if (target.input !== undefined) {
        if (target.input.length > 8192) {
          throw new AwsError(
            'ValidationException',
            `Input of target ${target.id} exceeds 8192 characters.`,
          );
        }
        try {
          JSON.parse(target.input);
        } catch {
          throw new AwsError(
            'ValidationException',
            `Input of target ${target.id} is not valid JSON text.`,
          );
        }
      }
    }
    const byId = new Map(rule.targets.map((target) => [target.id, target]));
    for (const target of targets) {
      byId.set(target.id, {
        id: target.id,
        arn: target.arn,
        ...(target.input !== undefined ? { input: target.input } : {}),
      });
    }
    // AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (5 targets per rule)
    if (byId.size > 5) {
      throw new AwsError('LimitExceededException', `Rule ${ruleName} can have at most 5 targets.`);
    }
    rule.targets = [...byId.values()];
  }

  removeTargets(ruleName: string, ids: readonly string[]): void {
    const rule = this.state.rules[ruleName];
    if (rule) rule.targets = rule.targets.filter((target) => !ids.includes(target.id));
  }

  deleteRule(name: string): void {
    const rule = this.state.rules[name];
    if (rule && rule.targets.length > 0) {
      throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
    }
    delete this.state.rules[name];
  }

  rule(name: string): RuleRecord | undefined {
    return this.state.rules[name];
  }

  rules(): RuleRecord[] {
    return Object.values(this.state.rules);
  }

  /**
   * Puts one event on the default bus from an emulated AWS service. Each enabled rule it
   * matches emits TriggeredRules (RuleName) and, per target, Invocations; a delivery that fails
   * emits FailedInvocations and is recorded. Deliveries are not retried. Resolves with the event
   * as delivered and the names of the matching rules; never rejects because of a target.
   */
  // AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
  async putEvent(input: PutEventInput): Promise<{ event: EventEnvelope; matchedRules: string[] }> {
    if (!input.source || !input['detail-type']) {
      throw new AwsError('ValidationException', 'An event needs a source and a detail-type.');
    }
    // AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events.html (envelope)
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': input['detail-type'],
      source: input.source,
      account: this.accountId,
      time: input.time ?? eventTime(this.clock.now()),
      region: this.region,
      resources: [...(input.resources ?? [])],
      detail: JSON.parse(JSON.stringify(input.detail)) as Record<string, unknown>,
    };
    const matched = Object.values(this.state.rules).filter(
      (rule) =>
        rule.state === 'ENABLED' &&
        matchesPattern(JSON.parse(rule.eventPattern) as Record<string, unknown>, event),
    );
    const kept = (this.state.events ??= []);
    kept.push(event);
    if (kept.length > this.maxDeliveries) kept.splice(0, kept.length - this.maxDeliveries);
    if (matched.length > 0) await this.putMetric('AWS/Events', 'MatchedEvents', {}, 1);
    for (const rule of matched) {
      await this.putMetric('AWS/Events', 'TriggeredRules', { RuleName: rule.name }, 1);
      for (const target of rule.targets) await this.deliver(rule, target, event);
    }
    return { event, matchedRules: matched.map((rule) => rule.name) };
  }

  /** Deliveries to a rule's targets, oldest first. */
  deliveries(ruleName?: string): DeliveryRecord[] {
    return this.state.deliveries.filter((d) => ruleName === undefined || d.ruleName === ruleName);
  }

  private async deliver(
    rule: RuleRecord,
    target: EventTarget,
    event: EventEnvelope,
  ): Promise<void> {
    await this.putMetric('AWS/Events', 'Invocations', { RuleName: rule.name }, 1);
    const message = target.input ?? JSON.stringify(event);
    const context = { 'aws:SourceArn': rule.arn, 'aws:SourceAccount': this.accountId };
    const record: DeliveryRecord = {
      ruleName: rule.name,
      targetId: target.id,
      targetArn: target.arn,
      eventId: event.id,
      at: new Date(this.clock.now()).toISOString(),
      ok: true,
    };
    try {
      await this.publishToTopic(SERVICE_PRINCIPAL, target.arn, message, context);
    } catch (error) {
      record.ok = false;
      record.error = {
        type:
          error instanceof AwsError ? error.type : error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      };
      await this.putMetric('AWS/Events', 'FailedInvocations', { RuleName: rule.name }, 1);
    }
    this.state.deliveries.push(record);
    if (this.state.deliveries.length > this.maxDeliveries) {
      this.state.deliveries.splice(0, this.state.deliveries.length - this.maxDeliveries);
    }
  }
}

/** An entry PutEvents can put, with its documented size. */
interface ValidEntry {
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly resources: string[];
  readonly time?: string;
  readonly bytes: number;
}

type ReadEntry =
  | ValidEntry
  | {
      readonly error: { readonly ErrorCode: string; readonly ErrorMessage: string };
      readonly bytes: number;
    };

/** Reads one PutEvents entry; a missing or malformed part fails that entry only. */
function readEntry(entry: InputReader): ReadEntry {
  const source = entry.optionalString('Source', { max: MAX_SOURCE_LENGTH });
  const detailType = entry.optionalString('DetailType', { max: MAX_DETAIL_TYPE_LENGTH });
  const detailText = entry.optionalString('Detail');
  const resources = entry.optionalStringList('Resources') ?? [];
  const seconds = entry.optionalInteger('Time');
  const bus = entry.optionalString('EventBusName');
  // AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
  const bytes =
    (seconds === undefined ? 0 : 14) +
    Buffer.byteLength(source ?? '') +
    Buffer.byteLength(detailType ?? '') +
    Buffer.byteLength(detailText ?? '') +
    resources.reduce((total, resource) => total + Buffer.byteLength(resource), 0);
  if (bus !== undefined && bus !== 'default' && !/:event-bus\/default$/.test(bus)) {
    throw new Error(`Event bus ${bus} is not emulated; only the default bus is.`);
  }
  if (source === undefined || detailType === undefined || detailText === undefined) {
    return {
      bytes,
      error: {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameters Source, DetailType and Detail are required.',
      },
    };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(detailText);
  } catch {
    detail = undefined;
  }
  if (!isRecord(detail)) {
    return {
      bytes,
      error: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    };
  }
  return {
    source,
    detailType,
    detail,
    resources,
    ...(seconds === undefined ? {} : { time: eventTime(seconds * 1000) }),
    bytes,
  };
}

/**
 * The EventBridge JSON 1.1 service (`AWSEvents.<Operation>`): PutEvents only. Its entries are
 * authorized one by one inside the operation, as EventBridge answers a denied entry in the result.
 */
export function eventsOperations(events: EventsService): OperationTable {
  return { PutEvents: (input, caller) => events.putEventsAs(caller.principal, input) };
}
