import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  FunctionEnv,
  MANAGED_TAG,
  MANAGED_TAG_VALUE,
  METRICS_NAMESPACE,
  ROTATION_EVENT_SOURCE,
  SERVICE_NAME,
} from '../lambda/shared/contracts';
import { allowedOriginsSetting } from './config';
import { grantEncryptedPublish } from './notification-topic';
import type { RotationKey } from './rotation-key';
import { secretArnPatterns, secretArnPrefix, type SecretScope } from './secret-scope';

// The functions publish under these names, so lambda/shared/contracts defines them.
export { METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/shared/contracts';
/** Where `npm run bundle` writes the rotation function. */
export const ROTATION_BUNDLE_DIR = join(__dirname, '..', 'dist', 'lambda', 'rotation');

/** The Secrets Manager actions a rotation step needs on the secret it rotates. */
export const ROTATION_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

/**
 * The condition key of the managed tag: `aws:ResourceTag/…`, which Secrets Manager documents for
 * every secret action ("Control access to secrets using tags").
 */
export const MANAGED_TAG_CONDITION = `aws:ResourceTag/${MANAGED_TAG}`;

/** The secrets a function may work on: every secret under the prefixes, in this account and region. */
export type RotationScope = SecretScope;

/** A secret the rotation function reads or rotates. */
export interface RotatedSecretReference {
  /** The complete ARN of the secret. */
  readonly secretArn: string;
}

/** Properties of a {@link RotationFunction}. */
export interface RotationFunctionProps {
  /** The key of the managed secrets; the function may use it only through Secrets Manager. */
  readonly rotationKey: RotationKey;

  /** The topic the function notifies (manual revocations, failures). */
  readonly notificationTopic: sns.ITopic;

  /**
   * The function's code; it must export `handler` from `index.js`.
   * @default - the bundle `npm run bundle` writes to dist/lambda/rotation
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
   * Concurrent executions reserved for the function, which is also its ceiling: it keeps
   * simultaneous rotations under the vendors' rate limits (Poelis: 60 requests a minute). Lambda
   * refuses a reservation that leaves the account fewer than 100 unreserved executions.
   * @default - none: the function shares the account's unreserved pool
   */
  readonly reservedConcurrency?: number;

  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The Lambda function that runs Secrets Manager's four rotation steps against the vendors.
 *
 * It starts with no access to any secret: {@link allowRotationOfScope} and {@link usePartnerKey}
 * grant the secrets it works on.
 */
export class RotationFunction extends Construct {
  /** The function. */
  readonly function: lambda.Function;
  /** The function's execution role. */
  readonly role: iam.Role;
  /** The function's log group. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RotationFunctionProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the api-key-rotator rotation steps',
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Writing to its own log group replaces AWSLambdaBasicExecutionRole and its log:* on every group.
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      description: 'Rotates SaaS API keys stored in Secrets Manager',
      code: props.code ?? bundledRotationCode(),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      role: this.role,
      // A step makes a few vendor calls; 2 minutes leaves room for one 60 s Retry-After from Poelis.
      timeout: Duration.minutes(2),
      // The work is network-bound; 256 MB buys the CPU for a fast cold start of the ~1 MB bundle.
      memorySize: 256,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        [FunctionEnv.AllowedOrigins]: allowedOriginsSetting(
          props.allowedOrigins,
          props.allowLoopbackHttp === true,
        ),
        ...(props.allowLoopbackHttp === true ? { [FunctionEnv.AllowLoopbackHttp]: 'true' } : {}),
        [FunctionEnv.RequireCustomerManagedKey]: 'true',
        [FunctionEnv.NotifyTopicArn]: props.notificationTopic.topicArn,
        [FunctionEnv.ServiceName]: SERVICE_NAME,
        [FunctionEnv.MetricsNamespace]: METRICS_NAMESPACE,
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'A rotation event has nothing worth replaying: the next attempt restarts from the secret version stages; failures raise the errors alarm and RotationFailed events.',
    });
    // On the role's policy only, so that a wildcard on another of its policies is still reported.
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
    });

    const key = props.rotationKey;
    key.allowSecretsManagerUse(
      'RotationFunctionUsesKeyThroughSecretsManager',
      [this.role],
      ['kms:Decrypt', 'kms:GenerateDataKey'],
    );
    key.allowDescribe('RotationFunctionDescribesKey', this.role);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CheckKeyIsCustomerManaged',
        actions: ['kms:DescribeKey'],
        resources: [key.key.keyArn],
      }),
    );
    grantEncryptedPublish(props.notificationTopic, this.role);
    // finishSecret announces each rotation on this region's default bus, under its own source only.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishRotationEvents',
        actions: ['events:PutEvents'],
        resources: [
          `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`,
        ],
        // events:source is multivalued; AWS's own examples test it with ForAllValues.
        conditions: { 'ForAllValues:StringEquals': { 'events:source': ROTATION_EVENT_SOURCE } },
      }),
    );
  }

  /**
   * Lets the function rotate every managed secret of `scope` (ABAC: under the stack's name
   * prefixes *and* tagged `api-key-rotator:managed=true`), and lets Secrets Manager invoke it for
   * those names only, from this account only ("Permissions for rotation": one invoke permission
   * conditioned on `aws:SourceAccount`, here also on `aws:SourceArn`). One statement and one
   * permission per prefix, however many secrets there are.
   * @returns the invoke permissions, which every rotation schedule must wait for
   * @example
   * const permissions = fn.allowRotationOfScope({ partition: Aws.PARTITION, region: stack.region, account: stack.account, prefixes: ['fleet/'] });
   */
  allowRotationOfScope(scope: RotationScope): lambda.CfnPermission[] {
    const patterns = secretArnPatterns(scope);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RotateManagedSecrets',
        actions: ROTATION_ACTIONS,
        resources: patterns,
        conditions: { StringEquals: { [MANAGED_TAG_CONDITION]: MANAGED_TAG_VALUE } },
      }),
    );
    acknowledgeScopeWildcards(this.role, scope.prefixes, 'rotation');
    return scope.prefixes.map((prefix, index) => {
      const id = `InvokedBySecretsManager${index === 0 ? '' : index + 1}`;
      this.function.addPermission(id, {
        principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceAccount: scope.account,
        sourceArn: `${secretArnPrefix(scope, prefix)}*`,
      });
      return this.function.node.findChild(id) as lambda.CfnPermission;
    });
  }

  /**
   * Points the function at the Polytomic partner key (`ROTATOR_PARTNER_KEY_SECRET_ID`) and lets
   * it read that secret's value.
   * @param partnerKey the partner secret
   * @param encryptionKeyArn the key of an imported partner secret, if it is not the rotation key
   */
  usePartnerKey(partnerKey: RotatedSecretReference, encryptionKeyArn?: string): void {
    this.function.addEnvironment(FunctionEnv.PartnerKeySecretId, partnerKey.secretArn);
    // A partner key under a managed prefix that someone tags `managed` stays read-only to the function.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'NeverWritePartnerKey',
        effect: iam.Effect.DENY,
        actions: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resources: [partnerKey.secretArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadPartnerKey',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [partnerKey.secretArn],
        conditions: { StringEquals: { 'secretsmanager:VersionStage': 'AWSCURRENT' } },
      }),
    );
    if (encryptionKeyArn !== undefined) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptImportedPartnerKey',
          actions: ['kms:Decrypt'],
          resources: [encryptionKeyArn],
          // Only through Secrets Manager, and only for the partner key secret's own values.
          conditions: {
            StringEquals: {
              'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com`,
              'kms:EncryptionContext:SecretARN': partnerKey.secretArn,
            },
          },
        }),
      );
    }
  }
}

/**
 * Acknowledges cdk-nag's IAM5 finding for exactly the prefix patterns (`…:secret:<prefix>*`) of a
 * role's default policy: attribute-based access names a prefix, and the tag condition narrows it.
 */
export function acknowledgeScopeWildcards(
  role: iam.Role,
  prefixes: readonly string[],
  purpose: string,
): void {
  for (const prefix of prefixes) {
    Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}*]`,
      reason: `ABAC for ${purpose}: every secret under the stack's prefix ${prefix}, and only those tagged ${MANAGED_TAG}=${MANAGED_TAG_VALUE}, so the policy does not grow with the fleet; the key policy's kms:EncryptionContext:SecretARN names the same prefix.`,
    });
  }
}

/** The bundled rotation function, with a clear error when the bundle was not built. */
function bundledRotationCode(): lambda.Code {
  if (!existsSync(join(ROTATION_BUNDLE_DIR, 'index.js'))) {
    throw new Error(
      `The rotation function bundle ${join(ROTATION_BUNDLE_DIR, 'index.js')} is missing: run "npm run bundle" first.`,
    );
  }
  return lambda.Code.fromAsset(ROTATION_BUNDLE_DIR);
}
