/** The SNS topic the rotation function tells operators through (belongs in local/scenarios.ts). */
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { localAwsConfig } from '../local/scenarios';
import type { LocalWorld } from '../local/world';

/** Creates the topic in the local world's emulator, as the stack does; returns its ARN. */
export async function createNotificationTopic(
  world: LocalWorld,
  name = 'api-key-rotator-notices',
): Promise<string> {
  const sns = new SNSClient(localAwsConfig(world));
  try {
    const created = await sns.send(new CreateTopicCommand({ Name: name }));
    if (created.TopicArn === undefined) throw new Error('CreateTopic returned no topic ARN');
    return created.TopicArn;
  } finally {
    sns.destroy();
  }
}
