import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { AUDIT_CHECKS } from '../../lambda/audit/findings';
import { readRotatorConfig } from '../../lambda/rotation/config';
import {
  AuditMetric,
  FunctionEnv,
  MANAGED_TAG,
  MANAGED_TAG_VALUE,
  METRICS_NAMESPACE,
  PROVIDER_TAG,
  REVOKE_POLICY_TAG,
  RotationMetric,
  SERVICE_NAME,
} from '../../lambda/shared/contracts';
import { ApiKeyRotatorStack } from '../../lib/api-key-rotator-stack';
import { AuditFunction } from '../../lib/audit-function';
import { parseRotatorConfig } from '../../lib/config';
import { ManagedApiKey } from '../../lib/managed-api-key';
import { compliancePacks } from '../../lib/nag';
import { NotificationTopic } from '../../lib/notification-topic';
import { RotationKey } from '../../lib/rotation-key';

const READER = 'arn:aws:iam::111122223333:role/sync-service';
const POELIS_READER = 'arn:aws:iam::111122223333:role/poelis-reader';

/** The config's origins as ROTATOR_ALLOWED_ORIGINS spells them. */
const ORIGINS_SETTING =
  'polytomic=https://app.polytomic.com;poelis=https://api.poelis.com,https://eu.api.poelis.com';

const config = parseRotatorConfig({
  stackName: 'RotatorUnderTest',
  allowedOrigins: {
    polytomic: ['https://app.polytomic.com'],
    poelis: ['https://api.poelis.com', 'https://eu.api.poelis.com'],
  },
  reservedConcurrency: 3,
  secrets: [
    {
      name: 'rotator/polytomic/prod',
      provider: 'polytomic',
      schedule: 'rate(30 days)',
      rotationWindow: '4h',
      readerRoleArns: [READER],
    },
    {
      name: 'rotator/poelis/prod',
      provider: 'poelis',
      schedule: 'cron(0 9 ? * MON#1 *)',
      rotationWindow: '8h',
      revokePolicy: 'next-rotation',
      readerRoleArns: [POELIS_READER],
    },
  ],
});

// Template tests do not need the real bundle; synth.test.ts checks that one.
const inlineCode = lambda.Code.fromInline('exports.handler = async () => undefined;');

let stack: ApiKeyRotatorStack;
let template: Template;

/** A synthesized resource, typed enough to read its properties. */
interface ResourceJson {
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly DependsOn?: string[];
}

/** Resources of `type` in `from`, by logical id. */
function resources(type: string, from: Template = template): Record<string, ResourceJson> {
  return from.findResources(type) as Record<string, ResourceJson>;
}

/** Reads a nested property path of a resource. */
function prop(resource: ResourceJson, ...path: string[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (value as Record<string, unknown> | undefined)?.[key],
    resource.Properties,
  );
}

/** Logical id of the only resource of `type` whose id starts with `prefix`. */
function logicalId(type: string, prefix: string, from: Template = template): string {
  const ids = Object.keys(from.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** The IAM pattern of every secret under `prefix`, as the template joins it. */
function secretsUnder(prefix: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':secretsmanager:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:secret:${prefix}*`,
      ],
    ],
  };
}

function arnOf(id: string): Record<string, unknown> {
  return { 'Fn::GetAtt': [id, 'Arn'] };
}

/** A policy statement, as synthesized. */
interface StatementJson {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, unknown>;
}

/** The actions and resources the identity policies of the role `rolePrefix` allow. */
function grantsOf(rolePrefix: string): { Action: string | string[]; Resource: unknown }[] {
  const role = { Ref: logicalId('AWS::IAM::Role', rolePrefix) };
  const policies = Object.values(resources('AWS::IAM::Policy')).filter((policy) =>
    (prop(policy, 'Roles') as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(role)),
  );
  expect(policies).toHaveLength(1);
  const statements = prop(policies[0], 'PolicyDocument', 'Statement') as StatementJson[];
  return statements.map((s) => ({ Action: s.Action, Resource: s.Resource }));
}

/** The statements of the rotation key's policy. */
function rotationKeyStatements(): StatementJson[] {
  const key = resources('AWS::KMS::Key')[logicalId('AWS::KMS::Key', 'RotationKey')];
  return prop(key, 'KeyPolicy', 'Statement') as StatementJson[];
}

beforeAll(() => {
  const app = new App();
  stack = new ApiKeyRotatorStack(app, 'RotatorUnderTest', {
    config,
    rotationCode: inlineCode,
    auditCode: inlineCode,
  });
  template = Template.fromStack(stack);
});

describe('KMS key', () => {
  it('is customer-managed, rotated, aliased and retained', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({
        EnableKeyRotation: true,
        Description: 'Encrypts the API keys rotated by api-key-rotator',
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/rotator-under-test',
      TargetKeyId: arnOf(logicalId('AWS::KMS::Key', 'RotationKey')),
    });
  });

  it('lets the function and readers use it only through Secrets Manager for their secrets', () => {
    const key = template.findResources('AWS::KMS::Key')[logicalId('AWS::KMS::Key', 'RotationKey')];
    const statements = (key.Properties as { KeyPolicy: { Statement: Record<string, unknown>[] } })
      .KeyPolicy.Statement;
    const bySid = new Map(statements.map((s) => [s.Sid as string, s]));
    expect([...bySid.keys()].sort()).toEqual([
      'AccountAdministersKey',
      'AccountValidatesKeyThroughSecretsManager',
      'AccountWritesSecretsThroughSecretsManager',
      'AuditFunctionDecryptsThroughSecretsManager',
      'AuditFunctionDescribesKey',
      'RotationFunctionDescribesKey',
      'RotationFunctionUsesKeyThroughSecretsManager',
      'SecretReadersDecrypt',
    ]);
    // Administration never includes using the key for cryptography.
    const adminActions = bySid.get('AccountAdministersKey')!.Action as string[];
    expect(
      adminActions.filter((a) => /Decrypt|Encrypt|GenerateDataKey|ReEncrypt|kms:\*/.test(a)),
    ).toEqual([]);

    const viaSecretsManager = {
      'kms:ViaService': {
        'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
      },
    };
    const secretPattern = (name: string, suffix = '-??????'): unknown => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':secretsmanager:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:secret:${name}${suffix}`,
        ],
      ],
    });
    // The stack's prefix, and the partner key's own name outside it: never one pattern per secret.
    const scope = [
      secretPattern('rotator/', '*'),
      secretPattern('rotator-under-test/polytomic-partner-key'),
    ];
    const roleArn = arnOf(logicalId('AWS::IAM::Role', 'RotationFunctionRole'));
    expect(bySid.get('RotationFunctionUsesKeyThroughSecretsManager')).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: roleArn },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Condition: {
        StringEquals: viaSecretsManager,
        StringLike: { 'kms:EncryptionContext:SecretARN': scope },
      },
    });
    // Every config reader once; each secret's own policy denies the value to the others.
    expect(bySid.get('SecretReadersDecrypt')).toMatchObject({
      Principal: { AWS: [POELIS_READER, READER] },
      Action: 'kms:Decrypt',
      Condition: {
        StringEquals: viaSecretsManager,
        StringLike: { 'kms:EncryptionContext:SecretARN': scope },
      },
    });
    expect(bySid.get('AccountWritesSecretsThroughSecretsManager')).toMatchObject({
      Action: 'kms:GenerateDataKey',
      Condition: { StringEquals: viaSecretsManager },
    });
    // CreateSecret's key validation Decrypt, and no other Decrypt, for the account's principals.
    expect(bySid.get('AccountValidatesKeyThroughSecretsManager')).toMatchObject({
      Action: 'kms:Decrypt',
      Condition: {
        StringEquals: {
          ...viaSecretsManager,
          'kms:EncryptionContext:SecretVersionId': 'RequestToValidateKeyAccess',
        },
      },
    });
    expect(bySid.get('RotationFunctionDescribesKey')).toMatchObject({
      Principal: { AWS: roleArn },
      Action: 'kms:DescribeKey',
    });
  });
});

describe('managed secrets', () => {
  it('are all encrypted with the rotation key, with no key value in the template', () => {
    const keyArn = arnOf(logicalId('AWS::KMS::Key', 'RotationKey'));
    const secrets = Object.values(resources('AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(3);
    for (const secret of secrets) {
      expect(prop(secret, 'KmsKeyId')).toEqual(keyArn);
      expect(secret.DeletionPolicy).toBe('Retain');
      const value = JSON.parse(prop(secret, 'SecretString') as string) as Record<string, string>;
      expect(value.apiKey).toBeUndefined();
      expect(Object.values(value).every((v) => v === '' || /^[a-z-]+$/.test(v))).toBe(true);
    }
  });

  it('start as a provider placeholder, tagged for the audit, without replicas', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'rotator/polytomic/prod',
      SecretString: '{"provider":"polytomic"}',
      ReplicaRegions: Match.absent(),
      Tags: Match.arrayWith([
        { Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE },
        { Key: PROVIDER_TAG, Value: 'polytomic' },
        { Key: REVOKE_POLICY_TAG, Value: 'on-finish' },
      ]),
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'rotator/poelis/prod',
      SecretString: '{"provider":"poelis"}',
      ReplicaRegions: Match.absent(),
      Tags: Match.arrayWith([
        { Key: PROVIDER_TAG, Value: 'poelis' },
        { Key: REVOKE_POLICY_TAG, Value: 'next-rotation' },
      ]),
    });
  });

  it('rotate on their schedule and window, never on creation', () => {
    const functionArn = arnOf(logicalId('AWS::Lambda::Function', 'RotationFunction'));
    const schedules = resources('AWS::SecretsManager::RotationSchedule');
    expect(Object.keys(schedules)).toHaveLength(2);
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: logicalId('AWS::SecretsManager::Secret', 'RotatorPolytomicProd') },
      RotationLambdaARN: functionArn,
      RotateImmediatelyOnUpdate: false,
      RotationRules: { ScheduleExpression: 'rate(30 days)', Duration: '4h' },
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: logicalId('AWS::SecretsManager::Secret', 'RotatorPoelisProd') },
      RotationLambdaARN: functionArn,
      RotateImmediatelyOnUpdate: false,
      RotationRules: { ScheduleExpression: 'cron(0 9 ? * MON#1 *)', Duration: '8h' },
    });
    // The schedule is created only once Secrets Manager may invoke the function.
    const schedule =
      schedules[logicalId('AWS::SecretsManager::RotationSchedule', 'RotatorPoelisProd')];
    expect(schedule.DependsOn).toEqual([
      logicalId('AWS::Lambda::Permission', 'RotationFunctionInvokedBySecretsManager'),
    ]);
  });

  it('deny reading the value to all but the functions and configured readers, and block public policies', () => {
    const roleArn = arnOf(logicalId('AWS::IAM::Role', 'RotationFunctionRole'));
    const auditRoleArn = arnOf(logicalId('AWS::IAM::Role', 'AuditFunctionRole'));
    const expectPolicy = (secretPrefix: string, readers: unknown[], currentOnly = false): void => {
      const principal = { AWS: readers.length === 1 ? readers[0] : readers };
      const allows = currentOnly
        ? [
            {
              Sid: 'ReadersDescribe',
              Effect: 'Allow',
              Principal: principal,
              Action: 'secretsmanager:DescribeSecret',
              Resource: '*',
            },
            {
              Sid: 'ReadersReadCurrentValue',
              Effect: 'Allow',
              Principal: principal,
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
              Condition: { StringEquals: { 'secretsmanager:VersionStage': 'AWSCURRENT' } },
            },
          ]
        : [
            {
              Sid: 'ReadersReadValue',
              Effect: 'Allow',
              Principal: principal,
              Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
              Resource: '*',
            },
          ];
      template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
        SecretId: { Ref: logicalId('AWS::SecretsManager::Secret', secretPrefix) },
        BlockPublicPolicy: true,
        ResourcePolicy: {
          Version: '2012-10-17',
          Statement: [
            ...allows,
            {
              Sid: 'NobodyElseReadsValue',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
              Condition: { StringNotEquals: { 'aws:PrincipalArn': readers } },
            },
          ],
        },
      });
    };
    expectPolicy('RotatorPolytomicProd', [roleArn, auditRoleArn, READER]);
    expectPolicy('RotatorPoelisProd', [roleArn, auditRoleArn, POELIS_READER]);
    // The audit never reads the partner key, which can mint keys.
    expectPolicy('PolytomicPartnerKey', [roleArn], true);
    expect(Object.keys(template.findResources('AWS::SecretsManager::ResourcePolicy'))).toHaveLength(
      3,
    );
  });

  it('include the partner key secret, readable only by the function', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'rotator-under-test/polytomic-partner-key',
      SecretString: '{"partnerKey":""}',
      Tags: Match.absent(),
    });
  });
});

describe('rotation function', () => {
  it('runs the bundle on Node 24, arm64, sized and with reserved concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 120,
      MemorySize: 256,
      ReservedConcurrentExecutions: 3,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: logicalId('AWS::Logs::LogGroup', 'RotationFunctionLogs') },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it("writes each vendor's origins so that the functions read back the config's", () => {
    const fn =
      resources('AWS::Lambda::Function')[logicalId('AWS::Lambda::Function', 'RotationFunction')];
    const variables = prop(fn, 'Environment', 'Variables') as Record<string, string>;
    const read = readRotatorConfig({
      [FunctionEnv.AllowedOrigins]: variables[FunctionEnv.AllowedOrigins],
    });
    expect(read.originPolicy.originsByProvider).toEqual(config.allowedOrigins);
    const audit =
      resources('AWS::Lambda::Function')[logicalId('AWS::Lambda::Function', 'AuditFunction')];
    expect(prop(audit, 'Environment', 'Variables')).toMatchObject({
      [FunctionEnv.AllowedOrigins]: variables[FunctionEnv.AllowedOrigins],
    });
  });

  it('gets exactly the environment the Lambda contract fixes', () => {
    const fn =
      resources('AWS::Lambda::Function')[logicalId('AWS::Lambda::Function', 'RotationFunction')];
    expect(prop(fn, 'Environment', 'Variables')).toEqual({
      [FunctionEnv.AllowedOrigins]: ORIGINS_SETTING,
      [FunctionEnv.RequireCustomerManagedKey]: 'true',
      [FunctionEnv.PartnerKeySecretId]: {
        Ref: logicalId('AWS::SecretsManager::Secret', 'PolytomicPartnerKey'),
      },
      [FunctionEnv.NotifyTopicArn]: { Ref: logicalId('AWS::SNS::Topic', 'NotificationsTopic') },
      [FunctionEnv.ServiceName]: SERVICE_NAME,
      [FunctionEnv.MetricsNamespace]: METRICS_NAMESPACE,
    });
  });

  it('may call only the actions it needs, on the resources it needs', () => {
    const ref = (type: string, prefix: string): unknown => ({ Ref: logicalId(type, prefix) });
    const rotate = [
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ];
    const grants = grantsOf('RotationFunctionRole');
    expect(grants).toEqual(
      expect.arrayContaining([
        // ABAC: every secret under the prefix tagged managed, one statement for the whole fleet.
        { Action: rotate, Resource: secretsUnder('rotator/') },
        {
          Action: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
          Resource: ref('AWS::SecretsManager::Secret', 'PolytomicPartnerKey'),
        },
        {
          Action: 'secretsmanager:GetSecretValue',
          Resource: ref('AWS::SecretsManager::Secret', 'PolytomicPartnerKey'),
        },
        { Action: 'kms:DescribeKey', Resource: arnOf(logicalId('AWS::KMS::Key', 'RotationKey')) },
        { Action: 'sns:Publish', Resource: ref('AWS::SNS::Topic', 'NotificationsTopic') },
        {
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: arnOf(logicalId('AWS::KMS::Key', 'NotificationsKey')),
        },
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: arnOf(logicalId('AWS::Logs::LogGroup', 'RotationFunctionLogs')),
        },
        { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
      ]),
    );
    expect(grants).toHaveLength(9);
    // `*` appears only where X-Ray offers no resource-level permission.
    expect(grants.filter((g) => g.Resource === '*')).toEqual([
      { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
    ]);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('may be invoked by Secrets Manager only from this account and for secrets under the prefix', () => {
    const permissions = template.findResources('AWS::Lambda::Permission', {
      Properties: { FunctionName: arnOf(logicalId('AWS::Lambda::Function', 'RotationFunction')) },
    });
    expect(Object.keys(permissions)).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(logicalId('AWS::Lambda::Function', 'RotationFunction')),
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: secretsUnder('rotator/'),
    });
  });
});

describe('audit function', () => {
  const auditFunction = (): ResourceJson =>
    resources('AWS::Lambda::Function')[logicalId('AWS::Lambda::Function', 'AuditFunction')];

  it('runs the audit bundle on Node 24, arm64, for up to 15 minutes, never retried', () => {
    expect(auditFunction().Properties).toMatchObject({
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 900,
      MemorySize: 256,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: logicalId('AWS::Logs::LogGroup', 'AuditFunctionLogs') },
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId('AWS::Lambda::Function', 'AuditFunction') },
      MaximumRetryAttempts: 0,
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 90 },
      DeletionPolicy: 'Retain',
    });
  });

  it('gets exactly the environment the audit reads, and no partner key', () => {
    expect(prop(auditFunction(), 'Environment', 'Variables')).toEqual({
      [FunctionEnv.AllowedOrigins]: ORIGINS_SETTING,
      [FunctionEnv.NotifyTopicArn]: { Ref: logicalId('AWS::SNS::Topic', 'NotificationsTopic') },
      [FunctionEnv.ExpectedKmsKeyArn]: arnOf(logicalId('AWS::KMS::Key', 'RotationKey')),
      [FunctionEnv.AuditContinuationTopicArn]: {
        Ref: logicalId('AWS::SNS::Topic', 'AuditFunctionContinuationTopic'),
      },
      [FunctionEnv.AuditIntervalMinutes]: '1440',
      // The config's secrets are all under rotator/: the only prefix the audit's policy reads.
      [FunctionEnv.AuditSecretNamePrefixes]: 'rotator/',
      [FunctionEnv.ServiceName]: SERVICE_NAME,
      [FunctionEnv.MetricsNamespace]: METRICS_NAMESPACE,
    });
  });

  it('is started daily at 06:00 UTC with the scheduled time as input, by a role that may only invoke it', () => {
    const functionArn = arnOf(logicalId('AWS::Lambda::Function', 'AuditFunction'));
    const scheduleRole = logicalId('AWS::IAM::Role', 'AuditFunctionScheduleRole');
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: functionArn,
        RoleArn: arnOf(scheduleRole),
        Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
      }),
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: Match.absent(),
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: {
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':scheduler:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':schedule-group/default',
                    ],
                  ],
                },
              },
            },
          },
        ],
      },
    });
    // The unqualified function the schedule invokes, not its versions and aliases.
    expect(grantsOf('AuditFunctionScheduleRole')).toEqual([
      { Action: 'lambda:InvokeFunction', Resource: functionArn },
    ]);
  });

  it('continues long runs through an encrypted, TLS-only topic it is subscribed to', () => {
    const topic = logicalId('AWS::SNS::Topic', 'AuditFunctionContinuationTopic');
    const functionArn = arnOf(logicalId('AWS::Lambda::Function', 'AuditFunction'));
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'api-key-rotator audit continuations',
      KmsMasterKeyId: arnOf(logicalId('AWS::KMS::Key', 'NotificationsKey')),
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: topic },
      Endpoint: functionArn,
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: functionArn,
      Principal: 'sns.amazonaws.com',
      SourceArn: { Ref: topic },
    });
  });

  it('may only read: list the secrets, read the managed ones, check their key and publish', () => {
    const ref = (type: string, prefix: string): unknown => ({ Ref: logicalId(type, prefix) });
    const grants = grantsOf('AuditFunctionRole');
    expect(grants).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: arnOf(logicalId('AWS::Logs::LogGroup', 'AuditFunctionLogs')),
      },
      { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
      { Action: 'secretsmanager:ListSecrets', Resource: '*' },
      {
        Action: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:ListSecretVersionIds',
        ],
        // ABAC: every secret under the prefix tagged managed, one statement for the whole fleet.
        Resource: secretsUnder('rotator/'),
      },
      { Action: 'kms:DescribeKey', Resource: arnOf(logicalId('AWS::KMS::Key', 'RotationKey')) },
      { Action: 'sns:Publish', Resource: ref('AWS::SNS::Topic', 'NotificationsTopic') },
      {
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: arnOf(logicalId('AWS::KMS::Key', 'NotificationsKey')),
      },
      { Action: 'sns:Publish', Resource: ref('AWS::SNS::Topic', 'AuditFunctionContinuationTopic') },
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'Runs the api-key-rotator audit (read-only)',
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('is granted no action that writes, on any policy that names its role', () => {
    const roleArn = arnOf(logicalId('AWS::IAM::Role', 'AuditFunctionRole'));
    const keyGrants = rotationKeyStatements().filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ AWS: roleArn }),
    );
    const actions = [...grantsOf('AuditFunctionRole'), ...keyGrants].flatMap((g) => g.Action);
    const writes =
      /^(secretsmanager:(Put|Update|Rotate|CancelRotate|Delete|Create|Restore|Tag|Untag|Replicate|Remove|StopReplication|Validate)|kms:(Encrypt|ReEncrypt|GenerateDataKey$|Create|Put|Schedule|Disable|Enable|Delete|Update|Retire|Revoke)|iam:|lambda:|.*\*$)/;
    const publishExceptions = ['kms:GenerateDataKey']; // SNS publishing to the encrypted topics
    expect(actions.filter((a) => writes.test(a) && !publishExceptions.includes(a))).toEqual([]);
    for (const forbidden of [
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
      'secretsmanager:RotateSecret',
      'secretsmanager:DeleteSecret',
      'kms:Encrypt',
    ]) {
      expect(actions).not.toContain(forbidden);
    }
    // The one data-key action is on the notification topics' key, never the secrets' key.
    expect(
      grantsOf('AuditFunctionRole').filter((g) => g.Action.includes('kms:GenerateDataKey')),
    ).toEqual([
      {
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: arnOf(logicalId('AWS::KMS::Key', 'NotificationsKey')),
      },
    ]);
  });

  it('decrypts only through Secrets Manager, only the managed secrets, and describes the key', () => {
    const roleArn = arnOf(logicalId('AWS::IAM::Role', 'AuditFunctionRole'));
    const bySid = new Map(rotationKeyStatements().map((s) => [s.Sid, s]));
    const decrypt = bySid.get('AuditFunctionDecryptsThroughSecretsManager');
    expect(decrypt).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: roleArn },
      Action: 'kms:Decrypt',
      Condition: {
        StringEquals: {
          'kms:ViaService': {
            'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
          },
        },
      },
    });
    const patterns = JSON.stringify(decrypt?.Condition?.StringLike);
    expect(decrypt?.Condition?.StringLike).toEqual({
      'kms:EncryptionContext:SecretARN': [secretsUnder('rotator/')],
    });
    expect(patterns).not.toContain('partner-key');
    expect(bySid.get('AuditFunctionDescribesKey')).toMatchObject({
      Principal: { AWS: roleArn },
      Action: 'kms:DescribeKey',
    });
  });

  it('alarms on each check that fails or cannot complete, and on incomplete runs', () => {
    const topic = { Ref: logicalId('AWS::SNS::Topic', 'NotificationsTopic') };
    for (const metricName of [AuditMetric.CheckFailed, AuditMetric.CheckErrored]) {
      const alarms = Object.values(
        template.findResources('AWS::CloudWatch::Alarm', {
          Properties: { MetricName: metricName },
        }),
      ).map((alarm) => alarm.Properties as Record<string, unknown>);
      const checkOf = (alarm: Record<string, unknown>): string | undefined =>
        (alarm.Dimensions as { Name: string; Value: string }[]).find((d) => d.Name === 'check')
          ?.Value;
      expect(alarms.map(checkOf)).toEqual([...AUDIT_CHECKS]);
      for (const alarm of alarms) {
        expect(alarm).toMatchObject({
          Namespace: METRICS_NAMESPACE,
          Dimensions: [{ Name: 'check' }, { Name: 'service', Value: SERVICE_NAME }],
          Statistic: 'Sum',
          Threshold: 1,
          AlarmActions: [topic],
        });
      }
    }
    // The overdue-rotation alarm is the rotation-not-overdue check failing.
    // 8 for the functions, events and audit runs, and one per audit check for failed and for errored.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8 + 2 * AUDIT_CHECKS.length);
    expect(JSON.stringify(template.toJSON())).not.toContain('RotationOverdue');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: AuditMetric.CheckFailed,
      Dimensions: [
        { Name: 'check', Value: 'rotation-not-overdue' },
        { Name: 'service', Value: SERVICE_NAME },
      ],
      AlarmDescription: Match.stringLikeRegexp('rotation-not-overdue failed'),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Dimensions: [
        {
          Name: 'TopicName',
          Value: {
            'Fn::GetAtt': [
              logicalId('AWS::SNS::Topic', 'AuditFunctionContinuationTopic'),
              'TopicName',
            ],
          },
        },
      ],
      AlarmActions: [topic],
    });
  });
});

describe('monitoring', () => {
  const alarmsOn = (metricName: string): Record<string, Record<string, unknown>>[] =>
    Object.values(
      template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metricName } }),
    );

  it('encrypts the notification topic and requires TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: arnOf(logicalId('AWS::KMS::Key', 'NotificationsKey')),
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it("lets this account's alarms publish, since the TLS policy replaces SNS's default one", () => {
    const topic = { Ref: logicalId('AWS::SNS::Topic', 'NotificationsTopic') };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudWatchAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('alarms on function errors, rotation failure events, each incident metric and the audit', () => {
    const topic = { Ref: logicalId('AWS::SNS::Topic', 'NotificationsTopic') };
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // Rotation: 2 + 3 incident metrics; audit: errors, incomplete, continuation, 5 checks x 2.
    expect(alarms).toHaveLength(8 + 2 * AUDIT_CHECKS.length);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        AlarmActions: [topic],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        Statistic: 'Sum',
      });
    }
    expect(alarmsOn('Errors').map((a) => a.Properties.Dimensions)).toEqual([
      [
        {
          Name: 'FunctionName',
          Value: { Ref: logicalId('AWS::Lambda::Function', 'RotationFunction') },
        },
      ],
      [
        {
          Name: 'FunctionName',
          Value: { Ref: logicalId('AWS::Lambda::Function', 'AuditFunction') },
        },
      ],
    ]);
    expect(alarmsOn('TriggeredRules')[0].Properties).toMatchObject({
      Namespace: 'AWS/Events',
      Dimensions: [
        {
          Name: 'RuleName',
          Value: { Ref: logicalId('AWS::Events::Rule', 'MonitoringRotationFailureRule') },
        },
      ],
    });
    for (const metricName of [
      RotationMetric.StepFailed,
      RotationMetric.RevocationFailed,
      RotationMetric.ManualRevocationRequired,
      AuditMetric.Incomplete,
    ]) {
      expect(alarmsOn(metricName).map((a) => a.Properties)).toEqual([
        expect.objectContaining({
          Namespace: METRICS_NAMESPACE,
          Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
        }),
      ]);
    }
  });

  it('forwards RotationFailed and RotationAbandoned events to the topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ['RotationFailed', 'RotationAbandoned'],
        },
      },
      Targets: [
        Match.objectLike({ Arn: { Ref: logicalId('AWS::SNS::Topic', 'NotificationsTopic') } }),
      ],
    });
  });

  it('lets CloudWatch and EventBridge publish to the encrypted topic', () => {
    const key = resources('AWS::KMS::Key')[logicalId('AWS::KMS::Key', 'NotificationsKey')];
    const statements = prop(key, 'KeyPolicy', 'Statement') as {
      Principal: unknown;
      Action: unknown;
    }[];
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' } }),
      ]),
    );
  });

  it('draws a rotation health dashboard', () => {
    const dashboard = Object.values(resources('AWS::CloudWatch::Dashboard'));
    expect(dashboard).toHaveLength(1);
    const body = JSON.stringify(prop(dashboard[0], 'DashboardBody'));
    for (const text of [
      'Rotation alarms',
      'Rotation function',
      'Rotation incidents',
      RotationMetric.StepFailed,
      'Audit alarms',
      'Audit function',
      'Audit: secrets failing each check',
      'Audit: checks that could not complete',
      AuditMetric.SecretsAudited,
      AuditMetric.CheckErrored,
      'rotation-not-overdue',
    ]) {
      expect(body).toContain(text);
    }
  });
});

describe('outputs', () => {
  it('give what adopt needs, the function names and the topic, and no output per secret', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual([
      'AuditFunctionName',
      'AuditRoleArn',
      'NotificationTopicArn',
      'PartnerKeySecretArn',
      'RotationFunctionArn',
      'RotationFunctionName',
      'RotationKeyArn',
      'RotationRoleArn',
      'SecretNamePrefixes',
      'SecretReaderRoleArns',
    ]);
    expect(outputs.SecretNamePrefixes.Value).toBe('rotator/');
    expect(outputs.SecretReaderRoleArns.Value).toBe([POELIS_READER, READER].join(','));
    expect(outputs.RotationFunctionName.Value).toEqual({
      Ref: logicalId('AWS::Lambda::Function', 'RotationFunction'),
    });
    expect(outputs.RotationFunctionArn.Value).toEqual(
      arnOf(logicalId('AWS::Lambda::Function', 'RotationFunction')),
    );
    expect(outputs.NotificationTopicArn.Value).toEqual({
      Ref: logicalId('AWS::SNS::Topic', 'NotificationsTopic'),
    });
  });
});

describe('compliance', () => {
  it('passes the AwsSolutions and Serverless cdk-nag packs with no unacknowledged finding', () => {
    const findings = compliancePacks().flatMap((pack) =>
      pack
        .validateScope(stack)
        .violations.map(
          (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
        ),
    );
    expect(findings).toEqual([]);
  });

  it('gives a reason for every acknowledged finding', () => {
    const acknowledgements: [string, unknown][] = [];
    const visit = (node: IConstruct): void => {
      for (const entry of node.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          acknowledgements.push(...Object.entries(entry.data as Record<string, unknown>));
        }
      }
      node.node.children.forEach(visit);
    };
    visit(stack);
    const abac =
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:rotator/*]';
    expect(acknowledgements.map(([id]) => id.replace(/^[A-Za-z]+::/, '')).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::*]',
      abac,
      abac,
      'AwsSolutions-SMG4',
      'Serverless-EventBusDLQ',
      'Serverless-LambdaAsyncFailureDestination',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaDLQ',
      'Serverless-SNSRedrivePolicy',
    ]);
    for (const [, reason] of acknowledgements) {
      expect(typeof reason === 'string' && reason.length > 40).toBe(true);
    }
  });

  it('raises no error or warning annotation', () => {
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('variants', () => {
  it('lets only the rotation function read an imported partner key, and runs the audit on the configured schedule', () => {
    const app = new App();
    const imported = new ApiKeyRotatorStack(app, 'Imported', {
      config: parseRotatorConfig({
        partnerKey: {
          secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:partner-AbC123',
          kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abcd',
        },
        secrets: [
          { name: 'v/p', provider: 'polytomic', schedule: 'rate(7 days)', rotationWindow: '2h' },
        ],
        audit: { schedule: 'rate(6 hours)', enabled: false },
      }),
      rotationCode: inlineCode,
      auditCode: inlineCode,
    });
    const importedTemplate = Template.fromStack(imported);
    importedTemplate.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const functions = resources('AWS::Lambda::Function', importedTemplate);
    expect(Object.keys(functions)).toHaveLength(2);
    const importedFunction = (prefix: string): ResourceJson =>
      functions[logicalId('AWS::Lambda::Function', prefix, importedTemplate)];
    expect(
      prop(
        importedFunction('RotationFunction'),
        'Environment',
        'Variables',
        FunctionEnv.PartnerKeySecretId,
      ),
    ).toBe('arn:aws:secretsmanager:eu-west-1:111122223333:secret:partner-AbC123');
    // Verifying keys takes no partner key: the audit is neither told where it is nor may read it.
    expect(
      prop(
        importedFunction('AuditFunction'),
        'Environment',
        'Variables',
        FunctionEnv.PartnerKeySecretId,
      ),
    ).toBeUndefined();
    const policies = resources('AWS::IAM::Policy', importedTemplate);
    const statements = Object.values(policies).flatMap(
      (policy) => prop(policy, 'PolicyDocument', 'Statement') as StatementJson[],
    );
    const auditStatements = Object.values(policies)
      .filter((policy) =>
        JSON.stringify(prop(policy, 'Roles')).includes(
          logicalId('AWS::IAM::Role', 'AuditFunctionRole', importedTemplate),
        ),
      )
      .flatMap((policy) => prop(policy, 'PolicyDocument', 'Statement') as StatementJson[]);
    expect(auditStatements.length).toBeGreaterThan(0);
    expect(JSON.stringify(auditStatements)).not.toContain('partner-AbC123');
    expect(JSON.stringify(auditStatements)).not.toContain('eu-west-1:111122223333:key/abcd');
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'secretsmanager:GetSecretValue',
          Resource: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:partner-AbC123',
        }),
        expect.objectContaining({
          Action: 'kms:Decrypt',
          Resource: 'arn:aws:kms:eu-west-1:111122223333:key/abcd',
        }),
      ]),
    );
    // Only the rotation function may read the partner key: one grant, not two.
    expect(
      statements.filter(
        (statement) =>
          statement.Action === 'secretsmanager:GetSecretValue' &&
          JSON.stringify(statement).includes('partner-AbC123'),
      ),
    ).toHaveLength(1);
    // The schedule is paused, and the function told the interval of the configured one.
    importedTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
      State: 'DISABLED',
    });
    importedTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [FunctionEnv.AuditIntervalMinutes]: '360' }),
      },
    });
  });

  it('creates no partner key when no secret is a Polytomic key', () => {
    const app = new App();
    const poelisOnly = new ApiKeyRotatorStack(app, 'PoelisOnly', {
      config: parseRotatorConfig({
        secrets: [
          { name: 'v/p', provider: 'poelis', schedule: 'rate(7 days)', rotationWindow: '2h' },
        ],
      }),
      rotationCode: inlineCode,
      auditCode: inlineCode,
    });
    const poelisTemplate = Template.fromStack(poelisOnly);
    poelisTemplate.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const functions = Object.values(resources('AWS::Lambda::Function', poelisTemplate));
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect(prop(fn, 'Environment', 'Variables', FunctionEnv.PartnerKeySecretId)).toBeUndefined();
    }
  });

  it('refuses two secret names that map to the same construct id', () => {
    const app = new App();
    expect(
      () =>
        new ApiKeyRotatorStack(app, 'Clash', {
          config: parseRotatorConfig({
            secrets: [
              { name: 'x/a/b', provider: 'poelis', schedule: 'rate(7 days)', rotationWindow: '2h' },
              { name: 'x/a-b', provider: 'poelis', schedule: 'rate(7 days)', rotationWindow: '2h' },
            ],
          }),
          rotationCode: inlineCode,
          auditCode: inlineCode,
        }),
    ).toThrow('Two secret names map to the construct id "XAB": rename one.');
  });
});

describe('reserved concurrency and physical names', () => {
  const minimal = (extra: Record<string, unknown>): ReturnType<typeof parseRotatorConfig> =>
    parseRotatorConfig({
      secrets: [
        { name: 'v/p', provider: 'poelis', schedule: 'rate(7 days)', rotationWindow: '2h' },
      ],
      ...extra,
    });
  const synthesize = (id: string, extra: Record<string, unknown>): ApiKeyRotatorStack =>
    new ApiKeyRotatorStack(new App(), id, {
      config: minimal(extra),
      rotationCode: inlineCode,
      auditCode: inlineCode,
    });
  const reservations = (from: Template): Record<string, unknown> =>
    Object.fromEntries(
      ['RotationFunction', 'AuditFunction'].map((prefix) => [
        prefix,
        prop(
          resources('AWS::Lambda::Function', from)[
            logicalId('AWS::Lambda::Function', prefix, from)
          ],
          'ReservedConcurrentExecutions',
        ),
      ]),
    );

  it('reserves none by default, so an account with a reduced concurrency quota can deploy', () => {
    const unreserved = synthesize('Unreserved', {});
    expect(reservations(Template.fromStack(unreserved))).toEqual({
      RotationFunction: undefined,
      AuditFunction: undefined,
    });
    const findings = compliancePacks().flatMap((pack) => pack.validateScope(unreserved).violations);
    expect(findings).toEqual([]);
  });

  it("reserves each function's configured concurrency", () => {
    const reserved = synthesize('Reserved', {
      reservedConcurrency: 4,
      audit: { reservedConcurrency: 1 },
    });
    expect(reservations(Template.fromStack(reserved))).toEqual({
      RotationFunction: 4,
      AuditFunction: 1,
    });
  });

  it('derives the KMS alias from the stack name, so two stacks share an account and region', () => {
    const aliases = ['ApiKeyRotator', 'ApiKeyRotator-Staging'].map((id) =>
      prop(
        Object.values(resources('AWS::KMS::Alias', Template.fromStack(synthesize(id, {}))))[0],
        'AliasName',
      ),
    );
    expect(aliases).toEqual(['alias/api-key-rotator', 'alias/api-key-rotator-staging']);
  });

  it('sets no other fixed physical name', () => {
    const named = Template.fromStack(synthesize('Named', {})).toJSON() as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    const physicalNameKeys = [
      'TopicName',
      'RoleName',
      'FunctionName',
      'LogGroupName',
      'Name',
      'ScheduleGroupName',
      'DashboardName',
      'AlarmName',
    ];
    const fixed = Object.values(named.Resources).flatMap((resource) =>
      physicalNameKeys
        .filter((key) => typeof resource.Properties?.[key] === 'string')
        .map((key) => `${resource.Type}.${key}=${String(resource.Properties?.[key])}`),
    );
    // Secret names come from the config; the partner key's default is under the stack's prefix.
    expect(fixed.filter((entry) => !entry.startsWith('AWS::SecretsManager::Secret.Name='))).toEqual(
      [],
    );
  });
});

describe('ManagedApiKey', () => {
  it('rejects a schedule or window Secrets Manager would refuse, before deployment', () => {
    const bad = new ApiKeyRotatorStack(new App(), 'Bad', {
      config: parseRotatorConfig({
        secrets: [
          { name: 'bad/ok', provider: 'poelis', schedule: 'rate(7 days)', rotationWindow: '2h' },
        ],
      }),
      rotationCode: inlineCode,
      auditCode: inlineCode,
    });
    const common = {
      provider: 'poelis' as const,
      rotationFunction: bad.rotationFunction,
      invokePermissions: bad.invokePermissions,
      rotationKey: bad.rotationKey,
    };
    expect(
      () => new ManagedApiKey(bad, 'Weekly', { ...common, secretName: 'ok', schedule: 'weekly' }),
    ).toThrow(/^ManagedApiKey ok: "weekly" is not a Secrets Manager schedule/);
    expect(
      () =>
        new ManagedApiKey(bad, 'Long', {
          ...common,
          secretName: 'ok',
          schedule: 'rate(4 hours)',
          rotationWindow: Duration.hours(4),
        }),
    ).toThrow('ManagedApiKey ok: "4h" must be shorter than the interval of rate(4 hours)');
  });

  it('adds a secret in a few lines, with the documented defaults: 30 days, 4 h window, revoke on finish', () => {
    const app = new App();
    const host = new ApiKeyRotatorStack(app, 'Host', {
      config: parseRotatorConfig({
        secrets: [
          { name: 'host/ok', provider: 'poelis', schedule: 'rate(7 days)', rotationWindow: '2h' },
        ],
      }),
      rotationCode: inlineCode,
      auditCode: inlineCode,
    });
    new ManagedApiKey(host, 'Defaults', {
      secretName: 'host/added-later',
      provider: 'poelis',
      rotationFunction: host.rotationFunction,
      invokePermissions: host.invokePermissions,
      rotationKey: host.rotationKey,
      auditFunction: host.auditFunction,
    });
    const hostTemplate = Template.fromStack(host);
    hostTemplate.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: Match.stringLikeRegexp('^Defaults') },
      RotationRules: { ScheduleExpression: 'rate(30 days)', Duration: '4h' },
    });
    hostTemplate.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'host/added-later',
      Tags: Match.arrayWith([{ Key: REVOKE_POLICY_TAG, Value: 'on-finish' }]),
    });
    // A secret added under the prefix needs no grant: both functions reach it by prefix and tag.
    const keyPolicy = hostTemplate.findResources('AWS::KMS::Key', {
      Properties: { Description: 'Encrypts the API keys rotated by api-key-rotator' },
    });
    const statements = (
      Object.values(keyPolicy)[0].Properties as {
        KeyPolicy: { Statement: { Sid: string; Condition?: unknown }[] };
      }
    ).KeyPolicy.Statement;
    for (const sid of [
      'RotationFunctionUsesKeyThroughSecretsManager',
      'AuditFunctionDecryptsThroughSecretsManager',
    ]) {
      expect(JSON.stringify(statements.find((s) => s.Sid === sid)?.Condition)).toContain(
        ':secret:host/*',
      );
    }
    expect(JSON.stringify(hostTemplate.toJSON())).not.toContain('added-later-??????');
  });
});

describe('AuditFunction', () => {
  it('rejects a schedule it cannot tell the function the interval of, before deployment', () => {
    const host = new Stack();
    const common = {
      rotationKey: new RotationKey(host, 'Key', { secretNamePrefixes: ['audit/'] }),
      secretScope: {
        partition: 'aws',
        region: 'us-east-1',
        account: '111122223333',
        prefixes: ['audit/'],
      },
      notificationTopic: new NotificationTopic(host, 'Topic').topic,
      code: inlineCode,
    };
    expect(
      () => new AuditFunction(host, 'Hourly', { ...common, schedule: 'cron(0 * * * ? *)' }),
    ).toThrow(/^AuditFunction: "cron\(0 \* \* \* \? \*\)" is not an audit schedule/);
  });
});

describe('cdk-nag packs', () => {
  it('do report findings on a construct that breaks their rules', () => {
    const stack = new Stack();
    new lambda.Function(stack, 'Bare', {
      code: inlineCode,
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_20_X,
    });
    const rules = compliancePacks().flatMap((pack) =>
      pack.validateScope(stack).violations.map((v) => v.ruleName),
    );
    expect(rules).toEqual(
      expect.arrayContaining([
        'AwsSolutions-L1',
        'Serverless-LambdaDefaultMemorySize',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      ]),
    );
  });
});
