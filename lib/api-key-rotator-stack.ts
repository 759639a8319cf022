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
import type { SecretScope } from './secret-scope';
import { secretPlacement } from './secret-shards';

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
  /** Secrets Manager's permissions to invoke the rotation function: a new secret's schedule waits for them. */
  readonly invokePermissions: readonly lambda.CfnPermission[];
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

    const secretScope: SecretScope = {
      partition: Aws.PARTITION,
      region: this.region,
      account: this.account,
      prefixes: config.secretNamePrefixes,
    };
    this.rotationKey = new RotationKey(this, 'RotationKey', {
      aliasName: physicalNamePrefixFor(this.stackName),
      secretNamePrefixes: config.secretNamePrefixes,
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
      secretScope,
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

    // Every reader once, for every secret of the scope: each secret's own policy denies the others.
    const readerRoleArns = [
      ...new Set([
        ...config.secrets.flatMap((secret) => secret.readerRoleArns),
        ...(config.partnerKey.kind === 'created' ? (config.partnerKey.readerRoleArns ?? []) : []),
      ]),
    ].sort();
    if (readerRoleArns.length > 0) {
      this.rotationKey.allowSecretsManagerUse(
        'SecretReadersDecrypt',
        readerRoleArns.map((arn) => new iam.ArnPrincipal(arn)),
        ['kms:Decrypt'],
      );
    }
    this.invokePermissions = this.rotationFunction.allowRotationOfScope(secretScope);
    const invokePermissions = this.invokePermissions;
    const placeOf = secretPlacement(
      this,
      config.secrets.map((secret) => secret.name),
    );
    this.managedApiKeys = config.secrets.map(
      (secret, index) =>
        new ManagedApiKey(placeOf(secret.name), ids[index], {
          secretName: secret.name,
          provider: secret.provider,
          rotationFunction: this.rotationFunction,
          invokePermissions,
          rotationKey: this.rotationKey,
          auditFunction: this.auditFunction,
          schedule: secret.schedule,
          rotationWindow: secret.rotationWindow,
          revokePolicy: secret.revokePolicy,
          readerRoleArns: secret.readerRoleArns,
        }),
    );

    this.monitoring = new RotationMonitoring(this, 'Monitoring', {
      notificationTopic: this.notifications.topic,
      rotationFunction: this.rotationFunction.function,
      auditFunction: this.auditFunction.function,
      auditContinuationTopic: this.auditFunction.continuationTopic,
      secretScope,
      ruleTarget: (ruleId, rule) => this.notifications.allowEventRule(ruleId, rule),
    });

    new CfnOutput(this, 'SecretNamePrefixes', {
      description:
        'Name prefixes of the managed secrets (comma-separated); adopt enrolls secrets under them',
      value: config.secretNamePrefixes.join(','),
    });
    new CfnOutput(this, 'SecretReaderRoleArns', {
      description:
        'Roles the key policy lets decrypt (comma-separated); an adopted secret may name only these as readers',
      value: readerRoleArns.join(','),
    });
    new CfnOutput(this, 'RotationKeyArn', {
      description: 'KMS key of the managed secrets',
      value: this.rotationKey.key.keyArn,
    });
    new CfnOutput(this, 'RotationFunctionArn', {
      description: 'Rotation function ARN (adopt configures rotation with it)',
      value: this.rotationFunction.function.functionArn,
    });
    new CfnOutput(this, 'RotationRoleArn', {
      description: 'Rotation function role (a reader of every managed secret)',
      value: this.rotationFunction.role.roleArn,
    });
    new CfnOutput(this, 'AuditRoleArn', {
      description: 'Audit function role (a reader of every managed secret)',
      value: this.auditFunction.role.roleArn,
    });
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
