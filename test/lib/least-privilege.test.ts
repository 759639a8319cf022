import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { ApiKeyRotatorStack } from '../../lib/api-key-rotator-stack';
import { parseRotatorConfig } from '../../lib/config';

// Each test pins one statement to its narrowest documented form: it fails if the statement widens.

const READER = 'arn:aws:iam::111122223333:role/sync-service';
const OPERATOR = 'arn:aws:iam::111122223333:role/operator';
const PARTNER_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:partner-AbC123';
const PARTNER_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/abcd';
const inlineCode = lambda.Code.fromInline('exports.handler = async () => undefined;');

const secrets = [
  {
    name: 'lp/polytomic',
    provider: 'polytomic',
    schedule: 'rate(30 days)',
    rotationWindow: '4h',
    readerRoleArns: [READER],
  },
  {
    name: 'lp/poelis',
    provider: 'poelis',
    schedule: 'rate(30 days)',
    rotationWindow: '4h',
    readerRoleArns: [READER, OPERATOR],
  },
];

function synth(partnerKey: Record<string, unknown>): { stack: ApiKeyRotatorStack; t: Template } {
  const stack = new ApiKeyRotatorStack(new App(), 'LeastPrivilege', {
    config: parseRotatorConfig({ partnerKey, secrets }),
    rotationCode: inlineCode,
    auditCode: inlineCode,
  });
  return { stack, t: Template.fromStack(stack) };
}

const created = synth({ secretName: 'lp/partner', readerRoleArns: [OPERATOR] });
const imported = synth({ secretArn: PARTNER_ARN, kmsKeyArn: PARTNER_KEY });

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function resourcesOf(t: Template): Resources {
  return t.toJSON().Resources as Resources;
}

/** Every policy statement of the template, named by the resource and document holding it. */
function allStatements(t: Template): { where: string; statement: Statement }[] {
  const documents: [string, string][] = [
    ['AWS::IAM::Policy', 'PolicyDocument'],
    ['AWS::IAM::Role', 'AssumeRolePolicyDocument'],
    ['AWS::KMS::Key', 'KeyPolicy'],
    ['AWS::SNS::TopicPolicy', 'PolicyDocument'],
    ['AWS::SecretsManager::ResourcePolicy', 'ResourcePolicy'],
  ];
  return Object.entries(resourcesOf(t)).flatMap(([id, resource]) =>
    documents
      .filter(([type]) => resource.Type === type)
      .flatMap(([, property]) =>
        ((resource.Properties[property] as { Statement: Statement[] }).Statement ?? []).map(
          (statement) => ({ where: `${id}.${property}`, statement }),
        ),
      ),
  );
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** `arn:<partition>:secretsmanager:<region>:<account><rest>`, as the template joins it. */
function scopeArn(rest: string): unknown {
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
        rest,
      ],
    ],
  };
}

/** Logical id of the only resource of `type` whose id starts with `prefix`. */
function idOf(t: Template, type: string, prefix: string): string {
  const ids = Object.keys(t.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('least privilege', () => {
  it('administers the rotation key with named actions, never kms:CreateGrant', () => {
    const admin = allStatements(created.t).find((s) => s.statement.Sid === 'AccountAdministersKey');
    expect(admin?.statement.Action).toEqual([
      'kms:CancelKeyDeletion',
      'kms:CreateAlias',
      'kms:DeleteAlias',
      'kms:DescribeKey',
      'kms:DisableKey',
      'kms:DisableKeyRotation',
      'kms:EnableKey',
      'kms:EnableKeyRotation',
      'kms:GetKeyPolicy',
      'kms:GetKeyRotationStatus',
      'kms:ListGrants',
      'kms:ListKeyPolicies',
      'kms:ListKeyRotations',
      'kms:ListResourceTags',
      'kms:PutKeyPolicy',
      'kms:RevokeGrant',
      'kms:RotateKeyOnDemand',
      'kms:ScheduleKeyDeletion',
      'kms:TagResource',
      'kms:UntagResource',
      'kms:UpdateAlias',
      'kms:UpdateKeyDescription',
    ]);
    // No statement anywhere grants CreateGrant, by name or by a wildcard that covers it.
    const createGrant = /^(\*|kms:\*|kms:C\*|kms:Cr\*|kms:Create\*|kms:CreateG\*|kms:CreateGrant)$/;
    for (const t of [created.t, imported.t]) {
      expect(
        allStatements(t).filter(({ statement }) =>
          list(statement.Action).some((a) => createGrant.test(String(a))),
        ),
      ).toEqual([]);
    }
  });

  it("lets EventBridge publish to the topic only for this stack's rule, from this account", () => {
    const ruleArn = { 'Fn::GetAtt': [idOf(created.t, 'AWS::Events::Rule', 'Monitoring'), 'Arn'] };
    const fromEvents = allStatements(created.t).filter(
      ({ statement }) =>
        JSON.stringify(statement.Principal) === '{"Service":"events.amazonaws.com"}',
    );
    const topicStatements = fromEvents.filter(({ where }) => where.includes('TopicPolicy'));
    expect(topicStatements.map(({ statement }) => statement)).toEqual([
      {
        Sid: 'RotationFailureRulePublishes',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: idOf(created.t, 'AWS::SNS::Topic', 'NotificationsTopic') },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: { 'aws:SourceArn': ruleArn },
        },
      },
    ]);
    // The key policy cannot name the rule (rule -> topic -> key): it names the account.
    expect(
      fromEvents.filter(({ where }) => where.includes('KMS') || where.includes('KeyPolicy')),
    ).toEqual([
      {
        where: `${idOf(created.t, 'AWS::KMS::Key', 'NotificationsKey')}.KeyPolicy`,
        statement: {
          Sid: 'EventBridgePublishesEncrypted',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      },
    ]);
  });

  it('gives publishers to the encrypted topics exactly kms:GenerateDataKey and kms:Decrypt', () => {
    for (const t of [created.t, imported.t]) {
      const statements = allStatements(t).map(({ statement }) => statement);
      expect(
        statements.flatMap((s) => list(s.Action)).filter((a) => a === 'kms:GenerateDataKey*'),
      ).toEqual([]);
      const notificationsKey = idOf(t, 'AWS::KMS::Key', 'NotificationsKey');
      const onTopicKey = statements.filter(
        (s) =>
          JSON.stringify(s.Resource) ===
          JSON.stringify({ 'Fn::GetAtt': [notificationsKey, 'Arn'] }),
      );
      expect(onTopicKey.length).toBeGreaterThan(0);
      for (const s of onTopicKey) expect(s.Action).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    }
  });

  it('lets the schedule role invoke only the unqualified audit function, assumed only for this account and group', () => {
    const t = created.t;
    const roleId = idOf(t, 'AWS::IAM::Role', 'AuditFunctionScheduleRole');
    const role = resourcesOf(t)[roleId];
    expect(
      (role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement,
    ).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
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
    ]);
    const grants = allStatements(t).filter(({ where }) => {
      const policy = resourcesOf(t)[where.split('.')[0]];
      return (
        policy.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }])
      );
    });
    expect(grants.map(({ statement }) => statement)).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [idOf(t, 'AWS::Lambda::Function', 'AuditFunction'), 'Arn'] },
      },
    ]);
    // The schedule targets the same unqualified function.
    const schedule = Object.values(t.findResources('AWS::Scheduler::Schedule'))[0] as {
      Properties: { Target: { Arn: unknown } };
    };
    expect(schedule.Properties.Target.Arn).toEqual(grants[0].statement.Resource);
  });

  it("lets the rotation function put only its own events, on this region's default bus", () => {
    for (const t of [created.t, imported.t]) {
      const putEvents = allStatements(t).filter(({ statement }) =>
        list(statement.Action).some((action) => /^(\*|events:.*)$/.test(String(action))),
      );
      expect(putEvents.map(({ statement }) => statement)).toEqual([
        {
          Sid: 'PublishRotationEvents',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':events:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':event-bus/default',
              ],
            ],
          },
          Condition: { 'ForAllValues:StringEquals': { 'events:source': 'api-key-rotator' } },
        },
      ]);
      // Only the rotation function's role holds it.
      const policy = resourcesOf(t)[putEvents[0].where.split('.')[0]];
      expect(policy.Properties.Roles).toEqual([
        { Ref: idOf(t, 'AWS::IAM::Role', 'RotationFunctionRole') },
      ]);
    }
  });

  it("decrypts an imported partner key only through Secrets Manager and only for that secret's values", () => {
    const decrypt = allStatements(imported.t).filter(
      ({ statement }) => statement.Sid === 'DecryptImportedPartnerKey',
    );
    expect(decrypt.map(({ statement }) => statement)).toEqual([
      {
        Sid: 'DecryptImportedPartnerKey',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: PARTNER_KEY,
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
            },
            'kms:EncryptionContext:SecretARN': PARTNER_ARN,
          },
        },
      },
    ]);
  });

  it('lets the partner key be read only as AWSCURRENT, by naming that stage', () => {
    const currentOnly = { StringEquals: { 'secretsmanager:VersionStage': 'AWSCURRENT' } };
    const partnerPolicy = resourcesOf(created.t)[
      idOf(created.t, 'AWS::SecretsManager::ResourcePolicy', 'PolytomicPartnerKey')
    ];
    const statements = (partnerPolicy.Properties.ResourcePolicy as { Statement: Statement[] })
      .Statement;
    const reads = statements.filter(
      (s) => s.Effect === 'Allow' && list(s.Action).includes('secretsmanager:GetSecretValue'),
    );
    expect(reads).toHaveLength(1);
    for (const s of reads) {
      expect(s.Action).toEqual('secretsmanager:GetSecretValue');
      expect(s.Condition).toEqual(currentOnly);
    }
    // The function's own identity grant, created or imported, carries the same condition.
    for (const t of [created.t, imported.t]) {
      const read = allStatements(t).filter(({ statement }) => statement.Sid === 'ReadPartnerKey');
      expect(read).toHaveLength(1);
      expect(read[0].statement.Condition).toEqual(currentOnly);
    }
  });

  it("forwards rotation failures of this stack's managed secrets only", () => {
    for (const t of [created.t, imported.t]) {
      const rules = Object.values(t.findResources('AWS::Events::Rule')) as {
        Properties: { EventPattern: { detail: Record<string, unknown> } };
      }[];
      expect(rules).toHaveLength(1);
      // By ARN prefix: the pattern is the same size for 2 secrets as for 10,000.
      expect(rules[0].Properties.EventPattern.detail.additionalEventData).toEqual({
        SecretId: [{ prefix: scopeArn(':secret:lp/') }],
      });
    }
  });

  it('acknowledges each cdk-nag finding on the exact construct it is about', () => {
    const acknowledged: string[] = [];
    const visit = (node: IConstruct): void => {
      for (const entry of node.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
            acknowledged.push(`${node.node.path} ${id.replace(/^[A-Za-z]+::/, '')}`);
            if (id.endsWith('Serverless-EventBusDLQ')) {
              // The alarm on TriggeredRules notifies the same topic: the reason must not say otherwise.
              expect(reason).not.toMatch(/independent/i);
              expect(reason).toMatch(/same topic/);
            }
          }
        }
      }
      node.node.children.forEach(visit);
    };
    visit(created.stack);
    expect(acknowledged.sort()).toEqual([
      'LeastPrivilege/AuditFunction/Function Serverless-LambdaAsyncFailureDestination',
      'LeastPrivilege/AuditFunction/Function Serverless-LambdaDLQ',
      'LeastPrivilege/AuditFunction/Function Serverless-SNSRedrivePolicy',
      'LeastPrivilege/AuditFunction/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      // The ABAC prefix pattern, acknowledged for exactly the stack's prefix.
      'LeastPrivilege/AuditFunction/Role/DefaultPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:lp/*]',
      'LeastPrivilege/Monitoring/RotationFailureRule Serverless-EventBusDLQ',
      'LeastPrivilege/PolytomicPartnerKey AwsSolutions-SMG4',
      'LeastPrivilege/RotationFunction/Function Serverless-LambdaDLQ',
      'LeastPrivilege/RotationFunction/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'LeastPrivilege/RotationFunction/Role/DefaultPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:lp/*]',
    ]);
  });

  it('reaches managed secrets only under the prefix and with the managed tag, never by one name', () => {
    const managedOnly = { StringEquals: { 'aws:ResourceTag/api-key-rotator:managed': 'true' } };
    for (const t of [created.t, imported.t]) {
      const abac = allStatements(t).filter(({ statement }) =>
        ['RotateManagedSecrets', 'ReadManagedSecrets'].includes(statement.Sid ?? ''),
      );
      expect(
        abac
          .map(({ statement }) => [statement.Sid, statement.Resource, statement.Condition])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      ).toEqual([
        ['ReadManagedSecrets', scopeArn(':secret:lp/*'), managedOnly],
        ['RotateManagedSecrets', scopeArn(':secret:lp/*'), managedOnly],
      ]);
      // No other statement names a managed secret: policies do not grow with the fleet.
      const named = allStatements(t).filter(({ statement }) =>
        JSON.stringify(statement.Resource ?? '').includes('ProtectedSecret'),
      );
      expect(named).toEqual([]);
    }
    // The partner key sits under the prefix: the function may never write it, tagged or not.
    const deny = allStatements(created.t).find(
      ({ statement }) => statement.Sid === 'NeverWritePartnerKey',
    );
    expect(deny?.statement).toEqual({
      Sid: 'NeverWritePartnerKey',
      Effect: 'Deny',
      Action: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      Resource: { Ref: idOf(created.t, 'AWS::SecretsManager::Secret', 'PolytomicPartnerKey') },
    });
  });

  it('lets Secrets Manager invoke the function once, for the prefix, from this account', () => {
    const permissions = Object.values(created.t.findResources('AWS::Lambda::Permission')).filter(
      (p) =>
        (p as { Properties: { Principal: string } }).Properties.Principal ===
        'secretsmanager.amazonaws.com',
    ) as { Properties: Record<string, unknown> }[];
    expect(permissions.map((p) => [p.Properties.SourceAccount, p.Properties.SourceArn])).toEqual([
      [{ Ref: 'AWS::AccountId' }, scopeArn(':secret:lp/*')],
    ]);
  });

  it('has no wildcard in any policy but these, each pinned', () => {
    const wildcards = (t: Template): string[] =>
      allStatements(t).flatMap(({ where, statement }) => {
        const name = `${where.replace(/[0-9A-F]{8}\./, '.')} ${statement.Sid ?? '-'}`;
        const actions = list(statement.Action)
          .map(String)
          .filter((a) => a.includes('*'));
        const resources = list(statement.Resource ?? [])
          .map((r) => JSON.stringify(r))
          .filter((r) => r.includes('*'));
        const principals = JSON.stringify(statement.Principal ?? {}).includes('"*"')
          ? ['principal *']
          : [];
        const conditions = Object.values(statement.Condition ?? {}).flatMap((byKey) =>
          Object.entries(byKey)
            .filter(([, value]) => JSON.stringify(value).includes('*'))
            .map(([key]) => `condition ${key}`),
        );
        return [
          ...actions.map((a) => `${name} action ${a}`),
          ...resources.map((r) => `${name} resource ${r}`),
          ...principals.map((p) => `${name} ${p}`),
          ...conditions.map((c) => `${name} ${c}`),
        ];
      });
    const keyStatementsOnStar = (prefix: string, sids: string[]): string[] =>
      sids.map((sid) => `${prefix}.KeyPolicy ${sid} resource "*"`);
    expect(wildcards(created.t).sort()).toEqual(
      [
        // A key policy's Resource "*" is the key itself.
        ...keyStatementsOnStar('NotificationsKey', [
          'AccountAdministersKey',
          'AccountPublishesThroughSns',
          'CloudWatchAlarmsPublishEncrypted',
          'EventBridgePublishesEncrypted',
        ]),
        ...keyStatementsOnStar('RotationKey', [
          'AccountAdministersKey',
          'AccountValidatesKeyThroughSecretsManager',
          'AccountWritesSecretsThroughSecretsManager',
          'AuditFunctionDecryptsThroughSecretsManager',
          'AuditFunctionDescribesKey',
          'RotationFunctionDescribesKey',
          'RotationFunctionUsesKeyThroughSecretsManager',
          'SecretReadersDecrypt',
        ]),
        // Use through Secrets Manager only for the secrets under the stack's prefix (ARN `lp/*`).
        ...[
          'AccountValidatesKeyThroughSecretsManager',
          'AccountWritesSecretsThroughSecretsManager',
          'AuditFunctionDecryptsThroughSecretsManager',
          'RotationFunctionUsesKeyThroughSecretsManager',
          'SecretReadersDecrypt',
        ].map((sid) => `RotationKey.KeyPolicy ${sid} condition kms:EncryptionContext:SecretARN`),
        // ABAC: every secret under the prefix, only with the managed tag (pinned below).
        `AuditFunctionRoleDefaultPolicy.PolicyDocument ReadManagedSecrets resource ${JSON.stringify(scopeArn(':secret:lp/*'))}`,
        `RotationFunctionRoleDefaultPolicy.PolicyDocument RotateManagedSecrets resource ${JSON.stringify(scopeArn(':secret:lp/*'))}`,
        // The secret's resource policy: Resource "*" is the secret itself; the deny names everyone.
        'PolytomicPartnerKeyPolicy.ResourcePolicy ReadersDescribe resource "*"',
        'PolytomicPartnerKeyPolicy.ResourcePolicy ReadersReadCurrentValue resource "*"',
        'PolytomicPartnerKeyPolicy.ResourcePolicy NobodyElseReadsValue principal *',
        'PolytomicPartnerKeyPolicy.ResourcePolicy NobodyElseReadsValue resource "*"',
        ...['LpPoelis', 'LpPolytomic'].flatMap((secret) => [
          `${secret}ProtectedPolicy.ResourcePolicy NobodyElseReadsValue principal *`,
          `${secret}ProtectedPolicy.ResourcePolicy NobodyElseReadsValue resource "*"`,
          `${secret}ProtectedPolicy.ResourcePolicy ReadersReadValue resource "*"`,
        ]),
        // ListSecrets and the X-Ray actions have no resource-level permissions.
        'AuditFunctionRoleDefaultPolicy.PolicyDocument ListManagedSecrets resource "*"',
        'AuditFunctionRoleDefaultPolicy.PolicyDocument - resource "*"',
        'RotationFunctionRoleDefaultPolicy.PolicyDocument - resource "*"',
        // Alarms of this account publish: their ARN pattern is this account's `alarm:*`.
        'NotificationsTopicPolicy.PolicyDocument CloudWatchAlarmsPublish condition aws:SourceArn',
        // enforceSSL's deny names every principal.
        'NotificationsTopicPolicy.PolicyDocument AllowPublishThroughSSLOnly principal *',
        'AuditFunctionContinuationTopicPolicy.PolicyDocument AllowPublishThroughSSLOnly principal *',
      ].sort(),
    );
  });
});
