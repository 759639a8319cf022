import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { Authorizer, type PolicyDocument, type Principal } from '../../../local/aws/authorization';
import { AwsError, isAwsError } from '../../../local/aws/errors';
import { IamService } from '../../../local/aws/iam';
import { LambdaRunner } from '../../../local/aws/lambda-runner';
import { LambdaService, emptyLambdaState } from '../../../local/aws/lambda-service';
import { accessKeyIdOf, readBody, sendXml } from '../../../local/aws/protocol';
import { SnsService, snsErrorXml, type SnsState } from '../../../local/aws/sns';
import { ManualClock } from '../../../local/aws/types';
import { rejection } from './helpers';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const OTHER_ACCOUNT = '999999999999';
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ALARM_ARN = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:rotation-failed`;
const CLOUDWATCH: Principal = { kind: 'service', service: 'cloudwatch.amazonaws.com' };
const ALARM_CONTEXT = { 'aws:SourceArn': ALARM_ARN, 'aws:SourceAccount': ACCOUNT };

const roleArn = (name: string, account = ACCOUNT): string => `arn:aws:iam::${account}:role/${name}`;

function document(...statements: Record<string, unknown>[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** A key policy the KMS side would hold: the account's IAM policies decide, plus extra statements. */
let keyStatements: Record<string, unknown>[];
function keyPolicy(): PolicyDocument {
  return document(
    {
      Sid: 'EnableIamPolicies',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
    ...keyStatements,
  );
}

let iam: IamService;
let authorizer: Authorizer;
let runner: LambdaRunner;
let lambda: LambdaService;
let state: SnsState;
let sns: SnsService;
let deliveries: { topicArn: string; delivered: boolean }[];
let server: Server;
let endpoint: string;
const clients: SNSClient[] = [];

beforeEach(async () => {
  keyStatements = [];
  deliveries = [];
  iam = new IamService({ roles: [], accessKeys: [] }, ACCOUNT);
  authorizer = new Authorizer(iam);
  runner = new LambdaRunner({ region: REGION, accountId: ACCOUNT });
  lambda = new LambdaService({
    state: emptyLambdaState(),
    region: REGION,
    accountId: ACCOUNT,
    runner,
    iam,
    authorizer,
  });
  state = { topics: [], messages: [] };
  sns = new SnsService(state, REGION, ACCOUNT, new ManualClock(Date.UTC(2026, 0, 31, 12)), {
    authorizer,
    // The world wires delivery to Lambda's asynchronous Invoke as sns.amazonaws.com.
    deliver: (functionArn, event, { sourceArn }) =>
      lambda.invokeEvent(functionArn, event, {
        principal: { kind: 'service', service: 'sns.amazonaws.com' },
        sourceArn,
        sourceAccount: ACCOUNT,
      }),
    onDelivery: (topicArn, delivered) => deliveries.push({ topicArn, delivered }),
    // A stand-in for the KMS side: the key policy above, evaluated by the same authorizer.
    checkKeyUse: async (principal, keyId, action, context) => {
      if (keyId !== KEY_ARN)
        throw new AwsError('NotFoundException', `Key '${keyId}' does not exist`);
      await authorizer.authorize({
        principal,
        action,
        resource: KEY_ARN,
        resourcePolicy: keyPolicy(),
        context,
      });
    },
  });
  // The emulator's HTTP path: the SigV4 access key id names the caller, SNS authorizes it.
  server = createServer((request, response) => {
    void (async () => {
      try {
        const params = new URLSearchParams((await readBody(request, 1 << 20)).toString('utf8'));
        const principal = iam.principalOf(accessKeyIdOf(request));
        if (principal === undefined) throw new AwsError('InvalidClientTokenId', 'Unknown key', 403);
        sendXml(response, await sns.handleAs(principal, params));
      } catch (error) {
        const failure = isAwsError(error)
          ? error
          : new AwsError('InternalError', String(error), 500);
        sendXml(response, snsErrorXml(failure), failure.statusCode);
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  server.close();
  await runner.close();
});

/** A role (trusted by EC2) with the given identity policy statements. */
function createRole(name: string, statements: Record<string, unknown>[], account = ACCOUNT): void {
  iam.createRole({
    name,
    accountId: account,
    assumeRolePolicy: document({
      Effect: 'Allow',
      Principal: { Service: 'ec2.amazonaws.com' },
      Action: 'sts:AssumeRole',
    }),
  });
  if (statements.length > 0)
    iam.putRolePolicy(roleArn(name, account), 'inline', document(...statements));
}

/** A real SNS client signed with a session of the role. */
function clientFor(name: string, account = ACCOUNT): SNSClient {
  const credentials = iam.issueCredentials(roleArn(name, account), `${name}-session`);
  const client = new SNSClient({ endpoint, region: REGION, credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
}

async function createTopic(name: string, attributes?: Record<string, string>): Promise<string> {
  createRole('admin', [{ Effect: 'Allow', Action: '*', Resource: '*' }]);
  const { TopicArn } = await clientFor('admin').send(
    new CreateTopicCommand({ Name: name, Attributes: attributes }),
  );
  if (TopicArn === undefined) throw new Error('no TopicArn');
  return TopicArn;
}

describe('topic attributes', () => {
  test('a topic without a policy has the default policy; attributes are set and read over the query protocol', async () => {
    const topicArn = await createTopic('rotation-events', {
      DisplayName: 'Rotations',
      KmsMasterKeyId: KEY_ARN,
    });
    const admin = clientFor('admin');
    const { Attributes } = await admin.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    expect(Attributes).toMatchObject({
      TopicArn: topicArn,
      Owner: ACCOUNT,
      DisplayName: 'Rotations',
      KmsMasterKeyId: KEY_ARN,
      SubscriptionsConfirmed: '0',
    });
    expect(JSON.parse(Attributes?.Policy ?? '')).toEqual({
      Version: '2008-10-17',
      Id: '__default_policy_ID',
      Statement: [
        {
          Sid: '__default_statement_ID',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: [
            'SNS:GetTopicAttributes',
            'SNS:SetTopicAttributes',
            'SNS:AddPermission',
            'SNS:RemovePermission',
            'SNS:DeleteTopic',
            'SNS:Subscribe',
            'SNS:ListSubscriptionsByTopic',
            'SNS:Publish',
          ],
          Resource: topicArn,
          Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT } },
        },
      ],
    });
    await admin.send(
      new SetTopicAttributesCommand({
        TopicArn: topicArn,
        AttributeName: 'KmsMasterKeyId',
        AttributeValue: '',
      }),
    );
    const after = await admin.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    expect(after.Attributes?.KmsMasterKeyId).toBeUndefined();
    expect(
      (
        await rejection(
          admin.send(
            new SetTopicAttributesCommand({
              TopicArn: topicArn,
              AttributeName: 'Policy',
              AttributeValue: 'not json',
            }),
          ),
        )
      ).name,
    ).toBe('InvalidParameterException');
    expect(
      (
        await rejection(
          admin.send(
            new CreateTopicCommand({ Name: 'rotation-events', Attributes: { DisplayName: 'x' } }),
          ),
        )
      ).name,
    ).toBe('InvalidParameterException');
  });

  test('CreateTopic needs sns:CreateTopic in an identity policy', async () => {
    createRole('creator', []);
    const creating = (): Promise<unknown> =>
      clientFor('creator').send(new CreateTopicCommand({ Name: 'alarms' }));
    const denied = await rejection(creating());
    expect(denied.name).toBe('AuthorizationErrorException');
    expect(denied.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/creator/creator-session is not authorized to perform: SNS:CreateTopic on resource: arn:aws:sns:${REGION}:${ACCOUNT}:alarms because no identity-based policy allows the SNS:CreateTopic action`,
    );
    expect(
      (denied as Error & { $metadata: { httpStatusCode?: number } }).$metadata.httpStatusCode,
    ).toBe(403);
    iam.putRolePolicy(
      roleArn('creator'),
      'create',
      document({ Effect: 'Allow', Action: 'sns:CreateTopic', Resource: '*' }),
    );
    await expect(creating()).resolves.toMatchObject({
      TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:alarms`,
    });
  });
});

describe('Publish', () => {
  test('under the default policy, roles of the owner account may publish and other accounts may not', async () => {
    const topicArn = await createTopic('rotation-events');
    createRole('app', []);
    createRole(
      'outsider',
      [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }],
      OTHER_ACCOUNT,
    );
    await expect(
      clientFor('app').send(new PublishCommand({ TopicArn: topicArn, Message: 'hi' })),
    ).resolves.toHaveProperty('MessageId');
    const denied = await rejection(
      clientFor('outsider', OTHER_ACCOUNT).send(
        new PublishCommand({ TopicArn: topicArn, Message: 'hi' }),
      ),
    );
    expect(denied.name).toBe('AuthorizationErrorException');
    expect(denied.message).toContain(
      `User: arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/outsider/outsider-session is not authorized to perform: SNS:Publish on resource: ${topicArn}`,
    );
  });

  test('a role is allowed by its identity policy when the topic policy does not name it', async () => {
    const topicArn = await createTopic('rotation-events', {
      Policy: JSON.stringify(
        document({
          Sid: 'OnlyCloudWatch',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: '*',
        }),
      ),
    });
    createRole('publisher', []);
    const publisher = clientFor('publisher');
    const publish = (): Promise<unknown> =>
      publisher.send(new PublishCommand({ TopicArn: topicArn, Subject: 'Rotated', Message: 'ok' }));

    const denied = await rejection(publish());
    expect(denied.name).toBe('AuthorizationErrorException');
    iam.putRolePolicy(
      roleArn('publisher'),
      'publish',
      document({ Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn }),
    );
    await expect(publish()).resolves.toHaveProperty('MessageId');
    expect(sns.messages(topicArn)).toEqual([
      { topicArn, subject: 'Rotated', message: 'ok', at: '2026-01-31T12:00:00.000Z' },
    ]);
  });

  test('CloudWatch may publish until a replacing topic policy leaves it out, and again once a statement names it', async () => {
    const topicArn = await createTopic('alarms');
    const alarm = (): Promise<string> =>
      sns.publishAs(CLOUDWATCH, { topicArn, subject: 'ALARM', message: '{}' }, ALARM_CONTEXT);
    await expect(alarm()).resolves.toMatch(/^[0-9a-f-]{36}$/);

    const ownerOnly = {
      Sid: 'OwnerOnly',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'sns:Publish',
      Resource: topicArn,
    };
    const admin = clientFor('admin');
    const setPolicy = (...statements: Record<string, unknown>[]): Promise<unknown> =>
      admin.send(
        new SetTopicAttributesCommand({
          TopicArn: topicArn,
          AttributeName: 'Policy',
          AttributeValue: JSON.stringify(document(...statements)),
        }),
      );
    await setPolicy(ownerOnly);
    const denied = await rejection(alarm());
    expect([denied.name, (denied as AwsError).statusCode, denied.message]).toEqual([
      'AuthorizationError',
      403,
      `User: cloudwatch.amazonaws.com is not authorized to perform: SNS:Publish on resource: ${topicArn} because no resource-based policy allows the SNS:Publish action`,
    ]);

    const cloudWatchAlarms = {
      Sid: 'CloudWatchAlarms',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topicArn,
      Condition: {
        ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*` },
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
      },
    };
    await setPolicy(ownerOnly, cloudWatchAlarms);
    await expect(alarm()).resolves.toMatch(/^[0-9a-f-]{36}$/);
    // The statement is for this account's alarms only.
    await expect(
      sns.publishAs(
        CLOUDWATCH,
        { topicArn, message: '{}' },
        {
          'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${OTHER_ACCOUNT}:alarm:x`,
          'aws:SourceAccount': OTHER_ACCOUNT,
        },
      ),
    ).rejects.toMatchObject({ type: 'AuthorizationError' });
  });

  test('an encrypted topic needs the publisher to be allowed to use its key', async () => {
    const topicArn = await createTopic('encrypted', { KmsMasterKeyId: KEY_ARN });
    createRole('publisher', [{ Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn }]);
    const publisher = clientFor('publisher');
    const publish = (): Promise<unknown> =>
      publisher.send(new PublishCommand({ TopicArn: topicArn, Message: 'secret' }));

    const denied = await rejection(publish());
    expect(denied.name).toBe('KMSAccessDeniedException');
    expect(denied.message).toContain(
      `is not authorized to perform: kms:GenerateDataKey on resource: ${KEY_ARN}`,
    );
    expect(sns.messages(topicArn)).toEqual([]);

    iam.putRolePolicy(
      roleArn('publisher'),
      'key',
      document({
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        Resource: KEY_ARN,
      }),
    );
    await expect(publish()).resolves.toHaveProperty('MessageId');
  });

  test('CloudWatch publishing to an encrypted topic needs the key policy to name it', async () => {
    const topicArn = await createTopic('encrypted-alarms', { KmsMasterKeyId: KEY_ARN });
    const alarm = (): Promise<string> =>
      sns.publishAs(CLOUDWATCH, { topicArn, message: '{}' }, ALARM_CONTEXT);
    await expect(alarm()).rejects.toMatchObject({ type: 'KMSAccessDenied' });
    keyStatements.push({
      Sid: 'CloudWatchAlarmsUseTheKey',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Resource: '*',
    });
    await expect(alarm()).resolves.toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('lambda subscriptions', () => {
  test('a publish is delivered to the function with the documented SNS event, once the function policy allows SNS', async () => {
    const topicArn = await createTopic('continuations');
    const received: unknown[] = [];
    iam.createRole({
      name: 'audit-function',
      assumeRolePolicy: document({
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: 'sts:AssumeRole',
      }),
    });
    const { arn: functionArn } = await lambda.createFunction({
      name: 'audit',
      roleArn: roleArn('audit-function'),
      handler: (event) => {
        received.push(event);
        return Promise.resolve(null);
      },
    });
    const admin = clientFor('admin');
    const { SubscriptionArn } = await admin.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'lambda', Endpoint: functionArn }),
    );
    expect(SubscriptionArn).toMatch(new RegExp(`^${topicArn}:[0-9a-f-]{36}$`));
    const publish = (message: string): Promise<unknown> =>
      admin.send(new PublishCommand({ TopicArn: topicArn, Subject: 'Continue', Message: message }));

    // No function policy statement for sns.amazonaws.com: SNS cannot deliver.
    await publish('first');
    await sns.waitForDeliveries();
    expect(received).toEqual([]);
    expect(deliveries).toEqual([{ topicArn, delivered: false }]);
    expect(sns.deliveries(topicArn)[0]).toMatchObject({ errorType: 'AccessDeniedException' });

    lambda.addPermission({
      functionName: 'audit',
      statementId: 'sns',
      action: 'lambda:InvokeFunction',
      principal: 'sns.amazonaws.com',
      sourceArn: topicArn,
    });
    const { MessageId } = (await publish('{"cursor":"abc"}')) as { MessageId: string };
    await sns.waitForDeliveries();
    expect(deliveries).toEqual([
      { topicArn, delivered: false },
      { topicArn, delivered: true },
    ]);
    expect(received).toEqual([
      {
        Records: [
          {
            EventSource: 'aws:sns',
            EventVersion: '1.0',
            EventSubscriptionArn: SubscriptionArn,
            Sns: {
              Type: 'Notification',
              MessageId,
              TopicArn: topicArn,
              Subject: 'Continue',
              Message: '{"cursor":"abc"}',
              Timestamp: '2026-01-31T12:00:00.000Z',
              SignatureVersion: '1',
              Signature: expect.any(String) as unknown,
              SigningCertUrl: expect.stringMatching(
                /^https:\/\/sns\.us-east-1\.amazonaws\.com\/SimpleNotificationService-[0-9a-f]+\.pem$/,
              ) as unknown,
              UnsubscribeUrl: `https://sns.${REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${SubscriptionArn}`,
              MessageAttributes: {},
            },
          },
        ],
      },
    ]);
  });
});
