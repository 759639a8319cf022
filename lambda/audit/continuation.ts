import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AuditEventPayload } from './event';

/** Gets a run that ran out of time going again from where it stopped. */
export interface ContinuationSink {
  continueWith(payload: AuditEventPayload): Promise<void>;
}

/**
 * Posts the cursor to ROTATOR_AUDIT_CONTINUATION_TOPIC_ARN, a topic the audit function is
 * subscribed to: SNS invokes the function again with the payload as the message. Lambda's
 * recursive-loop detection stops such a chain after about 16 hops; the handler stops at
 * MAX_HOPS first.
 */
export class SnsContinuation implements ContinuationSink {
  constructor(
    private readonly sns: Pick<SNSClient, 'send'>,
    private readonly topicArn: string,
  ) {}

  async continueWith(payload: AuditEventPayload): Promise<void> {
    await this.sns.send(
      new PublishCommand({ TopicArn: this.topicArn, Message: JSON.stringify(payload) }),
    );
  }
}
