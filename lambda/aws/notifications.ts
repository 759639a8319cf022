import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { snsSubject } from '../shared/printable';

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
    // SNS refuses a subject that is not short, single-line ASCII: the message would be lost.
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: snsSubject(subject),
        Message: message,
      }),
    );
  }
}

/** Used when no topic is configured: the log line and the metric are the report. */
export const silentNotifier: Notifier = { notify: () => Promise.resolve() };
