import { randomUUID } from 'node:crypto';
import type { Clock } from './types';
import { AwsError } from './errors';

export interface SnsTopicState {
  arn: string;
  name: string;
}

export interface PublishedMessage {
  topicArn: string;
  subject?: string;
  message: string;
  at: string;
}

export interface SnsState {
  topics: SnsTopicState[];
  messages: (PublishedMessage & { messageId: string })[];
}

const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_MESSAGE_BYTES = 256 * 1024;

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (char) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[char]};`,
  );
}

/** An SNS query-protocol error, as the SDK's AwsQueryProtocol parses it. */
export function snsErrorXml(error: AwsError): string {
  const type = error.statusCode >= 500 ? 'Receiver' : 'Sender';
  return `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(error.type)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

function resultXml(action: string, body: string): string {
  return `<${action}Response xmlns="${NAMESPACE}"><${action}Result>${body}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
}

/** SNS topics and the messages published to them; nothing is delivered. */
export class SnsService {
  constructor(
    private readonly state: SnsState,
    private readonly region: string,
    private readonly accountId: string,
    private readonly clock: Clock,
  ) {}

  /** Runs one query-protocol action and returns its XML response. */
  handle(params: URLSearchParams): string {
    const action = params.get('Action') ?? '';
    switch (action) {
      case 'CreateTopic':
        return resultXml(
          action,
          `<TopicArn>${escapeXml(this.createTopic(params.get('Name') ?? ''))}</TopicArn>`,
        );
      case 'Publish':
        return resultXml(action, `<MessageId>${this.publish(params)}</MessageId>`);
      default:
        throw new AwsError(
          'InvalidAction',
          `The action ${action} is not valid for this web service.`,
        );
    }
  }

  private createTopic(name: string): string {
    if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name)) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Topic Name');
    }
    const arn = `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
    if (!this.state.topics.some((topic) => topic.arn === arn))
      this.state.topics.push({ arn, name });
    return arn;
  }

  private publish(params: URLSearchParams): string {
    const topicArn = params.get('TopicArn') ?? params.get('TargetArn');
    const message = params.get('Message');
    if (!topicArn)
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    if (!message) throw new AwsError('InvalidParameter', 'Invalid parameter: Empty message');
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Message too long');
    }
    if (!this.state.topics.some((topic) => topic.arn === topicArn)) {
      throw new AwsError('NotFound', 'Topic does not exist', 404);
    }
    const messageId = randomUUID();
    const subject = params.get('Subject') ?? undefined;
    this.state.messages.push({
      messageId,
      topicArn,
      subject,
      message,
      at: new Date(this.clock.now()).toISOString(),
    });
    return messageId;
  }

  messages(topicArn?: string): PublishedMessage[] {
    return this.state.messages
      .filter((message) => topicArn === undefined || message.topicArn === topicArn)
      .map(({ topicArn: arn, subject, message, at }) => ({ topicArn: arn, subject, message, at }));
  }
}
