import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { request } from 'node:http';
import { startAwsEmulator, type AwsEmulator } from '../../../local/aws';
import {
  API_BEHAVIOUR_SUITE,
  clientsFor,
  errorName,
  rejection,
  RecordingInvoker,
  type Clients,
} from './helpers';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP call, for what the SDK would never send. */
function rawCall(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer,
  method = 'POST',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method, headers: { ...headers, connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const amzJson = (target: string): Record<string, string> => ({
  'content-type': 'application/x-amz-json-1.1',
  'x-amz-target': target,
});

describe('AWS emulator: protocol, access rules, SNS and admin views', () => {
  let emulator: AwsEmulator;
  let clients: Clients;
  const invoker = new RecordingInvoker();

  beforeAll(async () => {
    emulator = await startAwsEmulator({
      maxBodyBytes: 128 * 1024,
      invoker,
      administratorForUnknownKeys: API_BEHAVIOUR_SUITE,
    });
    clients = clientsFor(emulator);
  });
  afterAll(async () => {
    clients.destroy();
    await emulator.close();
  });

  describe('malformed requests get AWS-shaped errors', () => {
    const expectError = (response: RawResponse, type: string, status = 400): void => {
      expect(response.status).toBe(status);
      expect(response.headers['x-amzn-errortype']).toBe(type);
      const body = JSON.parse(response.body) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['__type', 'message']);
      expect(body.__type).toBe(type);
      expect(typeof body.message).toBe('string');
    };

    it('malformed JSON is SerializationException', async () => {
      expectError(
        await rawCall(emulator.url, '/', amzJson('secretsmanager.GetSecretValue'), '{"SecretId": '),
        'SerializationException',
      );
    });

    it('a JSON body that is not an object is SerializationException', async () => {
      expectError(
        await rawCall(emulator.url, '/', amzJson('secretsmanager.GetSecretValue'), '[1,2]'),
        'SerializationException',
      );
    });

    it('a field of the wrong type is SerializationException', async () => {
      expectError(
        await rawCall(
          emulator.url,
          '/',
          amzJson('secretsmanager.GetSecretValue'),
          '{"SecretId": 42}',
        ),
        'SerializationException',
      );
      expectError(
        await rawCall(
          emulator.url,
          '/',
          amzJson('TrentService.Encrypt'),
          '{"KeyId":"k","Plaintext":"***"}',
        ),
        'SerializationException',
      );
    });

    it('a missing required field is ValidationException naming the member', async () => {
      const response = await rawCall(
        emulator.url,
        '/',
        amzJson('secretsmanager.GetSecretValue'),
        '{}',
      );
      expectError(response, 'ValidationException');
      expect((JSON.parse(response.body) as { message: string }).message).toBe(
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
      );
    });

    it('unknown targets and services are UnknownOperationException', async () => {
      expectError(
        await rawCall(emulator.url, '/', amzJson('secretsmanager.StealSecret'), '{}'),
        'UnknownOperationException',
      );
      expectError(
        await rawCall(emulator.url, '/', amzJson('secretsmanager.constructor'), '{}'),
        'UnknownOperationException',
      );
      expectError(
        await rawCall(emulator.url, '/', amzJson('DynamoDB_20120810.GetItem'), '{}'),
        'UnknownOperationException',
      );
      expectError(
        await rawCall(emulator.url, '/', { 'content-type': 'application/json' }, '{}'),
        'UnknownOperationException',
      );
    });

    it('an oversized body is refused and the server keeps serving', async () => {
      const big = JSON.stringify({ SecretId: 'x', SecretString: 'a'.repeat(200 * 1024) });
      expectError(
        await rawCall(emulator.url, '/', amzJson('secretsmanager.PutSecretValue'), big),
        'ValidationException',
        413,
      );
      expect(
        await errorName(clients.sm.send(new GetSecretValueCommand({ SecretId: 'still-alive' }))),
      ).toBe('ResourceNotFoundException');
    });

    it('a secret value never appears in an error message', async () => {
      const secret = 'sk_live_do_not_echo_me';
      const response = await rawCall(
        emulator.url,
        '/',
        amzJson('secretsmanager.CreateSecret'),
        JSON.stringify({ Name: 'x', SecretString: secret.repeat(4000) }),
      );
      expectError(response, 'ValidationException');
      expect(response.body).not.toContain(secret);
    });
  });

  describe('access rules', () => {
    afterEach(() => emulator.clearAccessRules());

    it('denies matching calls with AccessDeniedException, by action, access key and secret', async () => {
      const { ARN } = await clients.sm.send(
        new CreateSecretCommand({ Name: 'guarded', SecretString: 'v' }),
      );
      const other = clientsFor(emulator, 'AKIAOTHER');
      try {
        emulator.denyAccess({
          action: 'secretsmanager:GetSecretValue',
          accessKeyId: 'AKIAOTHER',
          secretId: 'guarded',
        });
        const denied = await rejection(other.sm.send(new GetSecretValueCommand({ SecretId: ARN })));
        expect(denied.name).toBe('AccessDeniedException');
        expect(denied.message).toBe(
          `User: arn:aws:iam::000000000000:user/AKIAOTHER is not authorized to perform: secretsmanager:GetSecretValue on resource: ${ARN} with an explicit deny in an identity-based policy`,
        );
        expect(
          (await clients.sm.send(new GetSecretValueCommand({ SecretId: 'guarded' }))).SecretString,
        ).toBe('v');
        emulator.denyAccess({ action: 'kms:*' });
        expect(
          await errorName(
            clients.kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' })),
          ),
        ).toBe('AccessDeniedException');
        emulator.clearAccessRules();
        expect(
          (await other.sm.send(new GetSecretValueCommand({ SecretId: 'guarded' }))).SecretString,
        ).toBe('v');
      } finally {
        other.destroy();
      }
    });
  });

  describe('SNS (query protocol)', () => {
    it('creates topics, stores published messages, and refuses an unknown topic with NotFoundException', async () => {
      const { TopicArn } = await clients.sns.send(
        new CreateTopicCommand({ Name: 'rotation-events' }),
      );
      expect(TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:rotation-events');
      const published = await clients.sns.send(
        new PublishCommand({ TopicArn, Subject: 'Rotated', Message: 'key <abc> & more' }),
      );
      expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);
      const [stored, ...others] = emulator.publishedMessages(TopicArn);
      expect(others).toHaveLength(0);
      expect(stored).toMatchObject({
        topicArn: TopicArn,
        subject: 'Rotated',
        message: 'key <abc> & more',
      });
      expect(Number.isNaN(Date.parse(stored.at))).toBe(false);
      const missing = clients.sns.send(
        new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:nope', Message: 'x' }),
      );
      expect(await errorName(missing)).toBe('NotFoundException');
      expect(await errorName(clients.sns.send(new CreateTopicCommand({ Name: 'bad name' })))).toBe(
        'InvalidParameterException',
      );
    });
  });

  describe('call counts and the HTTP admin views', () => {
    it('counts calls by target and serves calls, rotations, messages and run-due-rotations over HTTP', async () => {
      emulator.resetCalls();
      await clients.sm.send(new CreateSecretCommand({ Name: 'admin', SecretString: 'v' }));
      await clients.sm.send(new GetSecretValueCommand({ SecretId: 'admin' }));
      await clients.kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' }));
      await clients.sns.send(new CreateTopicCommand({ Name: 'admin-topic' }));
      expect(emulator.calls()).toEqual({
        'secretsmanager.CreateSecret': 1,
        'secretsmanager.GetSecretValue': 1,
        'TrentService.DescribeKey': 1,
        'sns.CreateTopic': 1,
      });
      const calls = await rawCall(emulator.url, '/_emulator/calls', {}, '', 'GET');
      expect(JSON.parse(calls.body)).toEqual(emulator.calls());

      await clients.sm.send(
        new RotateSecretCommand({
          SecretId: 'admin',
          RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:f',
        }),
      );
      await emulator.waitForRotations();
      const rotations = JSON.parse(
        (await rawCall(emulator.url, '/_emulator/rotations?secretId=admin', {}, '', 'GET')).body,
      ) as unknown[];
      expect(rotations).toEqual(emulator.rotationHistory('admin'));
      expect(rotations).toHaveLength(1);

      const messages = JSON.parse(
        (await rawCall(emulator.url, '/_emulator/messages', {}, '', 'GET')).body,
      ) as unknown[];
      expect(messages).toEqual(emulator.publishedMessages());
      const due = await rawCall(emulator.url, '/_emulator/run-due-rotations', {}, '');
      expect(JSON.parse(due.body)).toEqual({ started: 0 });
      expect((await rawCall(emulator.url, '/_emulator/nothing', {}, '', 'GET')).status).toBe(404);
    });
  });
});
