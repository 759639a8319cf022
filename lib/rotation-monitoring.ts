import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AUDIT_CHECKS, type AuditCheck } from '../lambda/audit/findings';
import {
  AuditMetric,
  METRICS_NAMESPACE,
  RotationMetric,
  SERVICE_NAME,
} from '../lambda/shared/contracts';
import { constructIdFor } from './construct-id';
import { secretArnPrefix, type SecretScope } from './secret-scope';

/** Custom metrics the rotation function publishes; each data point is an incident. */
export const ROTATION_INCIDENT_METRICS = [
  RotationMetric.StepFailed,
  RotationMetric.RevocationFailed,
  RotationMetric.ManualRevocationRequired,
] as const;

/** The audit's check outcomes that raise an alarm, per check: each data point counts secrets. */
export const AUDIT_ALARM_METRICS = [AuditMetric.CheckFailed, AuditMetric.CheckErrored] as const;

/** Secrets Manager's own rotation outcome events that need a person. */
export const ROTATION_FAILURE_EVENTS = ['RotationFailed', 'RotationAbandoned'];

/** Properties of a {@link RotationMonitoring}. */
export interface RotationMonitoringProps {
  /** The topic that receives every alarm and rotation failure event. */
  readonly notificationTopic: sns.ITopic;

  /** The rotation function. */
  readonly rotationFunction: lambda.IFunction;

  /**
   * The audit function: its errors, each check's failed and errored secrets and incomplete runs
   * are alarmed, and graphed with the rotation function's.
   * @default - no audit function, and no audit alarms
   */
  readonly auditFunction?: lambda.IFunction;

  /**
   * The topic the audit function continues its runs through: deliveries that fail are alarmed.
   * @default - no continuation alarm
   */
  readonly auditContinuationTopic?: sns.ITopic;

  /**
   * The secrets whose RotationFailed/RotationAbandoned events are forwarded: those under the
   * scope's name prefixes, matched by ARN prefix, so the pattern does not grow with the fleet.
   * @default - every secret of the account in the region
   */
  readonly secretScope?: SecretScope;

  /**
   * Makes the target that delivers the rule's events to the topic, granting exactly that rule.
   * @default - the CDK's SnsTopic target, which grants every EventBridge rule
   */
  readonly ruleTarget?: (id: string, rule: events.IRule) => events.IRuleTarget;

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
 * each of the function's incident metrics; and, with an audit function, its errors, each
 * check's failed and errored secrets (`rotation-not-overdue` failing is an overdue rotation)
 * and audit runs left incomplete.
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

    const secretScope = props.secretScope;
    // Secrets Manager reports these as CloudTrail service events carrying the secret's ARN in
    // additionalEventData.SecretId ("Match Secrets Manager events with EventBridge").
    this.rotationFailureRule = new events.Rule(this, 'RotationFailureRule', {
      description: 'Secrets Manager rotation failed or was abandoned',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ROTATION_FAILURE_EVENTS,
          ...(secretScope === undefined
            ? {}
            : {
                additionalEventData: {
                  SecretId: secretScope.prefixes.map((prefix) => ({
                    prefix: secretArnPrefix(secretScope, prefix),
                  })),
                },
              }),
        },
      },
    });
    this.rotationFailureRule.addTarget(
      props.ruleTarget?.('RotationFailureRule', this.rotationFailureRule) ??
        new targets.SnsTopic(props.notificationTopic),
    );
    Validations.of(this.rotationFailureRule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        "A failed delivery is retried by EventBridge for 24 hours and the event is still counted in TriggeredRules; that count's alarm notifies the same topic, so a topic that cannot be reached at all is seen only as the alarm's ALARM state on the dashboard, not as a message.",
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
    };
    for (const metricName of ROTATION_INCIDENT_METRICS) {
      alarms[metricName] = this.alarmOnAny(
        metricName,
        this.rotatorMetric(metricName),
        `The rotation function reported ${metricName}`,
      );
    }
    const auditAlarms = props.auditFunction
      ? this.auditAlarms(props.auditFunction, props.auditContinuationTopic)
      : {};
    this.alarms = { ...alarms, ...auditAlarms };

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
    if (props.auditFunction) {
      this.dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({
          title: 'Audit alarms',
          alarms: Object.values(auditAlarms),
          width: 24,
        }),
      );
    }
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
          ...ROTATION_INCIDENT_METRICS.map((name) => this.rotatorMetric(name)),
        ],
        width: 12,
      }),
    );
    if (props.auditFunction) this.dashboard.addWidgets(...this.auditWidgets());
  }

  /** Alarms on audit function errors, on each check's failed and errored secrets, and on incomplete runs. */
  private auditAlarms(
    auditFunction: lambda.IFunction,
    continuationTopic: sns.ITopic | undefined,
  ): Record<string, cloudwatch.Alarm> {
    const alarms: Record<string, cloudwatch.Alarm> = {
      AuditFunctionErrors: this.alarmOnAny(
        'AuditFunctionErrors',
        auditFunction.metricErrors({ period: this.period }),
        'The audit function failed',
      ),
      [AuditMetric.Incomplete]: this.alarmOnAny(
        AuditMetric.Incomplete,
        this.rotatorMetric(AuditMetric.Incomplete),
        'An audit run stopped before auditing every managed secret and could not continue',
      ),
    };
    if (continuationTopic) {
      alarms.AuditContinuationFailed = this.alarmOnAny(
        'AuditContinuationFailed',
        continuationTopic.metricNumberOfNotificationsFailed({ period: this.period }),
        'SNS could not deliver an audit continuation: the rest of that run was not audited',
      );
    }
    for (const metricName of AUDIT_ALARM_METRICS) {
      // Failed checks are also notified one by one; errored ones only here (the logs say why).
      const outcome =
        metricName === AuditMetric.CheckFailed
          ? 'failed for at least one managed secret (the audit notifies each)'
          : "could not complete for at least one managed secret (the audit's logs say why)";
      for (const check of AUDIT_CHECKS) {
        const id = `${metricName}${constructIdFor(check)}`;
        alarms[id] = this.alarmOnAny(
          id,
          this.auditCheckMetric(metricName, check),
          `The audit check ${check} ${outcome}`,
        );
      }
    }
    return alarms;
  }

  /** Graphs of the audit's findings per check, and of its coverage. */
  private auditWidgets(): cloudwatch.IWidget[] {
    // Hourly sums: a run's invocations (continuations included) add up to its secret counts.
    const hourly = { period: Duration.hours(1) };
    const byCheck = (metricName: string): cloudwatch.IMetric[] =>
      AUDIT_CHECKS.map((check) =>
        this.auditCheckMetric(metricName, check).with({ ...hourly, label: check }),
      );
    return [
      new cloudwatch.GraphWidget({
        title: 'Audit: secrets failing each check',
        left: byCheck(AuditMetric.CheckFailed),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Audit: checks that could not complete',
        left: byCheck(AuditMetric.CheckErrored),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Audit: coverage',
        left: [
          this.rotatorMetric(AuditMetric.SecretsAudited).with(hourly),
          this.rotatorMetric(AuditMetric.Incomplete).with(hourly),
        ],
        width: 8,
      }),
    ];
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

  private auditCheckMetric(metricName: string, check: AuditCheck): cloudwatch.Metric {
    return this.rotatorMetric(metricName).with({
      dimensionsMap: { service: SERVICE_NAME, check },
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
