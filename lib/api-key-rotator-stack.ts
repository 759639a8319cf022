import { Aws, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { AuditFunction } from './audit-function';
import type { RotatorConfig } from './config';
import { constructIdFor, physicalNamePrefixFor } from './construct-id';
import { ManagedApiKey } from './managed-api-key';
import { NotificationTopic } from './notification-topic';
import { ProtectedSecret } from './protected-secret';
import { RotationFunction } from './rotation-function';
import { RotationKey } from './rotation-key';
import { RotationMonitoring } from './rotation-monitoring';

/** Properties of an {@link ApiKeyRotatorStack}. */
export interface ApiKeyRotatorStackProps extends StackProps {
  /** The validated deployment config (see `loadRotatorConfig`). */
  readonly config: RotatorConfig;

  /**
   * Code of the rotation function.
   * @default - the bundle `npm run bundle` writes to dist/lambda/rotation
   */
  readonly rotationCode?: lambda.Code;

  /**
   * Code of the audit function.
   * @default - the bundle `npm run bundle` writes to dist/lambda/audit
   */
  readonly auditCode?: lambda.Code;
}

/** The console page of a secret, where security presses "Rotate secret immediately". */
export function secretConsoleUrl(secretName: string): string {
  return `https://${Aws.REGION}.console.aws.amazon.com/secretsmanager/secret?name=${encodeURIComponent(secretName)}&region=${Aws.REGION}`;
}

/**
 * Managed API keys in Secrets Manager, encrypted with a customer-managed key, rotated on a
 * schedule by the rotation function, audited on a schedule and watched by alarms.
 */
export class ApiKeyRotatorStack extends Stack {
  /** The key of every secret the stack creates. */
  readonly rotationKey: RotationKey;
  /** The topic of alarms, failure events and the function's notices. */
  readonly notifications: NotificationTopic;
  /** The rotation function. */
  readonly rotationFunction: RotationFunction;
  /** The scheduled, read-only audit of the managed secrets. */
  readonly auditFunction: AuditFunction;
  /** The configured secrets, in config order. */
  readonly managedApiKeys: readonly ManagedApiKey[];
  /** The Polytomic partner key secret, when this stack creates it. */
  readonly partnerKey?: ProtectedSecret;
  /** Alarms, event rule and dashboard. */
  readonly monitoring: RotationMonitoring;

  constructor(scope: Construct, id: string, props: ApiKeyRotatorStackProps) {
    super(scope, id, props);
    const { config } = props;
    const ids = config.secrets.map((secret) => constructIdFor(secret.name));
    const duplicate = ids.find((secretId, index) => ids.indexOf(secretId) !== index);
    if (duplicate !== undefined) {
      throw new Error(`Two secret names map to the construct id "${duplicate}": rename one.`);
    }
    const needsPartnerKey = config.secrets.some((secret) => secret.provider === 'polytomic');

    this.rotationKey = new RotationKey(this, 'RotationKey', {
      aliasName: physicalNamePrefixFor(this.stackName),
    });
    this.notifications = new NotificationTopic(this, 'Notifications');
    this.rotationFunction = new RotationFunction(this, 'RotationFunction', {
      rotationKey: this.rotationKey,
      notificationTopic: this.notifications.topic,
      code: props.rotationCode,
      allowedOrigins: config.allowedOrigins,
      allowLoopbackHttp: config.allowLoopbackHttp,
      reservedConcurrency: config.reservedConcurrency,
      // The config only accepts the retention values CloudWatch Logs defines.
      logRetention: config.logRetentionDays,
    });
    this.auditFunction = new AuditFunction(this, 'AuditFunction', {
      rotationKey: this.rotationKey,
      notificationTopic: this.notifications.topic,
      code: props.auditCode,
      allowedOrigins: config.allowedOrigins,
      allowLoopbackHttp: config.allowLoopbackHttp,
      schedule: config.audit.schedule,
      scheduleEnabled: config.audit.enabled,
      reservedConcurrency: config.audit.reservedConcurrency,
      logRetention: config.logRetentionDays,
    });

    if (needsPartnerKey) {
      if (config.partnerKey.kind === 'created') {
        // Operators who run `recover` on a Polytomic secret re-issue a key with the partner key.
        const partnerKeyReaders = config.partnerKey.readerRoleArns ?? [];
        this.partnerKey = new ProtectedSecret(this, 'PolytomicPartnerKey', {
          secretName: config.partnerKey.secretName,
          description: 'Polytomic partner key that issues user keys; put {"partnerKey":"..."}',
          rotationKey: this.rotationKey,
          placeholder: { partnerKey: '' },
          readerArns: [this.rotationFunction.role.roleArn, ...partnerKeyReaders],
          // The function and `recover` read the partner key's AWSCURRENT only.
          currentVersionOnly: true,
        });
        if (partnerKeyReaders.length > 0) {
          this.rotationKey.allowSecretsManagerUse(
            'PartnerKeyReadersDecrypt',
            partnerKeyReaders.map((arn) => new iam.ArnPrincipal(arn)),
            ['kms:Decrypt'],
            [config.partnerKey.secretName],
          );
        }
        Validations.of(this.partnerKey).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'The partner key is issued by Polytomic to the partner account and can only be replaced there; it is not a rotated key.',
        });
        this.rotationFunction.usePartnerKey(this.partnerKey);
        new CfnOutput(this, 'PartnerKeySecretArn', {
          description: 'Polytomic partner key secret',
          value: this.partnerKey.secretArn,
        });
      } else {
        this.rotationFunction.usePartnerKey(config.partnerKey, config.partnerKey.kmsKeyArn);
      }
    }

    this.managedApiKeys = config.secrets.map(
      (secret, index) =>
        new ManagedApiKey(this, ids[index], {
          secretName: secret.name,
          provider: secret.provider,
          rotationFunction: this.rotationFunction,
          rotationKey: this.rotationKey,
          auditFunction: this.auditFunction,
          schedule: secret.schedule,
          rotationWindow: secret.rotationWindow,
          revokePolicy: secret.revokePolicy,
          readerRoleArns: secret.readerRoleArns,
          replicas: secret.replicas,
        }),
    );

    this.monitoring = new RotationMonitoring(this, 'Monitoring', {
      notificationTopic: this.notifications.topic,
      rotationFunction: this.rotationFunction.function,
      auditFunction: this.auditFunction.function,
      auditContinuationTopic: this.auditFunction.continuationTopic,
      secretArns: this.managedApiKeys.map((managed) => managed.secretArn),
      ruleTarget: (ruleId, rule) => this.notifications.allowEventRule(ruleId, rule),
    });

    for (const managed of this.managedApiKeys) {
      const outputId = managed.node.id;
      new CfnOutput(this, `${outputId}SecretArn`, {
        description: `ARN of ${managed.secretName}`,
        value: managed.secretArn,
      });
      new CfnOutput(this, `${outputId}RotateNowUrl`, {
        description: `Console page of ${managed.secretName} ("Rotate secret immediately")`,
        value: secretConsoleUrl(managed.secretName),
      });
    }
    new CfnOutput(this, 'RotationFunctionName', {
      description: 'Rotation function',
      value: this.rotationFunction.function.functionName,
    });
    new CfnOutput(this, 'AuditFunctionName', {
      description: 'Audit function; invoke it with {} to audit now (no notifications)',
      value: this.auditFunction.function.functionName,
    });
    new CfnOutput(this, 'NotificationTopicArn', {
      description: 'Topic for alarms and manual-revocation notices; subscribe to it',
      value: this.notifications.topic.topicArn,
    });
  }
}
