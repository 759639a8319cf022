import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from './rotation-function';

/** Custom metrics the rotation function publishes; each data point is an incident. */
export const ROTATION_INCIDENT_METRICS = [
  'RotationStepFailed',
  'RevocationFailed',
  'ManualRevocationRequired',
] as const;

/** Metric the audit publishes for each managed secret whose next rotation date has passed. */
export const ROTATION_OVERDUE_METRIC = 'RotationOverdue';

/** Secrets Manager's own rotation outcome events that need a person. */
export const ROTATION_FAILURE_EVENTS = ['RotationFailed', 'RotationAbandoned'];

/** Properties of a {@link RotationMonitoring}. */
export interface RotationMonitoringProps {
  /** The topic that receives every alarm and rotation failure event. */
  readonly notificationTopic: sns.ITopic;

  /** The rotation function. */
  readonly rotationFunction: lambda.IFunction;

  /**
   * The audit function, whose errors are alarmed and graphed like the rotation function's.
   * @default - no audit function
   */
  readonly auditFunction?: lambda.IFunction;

  /**
   * Name of the dashboard.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;

  /**
   * Period over which alarms sum their metric.
   * @default Duration.minutes(5)
   */
  readonly alarmPeriod?: Duration;
}

/**
 * Alarms, a rotation-failure event rule and a dashboard of rotation health, all notifying one
 * topic.
 *
 * Alarms: rotation function errors; Secrets Manager's RotationFailed/RotationAbandoned events;
 * overdue rotations (reported by the audit); and each of the function's incident metrics.
 */
export class RotationMonitoring extends Construct {
  /** Every alarm, by a short name. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The rule that forwards Secrets Manager rotation failures to the topic. */
  readonly rotationFailureRule: events.Rule;
  /** The rotation health dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  private readonly period: Duration;
  private readonly alarmAction: cloudwatch.IAlarmAction;

  constructor(scope: Construct, id: string, props: RotationMonitoringProps) {
    super(scope, id);
    this.period = props.alarmPeriod ?? Duration.minutes(5);
    this.alarmAction = new cloudwatchActions.SnsAction(props.notificationTopic);

    // Secrets Manager reports these as CloudTrail service events; they are not filtered by
    // secret because the field carrying the secret ARN is not documented for them.
    this.rotationFailureRule = new events.Rule(this, 'RotationFailureRule', {
      description: 'Secrets Manager rotation failed or was abandoned',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ROTATION_FAILURE_EVENTS,
        },
      },
      targets: [new targets.SnsTopic(props.notificationTopic)],
    });
    Validations.of(this.rotationFailureRule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        'An undelivered event is still counted in TriggeredRules, whose alarm notifies independently of the delivery.',
    });
    const rotationFailures = new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: this.rotationFailureRule.ruleName },
      statistic: cloudwatch.Stats.SUM,
      period: this.period,
    });

    const alarms: Record<string, cloudwatch.Alarm> = {
      RotationFunctionErrors: this.alarmOnAny(
        'RotationFunctionErrors',
        props.rotationFunction.metricErrors({ period: this.period }),
        'The rotation function failed (a rotation step threw or timed out)',
      ),
      SecretsManagerRotationFailures: this.alarmOnAny(
        'SecretsManagerRotationFailures',
        rotationFailures,
        'Secrets Manager reported RotationFailed or RotationAbandoned',
      ),
      RotationOverdue: this.alarmOnAny(
        'RotationOverdue',
        this.rotatorMetric(ROTATION_OVERDUE_METRIC),
        'A managed secret has not rotated by its next rotation date',
      ),
    };
    for (const metricName of ROTATION_INCIDENT_METRICS) {
      alarms[metricName] = this.alarmOnAny(
        metricName,
        this.rotatorMetric(metricName),
        `The rotation function reported ${metricName}`,
      );
    }
    if (props.auditFunction) {
      alarms.AuditFunctionErrors = this.alarmOnAny(
        'AuditFunctionErrors',
        props.auditFunction.metricErrors({ period: this.period }),
        'The audit function failed',
      );
    }
    this.alarms = alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
    });
    const functions: [string, lambda.IFunction][] = [['Rotation function', props.rotationFunction]];
    if (props.auditFunction) functions.push(['Audit function', props.auditFunction]);
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Rotation alarms',
        alarms: Object.values(alarms),
        width: 24,
      }),
    );
    this.dashboard.addWidgets(
      ...functions.map(
        ([title, fn]) =>
          new cloudwatch.GraphWidget({
            title,
            left: [fn.metricInvocations(), fn.metricErrors(), fn.metricThrottles()],
            right: [fn.metricDuration({ statistic: cloudwatch.Stats.p(99) })],
            width: 12,
          }),
      ),
      new cloudwatch.GraphWidget({
        title: 'Rotation incidents',
        left: [
          rotationFailures.with({ label: 'RotationFailed + RotationAbandoned' }),
          ...[...ROTATION_INCIDENT_METRICS, ROTATION_OVERDUE_METRIC].map((name) =>
            this.rotatorMetric(name),
          ),
        ],
        width: 12,
      }),
    );
  }

  private rotatorMetric(metricName: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: SERVICE_NAME },
      statistic: cloudwatch.Stats.SUM,
      period: this.period,
    });
  }

  /** An alarm that fires on the first occurrence and notifies the topic. */
  private alarmOnAny(
    id: string,
    metric: cloudwatch.IMetric,
    description: string,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing went wrong: these metrics are only published on incidents.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.alarmAction);
    return alarm;
  }
}
