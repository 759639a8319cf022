import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/** Tells operators something needs a human: a Poelis key to revoke, a failed revocation. */
export interface Notifier {
  notify(subject: string, message: string): Promise<void>;
}

/** Publishes to ROTATOR_NOTIFY_TOPIC_ARN. Messages name keys by fingerprint only. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: Pick<SNSClient, 'send'>,
    private readonly topicArn: string,
  ) {}

  async notify(subject: string, message: string): Promise<void> {
    // SNS caps subjects at 100 characters.
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject.slice(0, 100),
        Message: message,
      }),
    );
  }
}

/** Used when no topic is configured: the log line and the metric are the report. */
export const silentNotifier: Notifier = { notify: () => Promise.resolve() };
