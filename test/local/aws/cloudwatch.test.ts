import { thrown } from './helpers';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Authorizer, type PolicyDocument, type Principal } from '../../../local/aws/authorization';
import { CloudWatchService, type ServicePublisher } from '../../../local/aws/cloudwatch';
import { DashboardsService } from '../../../local/aws/dashboards';
import { AwsError } from '../../../local/aws/errors';
import { ManualClock } from '../../../local/aws/types';
import {
  AuditMetric,
  METRICS_NAMESPACE,
  RotationMetric,
  SERVICE_NAME,
} from '../../../lambda/shared/contracts';

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:Notifications`;
const FIVE_MINUTES = 300_000;
/** A period boundary, plus a little, so a test's datapoints share one 300 s period. */
const START = Date.UTC(2025, 0, 6, 12, 0, 0) + 1_000;

interface Published {
  principal: Principal;
  topicArn: string;
  subject: string;
  message: string;
  context: Record<string, string>;
}

function recordingNotifier(): { notify: ServicePublisher; published: Published[] } {
  const published: Published[] = [];
  return {
    published,
    notify: (principal, topicArn, subject, message, context) => {
      published.push({ principal, topicArn, subject, message, context });
      return Promise.resolve();
    },
  };
}

/** The alarm the stack declares on RotationStepFailed, as CloudFormation resolves it. */
const stepFailedAlarm = {
  AlarmName: 'ApiKeyRotator-RotationStepFailed',
  AlarmActions: [TOPIC],
  AlarmDescription: 'The rotation function reported RotationStepFailed',
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
  EvaluationPeriods: 1,
  MetricName: RotationMetric.StepFailed,
  Namespace: METRICS_NAMESPACE,
  Period: 300,
  Statistic: 'Sum',
  Threshold: 1,
  TreatMissingData: 'notBreaching',
};

/** One EMF line exactly as Powertools prints it (publishStoredMetrics logs serializeMetrics()). */
function powertoolsLine(record: (metrics: Metrics) => void): string {
  const metrics = new Metrics({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE });
  record(metrics);
  const line = JSON.stringify(metrics.serializeMetrics());
  metrics.clearMetrics();
  return line;
}

function service(
  notify: ServicePublisher = recordingNotifier().notify,
  clock = new ManualClock(START),
): { cloudwatch: CloudWatchService; clock: ManualClock } {
  return {
    cloudwatch: new CloudWatchService({ region: REGION, accountId: ACCOUNT, clock, notify }),
    clock,
  };
}

describe('CloudWatch metrics from embedded metric format', () => {
  it('records the metrics of a Powertools EMF line, array values as separate datapoints', async () => {
    const { cloudwatch } = service();
    const line = powertoolsLine((m) => {
      m.addMetric(RotationMetric.StepFailed, MetricUnit.Count, 1);
      m.addMetric(RotationMetric.StepSucceeded, MetricUnit.Count, 1);
      m.addMetric(RotationMetric.StepSucceeded, MetricUnit.Count, 1);
      m.addMetadata('provider', 'poelis');
    });
    expect(line).toContain(`"${RotationMetric.StepSucceeded}":[1,1]`);

    await cloudwatch.ingestLogLine('rotation', line);

    const service_ = { service: SERVICE_NAME };
    expect(cloudwatch.metricSum(METRICS_NAMESPACE, RotationMetric.StepFailed, service_)).toBe(1);
    expect(cloudwatch.metricSum(METRICS_NAMESPACE, RotationMetric.StepSucceeded, service_)).toBe(2);
    // Metadata is not a dimension, and the exact dimension set is the metric's identity.
    expect(cloudwatch.metricSum(METRICS_NAMESPACE, RotationMetric.StepFailed, {})).toBe(0);
    expect(
      cloudwatch.metricSum(METRICS_NAMESPACE, RotationMetric.StepFailed, {
        ...service_,
        provider: 'poelis',
      }),
    ).toBe(0);
    expect(cloudwatch.state.emf).toEqual({ accepted: 1, rejected: 0 });
  });

  it('records each declared dimension set as a separate metric', async () => {
    const { cloudwatch } = service();
    const line = JSON.stringify({
      _aws: {
        Timestamp: START,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['service'], ['service', 'check']],
            Metrics: [{ Name: AuditMetric.CheckFailed, Unit: 'Count' }],
          },
        ],
      },
      service: SERVICE_NAME,
      check: 'current-key-works',
      [AuditMetric.CheckFailed]: 2,
    });

    await cloudwatch.ingestLogLine('audit', line);

    const name = AuditMetric.CheckFailed;
    expect(cloudwatch.metricSum(METRICS_NAMESPACE, name, { service: SERVICE_NAME })).toBe(2);
    expect(
      cloudwatch.metricSum(METRICS_NAMESPACE, name, {
        check: 'current-key-works',
        service: SERVICE_NAME,
      }),
    ).toBe(2);
    expect(cloudwatch.metrics()).toHaveLength(2);
  });

  it('reads a document after a Lambda-style tab-separated prefix', async () => {
    const { cloudwatch } = service();
    const line = powertoolsLine((m) => m.addMetric(RotationMetric.KeyRevoked, MetricUnit.Count, 1));
    await cloudwatch.ingestLogLine('rotation', `2025-01-06T12:00:01.000Z\tabc-123\tINFO\t${line}`);
    expect(
      cloudwatch.metricSum(METRICS_NAMESPACE, RotationMetric.KeyRevoked, { service: SERVICE_NAME }),
    ).toBe(1);
  });

  it('ignores non-JSON and non-EMF lines silently, and counts malformed EMF documents', async () => {
    const { cloudwatch } = service();
    await cloudwatch.ingestLogLine('rotation', 'START RequestId: 1 Version: $LATEST');
    await cloudwatch.ingestLogLine(
      'rotation',
      '{"level":"INFO","message":"rotation step succeeded"}',
    );
    await cloudwatch.ingestLogLine('rotation', '{not json');
    expect(cloudwatch.state.emf).toEqual({ accepted: 0, rejected: 0 });

    // The dimension `service` is declared but missing from the root node.
    const missingDimension = JSON.stringify({
      _aws: {
        Timestamp: START,
        CloudWatchMetrics: [
          { Namespace: METRICS_NAMESPACE, Dimensions: [['service']], Metrics: [{ Name: 'X' }] },
        ],
      },
      X: 1,
    });
    const textValue = JSON.stringify({
      _aws: {
        Timestamp: START,
        CloudWatchMetrics: [
          { Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: 'X' }] },
        ],
      },
      X: 'one',
    });
    await cloudwatch.ingestLogLine('rotation', missingDimension);
    await cloudwatch.ingestLogLine('rotation', textValue);

    expect(cloudwatch.state.emf.rejected).toBe(2);
    expect(cloudwatch.state.emf.accepted).toBe(0);
    expect(cloudwatch.state.emf.lastRejection?.functionName).toBe('rotation');
    expect(cloudwatch.state.emf.lastRejection?.reason).toBe(
      'metric X must be a number or an array of at most 100 numbers on the root node',
    );
    expect(cloudwatch.metrics()).toEqual([]);
  });
});

describe('CloudWatch alarms', () => {
  it('goes to ALARM on a RotationStepFailed EMF line and notifies as cloudwatch.amazonaws.com', async () => {
    const { notify, published } = recordingNotifier();
    const { cloudwatch } = service(notify);
    const { arn } = cloudwatch.putMetricAlarm(stepFailedAlarm);
    expect(arn).toBe(
      `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:ApiKeyRotator-RotationStepFailed`,
    );
    expect(cloudwatch.alarms()).toEqual([
      expect.objectContaining({
        state: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
      }),
    ]);

    // A succeeded step is another metric: the alarm is not touched.
    await cloudwatch.ingestLogLine(
      'rotation',
      powertoolsLine((m) => m.addMetric(RotationMetric.StepSucceeded, MetricUnit.Count, 1)),
    );
    expect(published).toEqual([]);
    expect(cloudwatch.alarms()[0]?.state).toBe('INSUFFICIENT_DATA');

    await cloudwatch.ingestLogLine(
      'rotation',
      powertoolsLine((m) => m.addMetric(RotationMetric.StepFailed, MetricUnit.Count, 1)),
    );

    expect(cloudwatch.alarms()[0]?.state).toBe('ALARM');
    expect(published).toHaveLength(1);
    const [notification] = published;
    expect(notification?.principal).toEqual({
      kind: 'service',
      service: 'cloudwatch.amazonaws.com',
    });
    expect(notification?.topicArn).toBe(TOPIC);
    expect(notification?.context).toEqual({ 'aws:SourceArn': arn, 'aws:SourceAccount': ACCOUNT });
    expect(notification?.subject).toBe(
      'ALARM: "ApiKeyRotator-RotationStepFailed" in US East (N. Virginia)',
    );
    const message = JSON.parse(notification?.message ?? '{}') as Record<string, unknown>;
    expect(message).toMatchObject({
      AlarmName: 'ApiKeyRotator-RotationStepFailed',
      AlarmDescription: 'The rotation function reported RotationStepFailed',
      AWSAccountId: ACCOUNT,
      NewStateValue: 'ALARM',
      OldStateValue: 'INSUFFICIENT_DATA',
      Region: 'US East (N. Virginia)',
      AlarmArn: arn,
      AlarmActions: [TOPIC],
      Trigger: {
        MetricName: RotationMetric.StepFailed,
        Namespace: METRICS_NAMESPACE,
        Statistic: 'SUM',
        Dimensions: [{ value: SERVICE_NAME, name: 'service' }],
        Period: 300,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      },
    });
    expect(message.NewStateReason).toBe(
      'Threshold Crossed: 1 out of the last 1 datapoints [1.0 (06/01/25 12:00:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).',
    );
    expect(message.StateChangeTime).toBe('2025-01-06T12:00:01.000+0000');

    // Staying in ALARM sends nothing more.
    await cloudwatch.ingestLogLine(
      'rotation',
      powertoolsLine((m) => m.addMetric(RotationMetric.StepFailed, MetricUnit.Count, 1)),
    );
    expect(published).toHaveLength(1);
  });

  describe('records the outcome of each alarm action in the history', () => {
    // The SNS side as the world wires it: the topic policy decides whether CloudWatch may publish.
    const authorizer = new Authorizer({ identityPolicies: () => [] });
    const topicPolicy = (service: string): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: service },
          Action: 'sns:Publish',
          Resource: TOPIC,
        },
      ],
    });
    const snsPublishAs =
      (policy: PolicyDocument): ServicePublisher =>
      async (principal, topicArn, _subject, _message, context) => {
        await authorizer.authorize(
          { principal, action: 'sns:Publish', resource: topicArn, resourcePolicy: policy, context },
          'AuthorizationError',
        );
      };

    it.each([
      ['events.amazonaws.com', 'Failed'],
      ['cloudwatch.amazonaws.com', 'Succeeded'],
    ])('topic policy allowing %s: action %s', async (allowed, outcome) => {
      const { cloudwatch } = service(snsPublishAs(topicPolicy(allowed)));
      cloudwatch.putMetricAlarm(stepFailedAlarm);

      await cloudwatch.putMetricData(
        METRICS_NAMESPACE,
        RotationMetric.StepFailed,
        { service: SERVICE_NAME },
        1,
      );

      expect(cloudwatch.alarms()[0]?.state).toBe('ALARM');
      const actions = cloudwatch.alarmHistory('ApiKeyRotator-RotationStepFailed', 'Action');
      expect(actions).toHaveLength(1);
      const [item] = actions;
      const data = JSON.parse(item?.historyData ?? '{}') as Record<string, unknown>;
      expect(data.actionState).toBe(outcome);
      if (outcome === 'Failed') {
        expect(item?.historySummary).toBe(
          `Failed to execute action ${TOPIC}. Received error: "User: cloudwatch.amazonaws.com is not authorized to perform: sns:Publish on resource: ${TOPIC} because no resource-based policy allows the sns:Publish action"`,
        );
      } else {
        expect(item?.historySummary).toBe(`Successfully executed action ${TOPIC}`);
      }
      // The state change is recorded whatever became of the action.
      expect(cloudwatch.alarmHistory('ApiKeyRotator-RotationStepFailed', 'StateUpdate')).toEqual([
        expect.objectContaining({
          historySummary: 'Alarm updated from INSUFFICIENT_DATA to ALARM',
        }),
      ]);
    });

    it('a notifier that throws does not reject the datapoint', async () => {
      const failing: ServicePublisher = () =>
        Promise.reject(new AwsError('KMSAccessDenied', 'KMS denied access'));
      const { cloudwatch } = service(failing);
      cloudwatch.putMetricAlarm(stepFailedAlarm);
      await expect(
        cloudwatch.putMetricData(
          METRICS_NAMESPACE,
          RotationMetric.StepFailed,
          { service: SERVICE_NAME },
          1,
        ),
      ).resolves.toBeUndefined();
      expect(
        cloudwatch.alarmHistory('ApiKeyRotator-RotationStepFailed', 'Action')[0]?.historySummary,
      ).toBe(`Failed to execute action ${TOPIC}. Received error: "KMS denied access"`);
    });
  });

  it('alarms on AWS/Lambda Errors by FunctionName through recordInvocation, and returns to OK once the datapoint ages out', async () => {
    const { notify, published } = recordingNotifier();
    const { cloudwatch, clock } = service(notify);
    cloudwatch.putMetricAlarm(
      {
        AlarmActions: [TOPIC],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Dimensions: [{ Name: 'FunctionName', Value: 'ApiKeyRotator-RotationFunction-ABC' }],
        EvaluationPeriods: 1,
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Period: 300,
        Statistic: 'Sum',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      },
      { generatedName: 'ApiKeyRotator-MonitoringRotationFunctionErrors-1A2B3C4D5E6F' },
    );

    await cloudwatch.recordInvocation('ApiKeyRotator-RotationFunction-ABC', {
      ok: true,
      durationMs: 120,
    });
    await cloudwatch.recordInvocation('another-function', { ok: false, durationMs: 80 });
    await cloudwatch.recordInvocation('ApiKeyRotator-RotationFunction-ABC', {
      ok: false,
      durationMs: 0,
      throttled: true,
    });
    expect(published).toEqual([]);
    const fn = { FunctionName: 'ApiKeyRotator-RotationFunction-ABC' };
    expect(cloudwatch.metricSum('AWS/Lambda', 'Invocations', fn)).toBe(1);
    expect(cloudwatch.metricSum('AWS/Lambda', 'Throttles', fn)).toBe(1);
    expect(cloudwatch.metricSum('AWS/Lambda', 'Duration', fn)).toBe(120);
    expect(cloudwatch.metricSum('AWS/Lambda', 'Errors', {})).toBe(1);

    await cloudwatch.recordInvocation('ApiKeyRotator-RotationFunction-ABC', {
      ok: false,
      durationMs: 90,
    });

    const [alarm] = cloudwatch.alarms();
    expect(alarm?.name).toBe('ApiKeyRotator-MonitoringRotationFunctionErrors-1A2B3C4D5E6F');
    expect(alarm?.state).toBe('ALARM');
    expect(published.map((p) => p.subject)).toEqual([
      'ALARM: "ApiKeyRotator-MonitoringRotationFunctionErrors-1A2B3C4D5E6F" in US East (N. Virginia)',
    ]);

    // The last datapoint stays in the evaluation range (EvaluationPeriods + 2 periods).
    clock.advance(2 * FIVE_MINUTES);
    await cloudwatch.evaluateAll();
    expect(cloudwatch.alarms()[0]?.state).toBe('ALARM');

    clock.advance(FIVE_MINUTES);
    await cloudwatch.evaluateAll();
    expect(cloudwatch.alarms()[0]).toMatchObject({
      state: 'OK',
      reason:
        'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
    });
    // No OKActions: still one notification.
    expect(published).toHaveLength(1);
  });

  describe('evaluates missing data as AWS documents it (3 of 3, five most recent periods)', () => {
    // 0: not breaching, X: breaching, -: missing; oldest first, the last is the current period.
    const rows: [string, number, Record<string, string>][] = [
      ['0 - X - X', 3, { missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' }],
      ['0 - - - -', 3, { missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' }],
      [
        '- - - - X',
        3,
        {
          missing: 'INSUFFICIENT_DATA',
          ignore: 'INSUFFICIENT_DATA',
          breaching: 'ALARM',
          notBreaching: 'OK',
        },
      ],
      [
        '0 X X - X',
        3,
        { missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
      ],
      [
        '0 - X - X',
        2,
        { missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
      ],
      [
        '0 0 X 0 X',
        2,
        { missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
      ],
      ['0 - X - -', 2, { missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' }],
      ['- - - - 0', 2, { missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' }],
    ];
    const cases = rows.flatMap(([points, m, expected]) =>
      Object.entries(expected).map(([treatment, state]) => [points, m, treatment, state] as const),
    );

    it.each(cases)('%s, %i of 3, %s -> %s', async (points, m, treatment, state) => {
      const { cloudwatch, clock } = service();
      const period = 60;
      const start = Math.floor(START / 60_000) * 60_000;
      clock.set(start + 4 * 60_000 + 5_000);
      cloudwatch.putMetricAlarm({
        AlarmName: 'table',
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: m,
        MetricName: 'Load',
        Namespace: 'Test',
        Period: period,
        Statistic: 'Maximum',
        Threshold: 3,
        TreatMissingData: treatment,
      });
      const cells = points.split(' ');
      for (const [i, cell] of cells.entries()) {
        if (cell === '-') continue;
        await cloudwatch.putMetricData(
          'Test',
          'Load',
          {},
          cell === 'X' ? 5 : 1,
          start + i * 60_000 + 1_000,
        );
      }
      await cloudwatch.evaluateAll();
      expect(cloudwatch.alarms()[0]?.state).toBe(state);
    });

    it('ignore keeps the current state where missing would be INSUFFICIENT_DATA', async () => {
      const { cloudwatch, clock } = service();
      const start = Math.floor(START / 60_000) * 60_000;
      clock.set(start + 5_000);
      cloudwatch.putMetricAlarm({
        AlarmName: 'ignore',
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        MetricName: 'Load',
        Namespace: 'Test',
        Period: 60,
        Statistic: 'Maximum',
        Threshold: 3,
        TreatMissingData: 'ignore',
      });
      for (let i = 0; i < 3; i += 1) {
        await cloudwatch.putMetricData('Test', 'Load', {}, 1, clock.now());
        clock.advance(60_000);
      }
      expect(cloudwatch.alarms()[0]?.state).toBe('OK');
      // Only a lone breaching point remains in range: missing would go to INSUFFICIENT_DATA.
      clock.advance(4 * 60_000);
      await cloudwatch.putMetricData('Test', 'Load', {}, 5);
      expect(cloudwatch.alarms()[0]?.state).toBe('OK');
    });
  });

  it('keeps the state of an alarm whose configuration is replaced', async () => {
    const { cloudwatch } = service();
    cloudwatch.putMetricAlarm(stepFailedAlarm);
    await cloudwatch.putMetricData(
      METRICS_NAMESPACE,
      RotationMetric.StepFailed,
      { service: SERVICE_NAME },
      1,
    );
    cloudwatch.putMetricAlarm({ ...stepFailedAlarm, Threshold: 5 });
    expect(cloudwatch.alarms()[0]?.state).toBe('ALARM');
    expect(cloudwatch.alarm('ApiKeyRotator-RotationStepFailed')?.config.threshold).toBe(5);
    await cloudwatch.evaluateAll();
    expect(cloudwatch.alarms()[0]?.state).toBe('OK');
  });

  it.each([
    ['Metrics', { Metrics: [{ Id: 'm1', Expression: 'SUM(METRICS())' }] }],
    ['ExtendedStatistic', { ExtendedStatistic: 'p99' }],
    ['Unit', { Unit: 'Count' }],
    ['ThresholdMetricId', { ThresholdMetricId: 'ad1' }],
  ])('refuses the property it does not emulate: %s', (name, extra) => {
    const { cloudwatch } = service();
    expect(() => cloudwatch.putMetricAlarm({ ...stepFailedAlarm, ...extra })).toThrow(
      new RegExp(`property ${name} is not emulated`),
    );
  });

  it('refuses actions that are not SNS topics and invalid values', () => {
    const { cloudwatch } = service();
    const lambda = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:f`;
    expect(() => cloudwatch.putMetricAlarm({ ...stepFailedAlarm, OKActions: [lambda] })).toThrow(
      `OKActions: ${lambda} is not an SNS topic ARN`,
    );
    expect(() => cloudwatch.putMetricAlarm({ ...stepFailedAlarm, Statistic: 'p99' })).toThrow(
      'Statistic p99 is not emulated',
    );
    expect(
      thrown(() => cloudwatch.putMetricAlarm({ ...stepFailedAlarm, DatapointsToAlarm: 2 })),
    ).toMatchObject({ type: 'ValidationError' });
    expect(
      thrown(() => cloudwatch.putMetricAlarm({ ...stepFailedAlarm, Period: 90 })),
    ).toMatchObject({ type: 'ValidationError' });
    expect(cloudwatch.alarms()).toEqual([]);
  });

  it('accepts CloudFormation numbers written as strings', () => {
    const { cloudwatch } = service();
    cloudwatch.putMetricAlarm({
      ...stepFailedAlarm,
      Threshold: '1',
      Period: '300',
      EvaluationPeriods: '1',
    });
    expect(cloudwatch.alarm('ApiKeyRotator-RotationStepFailed')?.config).toMatchObject({
      threshold: 1,
      period: 300,
      evaluationPeriods: 1,
    });
  });
});

describe('CloudWatch dashboards', () => {
  const clock = new ManualClock(START);

  it('stores a body with a widgets array, alarm widgets included', () => {
    const dashboards = new DashboardsService({ accountId: ACCOUNT, clock });
    const body = JSON.stringify({
      start: '-P7D',
      widgets: [
        {
          type: 'alarm',
          width: 24,
          height: 3,
          x: 0,
          y: 0,
          properties: {
            title: 'Rotation alarms',
            alarms: [
              `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:ApiKeyRotator-RotationStepFailed`,
            ],
          },
        },
      ],
    });
    expect(dashboards.putDashboard('ApiKeyRotator-Dashboard', body)).toEqual({
      name: 'ApiKeyRotator-Dashboard',
      arn: `arn:aws:cloudwatch::${ACCOUNT}:dashboard/ApiKeyRotator-Dashboard`,
    });
    expect(dashboards.dashboard('ApiKeyRotator-Dashboard')).toMatchObject({ body, widgetCount: 1 });
    expect(dashboards.putDashboard('Empty', '{"widgets":[]}').name).toBe('Empty');
  });

  it.each([
    ['not JSON', '{widgets'],
    ['without widgets', '{"start":"-P7D"}'],
    ['widgets not an array', '{"widgets":{}}'],
    ['a widget without type', '{"widgets":[{"x":0}]}'],
  ])('refuses a body %s', (_case, body) => {
    const dashboards = new DashboardsService({ accountId: ACCOUNT, clock });
    expect(thrown(() => dashboards.putDashboard('D', body))).toMatchObject({
      type: 'InvalidParameterInput',
    });
    expect(dashboards.dashboard('D')).toBeUndefined();
  });

  it('refuses a name with characters PutDashboard does not allow', () => {
    const dashboards = new DashboardsService({ accountId: ACCOUNT, clock });
    expect(thrown(() => dashboards.putDashboard('my dashboard', '{"widgets":[]}'))).toMatchObject({
      type: 'InvalidParameterValue',
    });
  });
});
