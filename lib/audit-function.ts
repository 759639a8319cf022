import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  FunctionEnv,
  MANAGED_TAG_VALUE,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../lambda/shared/contracts';
import {
  auditIntervalMinutes,
  auditScheduleProblem,
  DEFAULT_AUDIT_SCHEDULE,
  allowedOriginsSetting,
} from './config';
import { grantEncryptedPublish } from './notification-topic';
import { acknowledgeScopeWildcards, MANAGED_TAG_CONDITION } from './rotation-function';
import type { RotationKey } from './rotation-key';
import { secretArnPatterns, type SecretScope } from './secret-scope';

/** Where `npm run bundle` writes the audit function. */
export const AUDIT_BUNDLE_DIR = join(__dirname, '..', 'dist', 'lambda', 'audit');

/** Everything the audit may do to a managed secret: read it, never change it. */
export const AUDIT_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:ListSecretVersionIds',
];

/** Properties of an {@link AuditFunction}. */
export interface AuditFunctionProps {
  /** The key of the managed secrets: the audit decrypts through Secrets Manager and checks it. */
  readonly rotationKey: RotationKey;

  /** The secrets it audits: every secret under the prefixes tagged `api-key-rotator:managed=true`. */
  readonly secretScope: SecretScope;

  /** The topic the audit notifies of failed checks. */
  readonly notificationTopic: sns.ITopic;

  /**
   * The function's code; it must export `handler` from `index.js`.
   * @default - the bundle `npm run bundle` writes to dist/lambda/audit
   */
  readonly code?: lambda.Code;

  /**
   * Each vendor's origins (`ROTATOR_ALLOWED_ORIGINS`), by provider name: a secret's keys go only
   * to its own vendor's. A vendor not named keeps its default origins.
   * @default - each provider's defaultOrigins (https://app.polytomic.com, https://api.poelis.com)
   */
  readonly allowedOrigins?: Readonly<Record<string, readonly string[]>>;

  /**
   * Lets the function call plain `http://` origins on loopback (`ROTATOR_ALLOW_LOOPBACK_HTTP`):
   * a local world's vendor simulators. Never needed on AWS.
   * @default false
   */
  readonly allowLoopbackHttp?: boolean;

  /**
   * When the audit runs, in UTC: `rate(N hours|days)` or a `cron(...)` firing once a day. The
   * function is told the interval, so that only the day's first run notifies.
   * @default 'cron(0 6 * * ? *)' - daily at 06:00 UTC
   */
  readonly schedule?: string;

  /**
   * Whether the schedule runs. The function stays deployed either way and can be invoked with `{}`.
   * @default true
   */
  readonly scheduleEnabled?: boolean;

  /**
   * Concurrent executions reserved for the function, which is also its ceiling: it bounds the
   * audit's share of vendor rate limits while a run and its continuation overlap. Lambda refuses a
   * reservation that leaves the account fewer than 100 unreserved executions.
   * @default - none: the function shares the account's unreserved pool
   */
  readonly reservedConcurrency?: number;

  /**
   * The key of the continuation topic.
   * @default - the notification topic's key, or a new key if it has none
   */
  readonly continuationTopicKey?: kms.IKey;

  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The scheduled, read-only audit: proves each managed secret is in sync with its vendor and
 * notifies failed checks once a day.
 *
 * It may read only the managed secrets of its scope (name prefix and tag). A run that runs out
 * of time posts its cursor to the continuation topic, which invokes it again.
 */
export class AuditFunction extends Construct {
  /** The function. */
  readonly function: lambda.Function;
  /** The function's execution role. */
  readonly role: iam.Role;
  /** The function's log group. */
  readonly logGroup: logs.LogGroup;
  /** The schedule that starts each run. */
  readonly schedule: scheduler.Schedule;
  /** The role the schedule invokes the function with. */
  readonly scheduleRole: iam.Role;
  /** The topic a run posts its cursor to when it must continue in a new invocation. */
  readonly continuationTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: AuditFunctionProps) {
    super(scope, id);
    const scheduleExpression = props.schedule ?? DEFAULT_AUDIT_SCHEDULE;
    const intervalMinutes = auditIntervalMinutes(scheduleExpression);
    if (intervalMinutes === undefined) {
      throw new Error(`AuditFunction: ${auditScheduleProblem(scheduleExpression)}`);
    }

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the api-key-rotator audit (read-only)',
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logGroup.grantWrite(this.role);

    this.continuationTopic = new sns.Topic(this, 'ContinuationTopic', {
      displayName: 'api-key-rotator audit continuations',
      masterKey:
        props.continuationTopicKey ??
        props.notificationTopic.masterKey ??
        new kms.Key(this, 'ContinuationKey', {
          description: 'Encrypts api-key-rotator audit continuations',
          enableKeyRotation: true,
        }),
      enforceSSL: true,
    });

    const rotationKey = props.rotationKey.key;
    this.function = new lambda.Function(this, 'Function', {
      description: 'Audits the SaaS API keys rotated by api-key-rotator (read-only)',
      code: props.code ?? bundledAuditCode(),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      role: this.role,
      // Lambda's maximum: a run audits secrets until time runs short, then continues via the topic.
      timeout: Duration.minutes(15),
      // Network-bound, a few secrets at a time; 256 MB buys the CPU for a fast cold start of the bundle.
      memorySize: 256,
      reservedConcurrentExecutions: props.reservedConcurrency,
      // A retried invocation would notify every failed check a second time.
      retryAttempts: 0,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        [FunctionEnv.AllowedOrigins]: allowedOriginsSetting(
          props.allowedOrigins,
          props.allowLoopbackHttp === true,
        ),
        ...(props.allowLoopbackHttp === true ? { [FunctionEnv.AllowLoopbackHttp]: 'true' } : {}),
        [FunctionEnv.NotifyTopicArn]: props.notificationTopic.topicArn,
        [FunctionEnv.ExpectedKmsKeyArn]: rotationKey.keyArn,
        [FunctionEnv.AuditContinuationTopicArn]: this.continuationTopic.topicArn,
        [FunctionEnv.AuditIntervalMinutes]: String(intervalMinutes),
        // Its policy reads only these prefixes: another stack's managed secrets are not listed.
        [FunctionEnv.AuditSecretNamePrefixes]: props.secretScope.prefixes.join(','),
        [FunctionEnv.ServiceName]: SERVICE_NAME,
        [FunctionEnv.MetricsNamespace]: METRICS_NAMESPACE,
      },
    });
    this.continuationTopic.addSubscription(new subscriptions.LambdaSubscription(this.function));

    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListManagedSecrets',
        actions: ['secretsmanager:ListSecrets'],
        resources: ['*'],
      }),
    );
    // ABAC: the managed secrets under the stack's prefixes, one statement however many there are.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadManagedSecrets',
        actions: AUDIT_ACTIONS,
        resources: secretArnPatterns(props.secretScope),
        conditions: { StringEquals: { [MANAGED_TAG_CONDITION]: MANAGED_TAG_VALUE } },
      }),
    );
    acknowledgeScopeWildcards(this.role, props.secretScope.prefixes, 'the audit');
    props.rotationKey.allowSecretsManagerUse(
      'AuditFunctionDecryptsThroughSecretsManager',
      [this.role],
      ['kms:Decrypt'],
      'managed',
    );
    props.rotationKey.allowDescribe('AuditFunctionDescribesKey', this.role);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CheckSecretsKey',
        actions: ['kms:DescribeKey'],
        resources: [rotationKey.keyArn],
      }),
    );
    grantEncryptedPublish(props.notificationTopic, this.role);
    grantEncryptedPublish(this.continuationTopic, this.role);

    // Confused-deputy prevention ("Setting up the execution role"): Scheduler sets aws:SourceArn
    // to the schedule group's ARN; the schedule is in the default group.
    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Aws.ACCOUNT_ID,
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
      description: 'Lets EventBridge Scheduler start the api-key-rotator audit',
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Runs the api-key-rotator audit',
      schedule: scheduler.ScheduleExpression.expression(scheduleExpression),
      enabled: props.scheduleEnabled ?? true,
      target: new UnqualifiedLambdaInvoke(this.function, {
        role: this.scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject({
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
      }),
    });

    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'A failed audit run is not replayed (it would notify twice): the errors alarm fires and the next scheduled run audits every secret again.',
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaAsyncFailureDestination',
      reason:
        'Its only event is a scheduled time or a cursor, not worth keeping: a failed run raises the errors alarm, and the next run audits every secret again.',
    });
    // The subscription is created in the function's scope.
    Validations.of(this.function).acknowledge({
      id: 'Serverless-SNSRedrivePolicy',
      reason:
        "A continuation that SNS cannot deliver raises the continuation alarm (the topic's NumberOfNotificationsFailed); the next scheduled run audits every secret again.",
    });
    // On the role's policy only, so that a wildcard on another of its policies is still reported.
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'secretsmanager:ListSecrets (finding the managed secrets by tag) and the X-Ray actions of active tracing support no resource-level permissions.',
    });
  }
}

/**
 * Scheduler's Lambda target, granting `lambda:InvokeFunction` on the unqualified function it
 * invokes only: the CDK's LambdaInvoke also grants every version and alias (`<function>:*`).
 */
class UnqualifiedLambdaInvoke
  extends schedulerTargets.ScheduleTargetBase
  implements scheduler.IScheduleTarget
{
  constructor(
    private readonly fn: lambda.IFunction,
    props: schedulerTargets.ScheduleTargetBaseProps,
  ) {
    super(props, fn.functionArn);
  }

  protected addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.fn.functionArn],
      }),
    );
  }
}

/** The bundled audit function, with a clear error when the bundle was not built. */
function bundledAuditCode(): lambda.Code {
  if (!existsSync(join(AUDIT_BUNDLE_DIR, 'index.js'))) {
    throw new Error(
      `The audit function bundle ${join(AUDIT_BUNDLE_DIR, 'index.js')} is missing: run "npm run bundle" first.`,
    );
  }
  return lambda.Code.fromAsset(AUDIT_BUNDLE_DIR);
}
