import { thrown } from './helpers';
import type { Principal } from '../../../local/aws/authorization';
import { CloudWatchService } from '../../../local/aws/cloudwatch';
import { AwsError } from '../../../local/aws/errors';
import {
  EventsService,
  matchesPattern,
  type EventTopicPublisher,
  type PutEventInput,
} from '../../../local/aws/events';
import { ManualClock } from '../../../local/aws/types';

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:Notifications`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:polytomic/prod-AbCdEf`;
const START = Date.UTC(2025, 0, 6, 12, 0, 0) + 1_000;

/** The rule the stack declares, as CloudFormation resolves it. */
const rotationFailureRule = {
  name: 'ApiKeyRotator-MonitoringRotationFailureRule-1A2B3C4D5E6F',
  description: 'Secrets Manager rotation failed or was abandoned',
  eventPattern: {
    source: ['aws.secretsmanager'],
    'detail-type': ['AWS Service Event via CloudTrail'],
    detail: {
      eventSource: ['secretsmanager.amazonaws.com'],
      eventName: ['RotationFailed', 'RotationAbandoned'],
    },
  },
  state: 'ENABLED',
};

/** A Secrets Manager rotation event as CloudTrail delivers it to EventBridge. */
function rotationEvent(eventName: string): PutEventInput {
  return {
    source: 'aws.secretsmanager',
    'detail-type': 'AWS Service Event via CloudTrail',
    detail: {
      eventVersion: '1.08',
      userIdentity: { accountId: ACCOUNT, invokedBy: 'secretsmanager.amazonaws.com' },
      eventTime: '2025-01-06T12:00:01Z',
      eventSource: 'secretsmanager.amazonaws.com',
      eventName,
      awsRegion: REGION,
      sourceIPAddress: 'secretsmanager.amazonaws.com',
      userAgent: 'secretsmanager.amazonaws.com',
      requestParameters: null,
      responseElements: null,
      additionalEventData: { SecretId: SECRET },
      readOnly: false,
      eventType: 'AwsServiceEvent',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
    },
  };
}

interface Delivered {
  principal: Principal;
  topicArn: string;
  message: string;
  context: Record<string, string>;
}

function setup(publish?: EventTopicPublisher): {
  events: EventsService;
  delivered: Delivered[];
  metrics: [string, string, Record<string, string>, number][];
} {
  const delivered: Delivered[] = [];
  const metrics: [string, string, Record<string, string>, number][] = [];
  const events = new EventsService({
    region: REGION,
    accountId: ACCOUNT,
    clock: new ManualClock(START),
    publishToTopic:
      publish ??
      ((principal, topicArn, message, context) => {
        delivered.push({ principal, topicArn, message, context });
        return Promise.resolve();
      }),
    putMetric: (namespace, name, dimensions, value) => {
      metrics.push([namespace, name, dimensions, value]);
    },
  });
  return { events, delivered, metrics };
}

describe('EventBridge rules', () => {
  it('delivers a matching Secrets Manager event to the SNS target as events.amazonaws.com', async () => {
    const { events, delivered, metrics } = setup();
    const ruleArn = events.putRule(rotationFailureRule);
    expect(ruleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/${rotationFailureRule.name}`);
    events.putTargets(rotationFailureRule.name, [{ id: 'Target0', arn: TOPIC }]);

    const { event, matchedRules } = await events.putEvent(rotationEvent('RotationFailed'));

    expect(matchedRules).toEqual([rotationFailureRule.name]);
    expect(delivered).toHaveLength(1);
    const [delivery] = delivered;
    expect(delivery?.principal).toEqual({ kind: 'service', service: 'events.amazonaws.com' });
    expect(delivery?.topicArn).toBe(TOPIC);
    expect(delivery?.context).toEqual({ 'aws:SourceArn': ruleArn, 'aws:SourceAccount': ACCOUNT });
    const message = JSON.parse(delivery?.message ?? '{}') as Record<string, unknown>;
    expect(message).toEqual({
      version: '0',
      id: event.id,
      'detail-type': 'AWS Service Event via CloudTrail',
      source: 'aws.secretsmanager',
      account: ACCOUNT,
      time: '2025-01-06T12:00:01Z',
      region: REGION,
      resources: [],
      detail: rotationEvent('RotationFailed').detail,
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    const rule = { RuleName: rotationFailureRule.name };
    expect(metrics).toEqual([
      ['AWS/Events', 'MatchedEvents', {}, 1],
      ['AWS/Events', 'TriggeredRules', rule, 1],
      ['AWS/Events', 'Invocations', rule, 1],
    ]);
    expect(events.deliveries(rotationFailureRule.name)).toEqual([
      expect.objectContaining({
        targetId: 'Target0',
        targetArn: TOPIC,
        eventId: event.id,
        ok: true,
      }),
    ]);
  });

  it.each(['RotationSucceeded', 'RotationStarted', 'TestRotationFailed'])(
    'does not match %s',
    async (eventName) => {
      const { events, delivered, metrics } = setup();
      events.putRule(rotationFailureRule);
      events.putTargets(rotationFailureRule.name, [{ id: 'Target0', arn: TOPIC }]);
      const { matchedRules } = await events.putEvent(rotationEvent(eventName));
      expect(matchedRules).toEqual([]);
      expect(delivered).toEqual([]);
      expect(metrics).toEqual([]);
    },
  );

  it('does not match through a disabled rule', async () => {
    const { events, delivered } = setup();
    events.putRule({ ...rotationFailureRule, state: 'DISABLED' });
    events.putTargets(rotationFailureRule.name, [{ id: 'Target0', arn: TOPIC }]);
    expect((await events.putEvent(rotationEvent('RotationFailed'))).matchedRules).toEqual([]);
    expect(delivered).toEqual([]);
  });

  describe('a delivery the topic refuses', () => {
    const refusing: EventTopicPublisher = () =>
      Promise.reject(
        new AwsError(
          'AuthorizationError',
          `User: events.amazonaws.com is not authorized to perform: SNS:Publish on resource: ${TOPIC}`,
        ),
      );
    const accepting: EventTopicPublisher = () => Promise.resolve();

    it.each([
      ['refuses', refusing, false],
      ['accepts', accepting, true],
    ])(
      'when the topic %s: FailedInvocations and the delivery record follow',
      async (_case, publish, ok) => {
        const { events, metrics } = setup(publish);
        events.putRule(rotationFailureRule);
        events.putTargets(rotationFailureRule.name, [{ id: 'Target0', arn: TOPIC }]);

        await expect(events.putEvent(rotationEvent('RotationAbandoned'))).resolves.toMatchObject({
          matchedRules: [rotationFailureRule.name],
        });

        const failed = metrics.filter(([, name]) => name === 'FailedInvocations');
        expect(failed).toEqual(
          ok
            ? []
            : [['AWS/Events', 'FailedInvocations', { RuleName: rotationFailureRule.name }, 1]],
        );
        const [delivery] = events.deliveries(rotationFailureRule.name);
        expect(delivery?.ok).toBe(ok);
        if (ok) {
          expect(delivery?.error).toBeUndefined();
        } else {
          expect(delivery?.error?.type).toBe('AuthorizationError');
          expect(delivery?.error?.message).toContain('events.amazonaws.com');
        }
      },
    );
  });

  it('sends a target input instead of the event', async () => {
    const { events, delivered } = setup();
    events.putRule(rotationFailureRule);
    events.putTargets(rotationFailureRule.name, [
      { id: 'Target0', arn: TOPIC, input: '{"alert":"rotation failed"}' },
    ]);
    await events.putEvent(rotationEvent('RotationFailed'));
    expect(delivered[0]?.message).toBe('{"alert":"rotation failed"}');
  });

  it('feeds an alarm on TriggeredRules through CloudWatch', async () => {
    const clock = new ManualClock(START);
    const alarmed: string[] = [];
    const cloudwatch = new CloudWatchService({
      region: REGION,
      accountId: ACCOUNT,
      clock,
      notify: (_principal, topicArn) => {
        alarmed.push(topicArn);
        return Promise.resolve();
      },
    });
    const events = new EventsService({
      region: REGION,
      accountId: ACCOUNT,
      clock,
      publishToTopic: () => Promise.resolve(),
      putMetric: (namespace, name, dimensions, value) =>
        cloudwatch.putMetricData(namespace, name, dimensions, value),
    });
    events.putRule(rotationFailureRule);
    cloudwatch.putMetricAlarm({
      AlarmName: 'SecretsManagerRotationFailures',
      AlarmActions: [TOPIC],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'RuleName', Value: rotationFailureRule.name }],
      EvaluationPeriods: 1,
      MetricName: 'TriggeredRules',
      Namespace: 'AWS/Events',
      Period: 300,
      Statistic: 'Sum',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });

    await events.putEvent(rotationEvent('RotationSucceeded'));
    expect(cloudwatch.alarms()[0]?.state).toBe('INSUFFICIENT_DATA');

    await events.putEvent(rotationEvent('RotationFailed'));
    expect(cloudwatch.alarms()[0]?.state).toBe('ALARM');
    expect(alarmed).toEqual([TOPIC]);
  });

  it.each(['numeric', 'cidr', 'suffix', 'wildcard', 'equals-ignore-case'])(
    'refuses the operator it does not emulate: %s',
    (operator) => {
      const { events } = setup();
      expect(() =>
        events.putRule({
          name: 'r',
          eventPattern: { detail: { field: [{ [operator]: 'x' }] } },
          state: 'ENABLED',
        }),
      ).toThrow(`Event pattern operator "${operator}" (at detail.field) is not emulated`);
      expect(events.rules()).toEqual([]);
    },
  );

  it.each([
    ['a value that is not an array', { source: 'aws.secretsmanager' }],
    ['an empty array', { source: [] }],
    ['an empty pattern', {}],
    ['not JSON', '{source'],
    ['an anything-but list of mixed types', { a: [{ 'anything-but': ['x', 1] }] }],
    ['a prefix that is not a string', { a: [{ prefix: 1 }] }],
  ])('refuses an invalid pattern: %s', (_case, eventPattern) => {
    const { events } = setup();
    expect(
      thrown(() => events.putRule({ name: 'r', eventPattern, state: 'ENABLED' })),
    ).toMatchObject({ type: 'InvalidEventPatternException' });
  });

  it('refuses targets that are not SNS topics, and rules on other buses', () => {
    const { events } = setup();
    events.putRule(rotationFailureRule);
    const fn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:f`;
    expect(() => events.putTargets(rotationFailureRule.name, [{ id: 'Lambda', arn: fn }])).toThrow(
      `Target Lambda: ${fn} is not an SNS topic`,
    );
    expect(() =>
      events.putRule({ ...rotationFailureRule, name: 'other', eventBusName: 'custom' }),
    ).toThrow('Event bus custom is not emulated');
    expect(thrown(() => events.putTargets('missing', [{ id: 'T', arn: TOPIC }]))).toMatchObject({
      type: 'ResourceNotFoundException',
    });
  });
});

describe('event pattern matching', () => {
  const event = {
    source: 'aws.secretsmanager',
    time: '2025-01-06T12:00:01Z',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-1', 'arn:x'],
    detail: {
      state: 'running',
      count: 5,
      flag: true,
      nothing: null,
      empty: '',
      nested: { inner: 'value' },
      tags: ['a', 'b'],
      items: [{ name: 'one' }, { name: 'two' }],
    },
  };

  it.each([
    ['exact value', { source: ['aws.secretsmanager'] }, true],
    ['one of several values', { source: ['aws.ec2', 'aws.secretsmanager'] }, true],
    ['another value', { source: ['aws.ec2'] }, false],
    ['nested field', { detail: { nested: { inner: ['value'] } } }, true],
    ['missing field', { detail: { absent: ['x'] } }, false],
    ['array intersection', { resources: ['arn:x', 'arn:y'] }, true],
    ['array without intersection', { resources: ['arn:y'] }, false],
    ['array elements', { detail: { tags: ['b'] } }, true],
    ['objects in an array', { detail: { items: { name: ['two'] } } }, true],
    ['number', { detail: { count: [5] } }, true],
    ['number written as a string', { detail: { count: ['5'] } }, false],
    ['boolean', { detail: { flag: [true] } }, true],
    ['null', { detail: { nothing: [null] } }, true],
    ['null is not the empty string', { detail: { nothing: [''] } }, false],
    ['empty string', { detail: { empty: [''] } }, true],
    ['case matters', { source: ['AWS.secretsmanager'] }, false],
    ['an object is not a leaf value', { detail: { nested: ['value'] } }, false],
    ['prefix', { time: [{ prefix: '2025-01-06' }] }, true],
    ['other prefix', { time: [{ prefix: '2024' }] }, false],
    ['anything-but a value', { detail: { state: [{ 'anything-but': 'stopped' }] } }, true],
    ['anything-but the value', { detail: { state: [{ 'anything-but': 'running' }] } }, false],
    [
      'anything-but a list',
      { detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } },
      false,
    ],
    ['anything-but numbers', { detail: { count: [{ 'anything-but': [1, 2] }] } }, true],
    [
      'anything-but a prefix',
      { detail: { state: [{ 'anything-but': { prefix: 'run' } }] } },
      false,
    ],
    [
      'anything-but another prefix',
      { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      true,
    ],
    ['anything-but on a missing field', { detail: { absent: [{ 'anything-but': 'x' }] } }, false],
    ['exists true', { detail: { state: [{ exists: true }] } }, true],
    ['exists true on a missing field', { detail: { absent: [{ exists: true }] } }, false],
    ['exists false on a missing field', { detail: { absent: [{ exists: false }] } }, true],
    ['exists false on a present field', { detail: { state: [{ exists: false }] } }, false],
    ['exists false on a non-leaf', { detail: { nested: [{ exists: false }] } }, true],
    ['exists true on a null leaf', { detail: { nothing: [{ exists: true }] } }, true],
    [
      'every field must match',
      { source: ['aws.secretsmanager'], detail: { state: ['stopped'] } },
      false,
    ],
  ])('%s', (_case, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});
