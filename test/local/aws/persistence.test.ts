import { CreateKeyCommand, DescribeKeyCommand } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAwsEmulator } from '../../../local/aws';
import { API_BEHAVIOUR_SUITE, clientsFor } from './helpers';

describe('AWS emulator: persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aws-emulator-'));
  const statePath = join(dir, 'state.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reloads secrets, keys and messages from statePath after a restart, without plaintext values in the file', async () => {
    const first = await startAwsEmulator({
      statePath,
      administratorForUnknownKeys: API_BEHAVIOUR_SUITE,
    });
    const firstClients = clientsFor(first);
    const { KeyMetadata } = await firstClients.kms.send(new CreateKeyCommand({}));
    const { ARN } = await firstClients.sm.send(
      new CreateSecretCommand({
        Name: 'kept',
        KmsKeyId: KeyMetadata?.KeyId,
        SecretString: 'persisted-value',
      }),
    );
    const { TopicArn } = await firstClients.sns.send(
      new CreateTopicCommand({ Name: 'kept-topic' }),
    );
    await firstClients.sns.send(new PublishCommand({ TopicArn, Message: 'hello' }));
    firstClients.destroy();
    await first.close();
    expect(readFileSync(statePath, 'utf8')).not.toContain('persisted-value');

    const second = await startAwsEmulator({
      statePath,
      administratorForUnknownKeys: API_BEHAVIOUR_SUITE,
    });
    const secondClients = clientsFor(second);
    try {
      expect(
        (await secondClients.sm.send(new DescribeSecretCommand({ SecretId: 'kept' }))).ARN,
      ).toBe(ARN);
      expect(
        (await secondClients.sm.send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString,
      ).toBe('persisted-value');
      expect(
        (await secondClients.kms.send(new DescribeKeyCommand({ KeyId: KeyMetadata?.KeyId })))
          .KeyMetadata?.KeyState,
      ).toBe('Enabled');
      expect(second.publishedMessages(TopicArn).map((message) => message.message)).toEqual([
        'hello',
      ]);
    } finally {
      secondClients.destroy();
      await second.close();
    }
  });
});
