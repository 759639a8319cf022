import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SnsNotifier } from '../../lambda/aws/notifications';
import { SecretsStore, SecretVersionMissingError } from '../../lambda/aws/secrets';
import { FakeSecretsManager } from './support/fake-secrets-manager';

describe('SnsNotifier', () => {
  it('publishes to the topic with a subject SNS accepts', async () => {
    const sent: PublishCommand[] = [];
    const sns = {
      send: (command: PublishCommand) => {
        sent.push(command);
        return Promise.resolve({ MessageId: 'm-1' });
      },
    } as unknown as Pick<SNSClient, 'send'>;
    await new SnsNotifier(sns, 'arn:aws:sns:us-east-1:123456789012:rotator').notify(
      's'.repeat(150),
      'body',
    );

    expect(sent[0]).toBeInstanceOf(PublishCommand);
    expect(sent[0].input).toEqual({
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:rotator',
      // At most 100 characters, the cut marked.
      Subject: `${'s'.repeat(97)}...`,
      Message: 'body',
    });
  });
});

describe('SecretsStore', () => {
  const sm = new FakeSecretsManager();
  const store = new SecretsStore(sm.client);
  const arn = sm.addSecret('app', '{"a":1}');

  it('reads versions by label or id, and tells a missing value apart', async () => {
    const currentId = sm.versionIdOf(arn, 'AWSCURRENT')!;
    await expect(store.getValue(arn, { versionStage: 'AWSCURRENT' })).resolves.toBe('{"a":1}');
    await expect(store.getValue(arn, { versionId: currentId })).resolves.toBe('{"a":1}');
    await expect(store.findValue(arn, { versionStage: 'STAGED' })).resolves.toBeUndefined();
    await expect(store.getValue(arn, { versionStage: 'STAGED' })).rejects.toThrow(
      SecretVersionMissingError,
    );
    await expect(store.getValue(arn, { versionStage: 'STAGED' })).rejects.toThrow(
      /no value for label STAGED/,
    );
  });

  it('lets other errors through', async () => {
    sm.failNext(
      'GetSecretValueCommand',
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
    );
    await expect(store.findValue(arn, { versionStage: 'AWSCURRENT' })).rejects.toThrow('denied');
  });

  it('describes rotation state, key and stages', async () => {
    const calls = sm.calls.length;
    await expect(store.describe(arn)).resolves.toStrictEqual({
      arn,
      name: arn,
      rotationEnabled: true,
      kmsKeyId: undefined,
      rotationLambdaArn: undefined,
      rotationRules: undefined,
      nextRotationAt: undefined,
      lastRotatedAt: undefined,
      tags: {},
      versions: [
        {
          versionId: sm.versionIdOf(arn, 'AWSCURRENT')!,
          stages: ['AWSCURRENT'],
          createdAt: undefined,
        },
      ],
    });
    // Read before every rotation step: DescribeSecret alone.
    expect(sm.calls.slice(calls).map((call) => call.command)).toEqual(['DescribeSecretCommand']);
  });
});
