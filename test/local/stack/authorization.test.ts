/**
 * The synthesized stack deployed into the authorizing local world: what it must allow, what it must
 * refuse, and — for each refusal — proof that loosening the one statement responsible lets the call
 * through, so these tests fail if the stack's policies are widened.
 */
import { GetKeyPolicyCommand, PutKeyPolicyCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { METRICS_NAMESPACE, RotationMetric, SERVICE_NAME } from '../../../lambda/shared/contracts';
import { roleSession, type PolicyDocument } from '../../../local/aws/authorization';
import type { LocalClients } from '../../../local/scenarios';
import { startDeployedWorld, type DeployedWorld } from '../../../local/stack/world';

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const POLYTOMIC = 'api-key-rotator/polytomic/production';
const STRANGER_ACCOUNT = '999999999999';

let deployed: DeployedWorld;
let admin: LocalClients;
const denials: string[] = [];

beforeAll(async () => {
  deployed = await startDeployedWorld({ authorizationLog: (line) => denials.push(line) });
  admin = deployed.clientsAs();
}, 120_000);

afterAll(() => deployed.close());

function statementsOf(policy: string | undefined): Statement[] {
  return (JSON.parse(policy ?? '{}') as { Statement: Statement[] }).Statement;
}

async function keyPolicy(kms: KMSClient, keyId: string): Promise<Statement[]> {
  const { Policy } = await kms.send(
    new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }),
  );
  return statementsOf(Policy);
}

async function putKeyPolicy(kms: KMSClient, keyId: string, statements: Statement[]): Promise<void> {
  await kms.send(
    new PutKeyPolicyCommand({
      KeyId: keyId,
      PolicyName: 'default',
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    }),
  );
}

/** A role of this world with `policy`, and SDK clients signed as it. */
function roleWith(name: string, policy: PolicyDocument, accountId?: string): LocalClients {
  const { iam } = deployed.world.aws;
  const role = iam.createRole({
    name,
    accountId,
    assumeRolePolicy: { Version: '2012-10-17', Statement: [] },
  });
  iam.putRolePolicy(role.arn, 'policy', policy);
  return deployed.clientsAs(role.arn);
}

const everything: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

describe('the deployed stack', () => {
  it('deploys every resource of the template, authorized as CloudFormation', () => {
    const types = [...deployed.stack.deployed.resources.values()].map((r) => r.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'AWS::KMS::Key',
        'AWS::SecretsManager::Secret',
        'AWS::SecretsManager::RotationSchedule',
        'AWS::Lambda::Function',
        'AWS::Lambda::Permission',
        'AWS::Scheduler::Schedule',
        'AWS::CloudWatch::Alarm',
      ]),
    );
    expect(types.length).toBeGreaterThanOrEqual(50);
    // The schedules' configuration tests reached the function through its function policy.
    for (const arn of Object.values(deployed.stack.secretArns)) {
      expect(deployed.world.aws.rotationHistory(arn).at(-1)?.outcome).toBe('succeeded');
    }
  });

  it("lets CloudFormation set a secret's key only through the key-validation statement", async () => {
    const { stack } = deployed;
    const cloudformation = deployed.clientsAs(
      `arn:aws:iam::${deployed.world.aws.accountId}:role/cdk-hnb659fds-cfn-exec-role-${deployed.world.aws.accountId}-us-east-1`,
    );
    // Setting the key (by another of its names) makes Secrets Manager validate it as the caller.
    const setKey = (): Promise<unknown> =>
      cloudformation.secrets.send(
        new UpdateSecretCommand({
          SecretId: stack.secretArns[POLYTOMIC],
          KmsKeyId: stack.kmsAliasName,
        }),
      );
    await expect(setKey()).resolves.toBeDefined();

    const original = await keyPolicy(admin.kms, stack.kmsKeyArn);
    await putKeyPolicy(
      admin.kms,
      stack.kmsKeyArn,
      original.filter((s) => s.Sid !== 'AccountValidatesKeyThroughSecretsManager'),
    );
    try {
      await expect(
        cloudformation.secrets.send(
          new UpdateSecretCommand({
            SecretId: stack.secretArns[POLYTOMIC],
            KmsKeyId: stack.kmsKeyArn,
          }),
        ),
      ).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: 'Access to KMS is not allowed',
      });
      expect(denials.at(-1)).toMatch(/denied kms:Decrypt to .*cfn-exec-role.* on arn:aws:kms:/);
    } finally {
      await putKeyPolicy(admin.kms, stack.kmsKeyArn, original);
    }
  });

  it('notifies alarms on the topic, through the statement that lets CloudWatch publish', async () => {
    const { aws } = deployed.world;
    const alarm = aws.cloudwatch
      .alarms()
      .find((candidate) => candidate.name.includes(RotationMetric.RevocationFailed));
    if (alarm === undefined) throw new Error('no RevocationFailed alarm deployed');
    await aws.cloudwatch.putMetricData(
      METRICS_NAMESPACE,
      RotationMetric.RevocationFailed,
      { service: SERVICE_NAME },
      1,
    );
    await aws.cloudwatch.settled();
    expect(aws.cloudwatch.alarm(alarm.name)?.state).toBe('ALARM');
    expect(aws.cloudwatch.alarmHistory(alarm.name, 'Action')[0].historySummary).toMatch(
      /^Successfully executed action arn:aws:sns:/,
    );
    expect(aws.publishedMessages(deployed.stack.topicArn).map((m) => m.subject)).toContain(
      `ALARM: "${alarm.name}" in US East (N. Virginia)`,
    );

    // Without its statement, CloudWatch is refused, as enforceSSL's policy alone refuses it.
    const topicPolicy = aws.sns.topicPolicy(deployed.stack.topicArn) as { Statement: Statement[] };
    const without = topicPolicy.Statement.filter((s) => s.Sid !== 'CloudWatchAlarmsPublish');
    await aws.sns.handleAs(
      roleSession(deployed.stack.administratorRoleArn),
      new URLSearchParams({
        Action: 'SetTopicAttributes',
        TopicArn: deployed.stack.topicArn,
        AttributeName: 'Policy',
        AttributeValue: JSON.stringify({ ...topicPolicy, Statement: without }),
      }),
    );
    const other = aws.cloudwatch
      .alarms()
      .find((a) => a.name.includes(RotationMetric.ManualRevocationRequired));
    if (other === undefined) throw new Error('no ManualRevocationRequired alarm deployed');
    await aws.cloudwatch.putMetricData(
      METRICS_NAMESPACE,
      RotationMetric.ManualRevocationRequired,
      { service: SERVICE_NAME },
      1,
    );
    await aws.cloudwatch.settled();
    expect(aws.cloudwatch.alarmHistory(other.name, 'Action')[0].historySummary).toContain(
      'User: cloudwatch.amazonaws.com is not authorized to perform: SNS:Publish',
    );
  });

  it('lets no principal outside the readers read a value, even one allowed everything', async () => {
    const { stack } = deployed;
    const intruder = roleWith('intruder', everything);
    const read = (): Promise<unknown> =>
      intruder.secrets.send(new GetSecretValueCommand({ SecretId: stack.secretArns[POLYTOMIC] }));
    await expect(read()).rejects.toThrow('with an explicit deny in a resource-based policy');

    // Listed as a reader in the secret's policy, the key policy still refuses it…
    const { ResourcePolicy } = await admin.secrets.send(
      new GetResourcePolicyCommand({ SecretId: stack.secretArns[POLYTOMIC] }),
    );
    const intruderArn = `arn:aws:iam::${deployed.world.aws.accountId}:role/intruder`;
    const widened = statementsOf(ResourcePolicy).map((s) =>
      s.Sid === 'ReadersReadValue'
        ? {
            ...s,
            Principal: { AWS: [...((s.Principal as { AWS: string[] }).AWS ?? []), intruderArn] },
          }
        : {
            ...s,
            Condition: {
              StringNotEquals: {
                'aws:PrincipalArn': [
                  ...(s.Condition?.StringNotEquals['aws:PrincipalArn'] as string[]),
                  intruderArn,
                ],
              },
            },
          },
    );
    await admin.secrets.send(
      new PutResourcePolicyCommand({
        SecretId: stack.secretArns[POLYTOMIC],
        ResourcePolicy: JSON.stringify({ Version: '2012-10-17', Statement: widened }),
      }),
    );
    await expect(read()).rejects.toMatchObject({ message: 'Access to KMS is not allowed' });

    // …and only when the key policy names it too does the read go through.
    const original = await keyPolicy(admin.kms, stack.kmsKeyArn);
    const readerStatement = original.find(
      (s) => s.Sid === 'AuditFunctionDecryptsThroughSecretsManager',
    );
    if (readerStatement === undefined)
      throw new Error('no audit decrypt statement in the key policy');
    await putKeyPolicy(admin.kms, stack.kmsKeyArn, [
      ...original,
      { ...readerStatement, Sid: 'IntruderDecrypts', Principal: { AWS: intruderArn } },
    ]);
    await admin.secrets.send(
      new PutSecretValueCommand({
        SecretId: stack.secretArns[POLYTOMIC],
        SecretString: '{"provider":"polytomic"}',
      }),
    );
    await expect(read()).resolves.toMatchObject({ SecretString: '{"provider":"polytomic"}' });
    await putKeyPolicy(admin.kms, stack.kmsKeyArn, original);
  });

  it('gives the audit role no write and no partner key', async () => {
    const { stack } = deployed;
    const audit = deployed.clientsAs(stack.auditRoleArn);
    await expect(
      audit.secrets.send(
        new PutSecretValueCommand({
          SecretId: stack.secretArns['api-key-rotator/poelis/production'],
          SecretString: '{"provider":"poelis"}',
        }),
      ),
    ).rejects.toThrow(
      'because no identity-based policy allows the secretsmanager:PutSecretValue action',
    );
    await expect(
      audit.secrets.send(new GetSecretValueCommand({ SecretId: stack.partnerKeySecretArn })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    // The rotation role, which needs it, may read it: its AWSCURRENT, by naming that stage.
    const rotation = deployed.clientsAs(stack.rotationRoleArn);
    await expect(
      rotation.secrets.send(
        new GetSecretValueCommand({
          SecretId: stack.partnerKeySecretArn,
          VersionStage: 'AWSCURRENT',
        }),
      ),
    ).resolves.toMatchObject({ SecretString: '{"partnerKey":""}' });
    for (const stage of [undefined, 'AWSPREVIOUS', 'AWSPENDING']) {
      await expect(
        rotation.secrets.send(
          new GetSecretValueCommand({ SecretId: stack.partnerKeySecretArn, VersionStage: stage }),
        ),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    }
  });

  it('gives the rotation role no secret the stack does not manage', async () => {
    const created = await admin.secrets.send(
      new CreateSecretCommand({ Name: 'unmanaged/other-app', SecretString: '{"token":"x"}' }),
    );
    const rotation = deployed.clientsAs(deployed.stack.rotationRoleArn);
    await expect(
      rotation.secrets.send(new GetSecretValueCommand({ SecretId: created.ARN })),
    ).rejects.toThrow(
      'because no identity-based policy allows the secretsmanager:GetSecretValue action',
    );
    // The same call on a managed secret is allowed: the refusal is about the secret, not the call.
    await expect(
      rotation.secrets.send(
        new GetSecretValueCommand({ SecretId: deployed.stack.secretArns[POLYTOMIC] }),
      ),
    ).resolves.toBeDefined();
  });

  it('lets no other account invoke the rotation function, nor Secrets Manager for another secret', async () => {
    const { aws } = deployed.world;
    const { stack } = deployed;
    const strangerRole = `arn:aws:iam::${STRANGER_ACCOUNT}:role/stranger`;
    roleWith('stranger', everything, STRANGER_ACCOUNT);
    const event = {
      Step: 'testSecret',
      SecretId: stack.secretArns[POLYTOMIC],
      ClientRequestToken: 'x'.repeat(32),
    };
    await expect(
      aws.lambda.invoke(stack.rotationFunctionArn, event, { principal: roleSession(strangerRole) }),
    ).rejects.toThrow('because no resource-based policy allows the lambda:InvokeFunction action');
    await expect(
      aws.lambda.invoke(stack.rotationFunctionArn, event, {
        principal: { kind: 'service', service: 'secretsmanager.amazonaws.com' },
        sourceArn: `arn:aws:secretsmanager:us-east-1:${aws.accountId}:secret:unmanaged/other-app-AbCdEf`,
        sourceAccount: aws.accountId,
      }),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });

    // A permission for that account is what it would take.
    const functionName = stack.rotationFunctionArn.split(':').at(-1) ?? '';
    aws.lambda.addPermission({
      functionName,
      statementId: 'LoosenedForTheTest',
      action: 'lambda:InvokeFunction',
      principal: STRANGER_ACCOUNT,
    });
    try {
      const result = await aws.lambda.invoke(stack.rotationFunctionArn, event, {
        principal: roleSession(strangerRole),
      });
      expect(result).toHaveProperty('ok');
    } finally {
      aws.lambda.removePermission(functionName, 'LoosenedForTheTest');
    }
  });
});
