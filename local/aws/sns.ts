/**
 * SNS for the local world: topics with attributes (access policy, encryption key, display name),
 * lambda subscriptions with asynchronous delivery, and authorization of every call as SNS
 * performs it (the caller's identity policies together with the topic's access policy).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, InvokeResult } from './types';
import { AwsError } from './errors';
import type { Authorizer, PolicyDocument, Principal } from './authorization';

export interface SnsTopicState {
  arn: string;
  name: string;
  /**
   * Attributes set by CreateTopic or SetTopicAttributes (DisplayName, KmsMasterKeyId, Policy, …).
   * Without `Policy`, the topic has SNS's default access policy.
   */
  attributes?: Record<string, string>;
}

export interface SnsSubscriptionState {
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
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
  /** Absent in state files written before subscriptions existed. */
  subscriptions?: SnsSubscriptionState[];
}

/** One attempt to hand a message to a subscribed Lambda function. */
export interface DeliveryRecord {
  topicArn: string;
  subscriptionArn: string;
  messageId: string;
  /** True when Lambda accepted the event (the function's own result is in `result`). */
  delivered: boolean;
  result?: InvokeResult;
  errorType?: string;
  errorMessage?: string;
}

/** Invokes a subscribed function as sns.amazonaws.com with `aws:SourceArn` = the topic. */
export type SnsDeliver = (
  functionArn: string,
  event: SnsLambdaEvent,
  source: { sourceArn: string },
) => Promise<InvokeResult>;

/**
 * Checks that `principal` may use the topic's KMS key for `action` (kms:GenerateDataKey or
 * kms:Decrypt); rejects with the KMS error (e.g. AccessDeniedException, NotFoundException).
 */
export type CheckKeyUse = (
  principal: Principal,
  keyId: string,
  action: 'kms:GenerateDataKey' | 'kms:Decrypt',
  context: Readonly<Record<string, string>>,
) => Promise<void>;

export interface SnsServiceOptions {
  /** Required by `handleAs` and `publishAs`. */
  authorizer?: Authorizer;
  /** Delivers to lambda subscriptions; without it those deliveries fail. */
  deliver?: SnsDeliver;
  /** Per delivery attempt: feeds NumberOfNotificationsDelivered / NumberOfNotificationsFailed. */
  onDelivery?: (topicArn: string, delivered: boolean) => void;
  /** Publishing to an encrypted topic checks key use through it; without it the check is skipped. */
  checkKeyUse?: CheckKeyUse;
}

/** The event SNS sends a subscribed Lambda function (Lambda developer guide "Using AWS Lambda with Amazon SNS"). */
export interface SnsLambdaEvent {
  Records: {
    EventSource: 'aws:sns';
    EventVersion: '1.0';
    EventSubscriptionArn: string;
    Sns: {
      Type: 'Notification';
      MessageId: string;
      TopicArn: string;
      Subject: string | null;
      Message: string;
      Timestamp: string;
      SignatureVersion: '1';
      Signature: string;
      SigningCertUrl: string;
      UnsubscribeUrl: string;
      MessageAttributes: Record<string, { Type: string; Value: string }>;
    };
  }[];
}

const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_MESSAGE_BYTES = 256 * 1024;
const TOPIC_ACTIONS = new Set([
  'CreateTopic',
  'GetTopicAttributes',
  'SetTopicAttributes',
  'Subscribe',
  'Publish',
]);
/** Attributes SetTopicAttributes accepts (SNS API reference "SetTopicAttributes"). */
const SETTABLE_ATTRIBUTES = new Set([
  'ApplicationSuccessFeedbackRoleArn',
  'ApplicationSuccessFeedbackSampleRate',
  'ApplicationFailureFeedbackRoleArn',
  'ArchivePolicy',
  'ContentBasedDeduplication',
  'DeliveryPolicy',
  'DisplayName',
  'FifoThroughputScope',
  'HTTPSuccessFeedbackRoleArn',
  'HTTPSuccessFeedbackSampleRate',
  'HTTPFailureFeedbackRoleArn',
  'KmsMasterKeyId',
  'LambdaSuccessFeedbackRoleArn',
  'LambdaSuccessFeedbackSampleRate',
  'LambdaFailureFeedbackRoleArn',
  'Policy',
  'SignatureVersion',
  'TracingConfig',
]);
const CREATE_ONLY_ATTRIBUTES = new Set(['FifoTopic']);
const PROTOCOLS = new Set([
  'http',
  'https',
  'email',
  'email-json',
  'sms',
  'sqs',
  'application',
  'lambda',
  'firehose',
]);
/** SNS developer guide "Amazon SNS topic policy" (default statement actions). */
const DEFAULT_POLICY_ACTIONS = [
  'SNS:GetTopicAttributes',
  'SNS:SetTopicAttributes',
  'SNS:AddPermission',
  'SNS:RemovePermission',
  'SNS:DeleteTopic',
  'SNS:Subscribe',
  'SNS:ListSubscriptionsByTopic',
  'SNS:Publish',
];

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

/** A response whose operation has no output (SetTopicAttributes). */
function emptyResultXml(action: string): string {
  return `<${action}Response xmlns="${NAMESPACE}"><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
}

function mapXml(entries: Record<string, string>): string {
  return Object.entries(entries)
    .map(
      ([key, value]) =>
        `<entry><key>${escapeXml(key)}</key><value>${escapeXml(value)}</value></entry>`,
    )
    .join('');
}

/** The query protocol's map encoding: `<prefix>.entry.N.key` / `.value`. */
function readMap(params: URLSearchParams, prefix: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (let index = 1; params.has(`${prefix}.entry.${index}.key`); index++) {
    map[params.get(`${prefix}.entry.${index}.key`) ?? ''] =
      params.get(`${prefix}.entry.${index}.value`) ?? '';
  }
  return map;
}

/** Publish's MessageAttributes, in the shape the Lambda event carries them. */
function readMessageAttributes(
  params: URLSearchParams,
): Record<string, { Type: string; Value: string }> {
  const attributes: Record<string, { Type: string; Value: string }> = {};
  const prefix = 'MessageAttributes.entry';
  for (let index = 1; params.has(`${prefix}.${index}.Name`); index++) {
    const type = params.get(`${prefix}.${index}.Value.DataType`) ?? 'String';
    const value =
      params.get(`${prefix}.${index}.Value.StringValue`) ??
      params.get(`${prefix}.${index}.Value.BinaryValue`) ??
      '';
    attributes[params.get(`${prefix}.${index}.Name`) ?? ''] = { Type: type, Value: value };
  }
  return attributes;
}

function invalid(what: string): AwsError {
  return new AwsError('InvalidParameter', `Invalid parameter: ${what}`);
}

/** KMS errors as SNS reports them on Publish (SNS API reference "Publish", Errors). */
const KMS_ERRORS: Readonly<Record<string, string>> = {
  AccessDeniedException: 'KMSAccessDenied',
  DisabledException: 'KMSDisabled',
  KMSInvalidStateException: 'KMSInvalidState',
  NotFoundException: 'KMSNotFound',
  ThrottlingException: 'KMSThrottling',
};

/** SNS topics, their subscriptions, and the messages published to them. */
export class SnsService {
  private readonly pending = new Set<Promise<void>>();
  private readonly deliveryRecords: DeliveryRecord[] = [];

  constructor(
    private readonly state: SnsState,
    private readonly region: string,
    private readonly accountId: string,
    private readonly clock: Clock,
    private readonly options: SnsServiceOptions = {},
  ) {}

  /**
   * Runs one query-protocol action without authorization and returns its XML response (the
   * emulator's older, unauthenticated path). Publishing skips the key-use check.
   */
  handle(params: URLSearchParams): string {
    return this.execute(params);
  }

  /**
   * Runs one query-protocol action for `principal`, authorized as SNS does: `sns:<Action>` on the
   * topic, with the topic's access policy as resource policy. A denial is `AuthorizationError`
   * (HTTP 403); publishing to an encrypted topic also needs the key (`KMSAccessDenied`).
   */
  async handleAs(principal: Principal, params: URLSearchParams): Promise<string> {
    const action = params.get('Action') ?? '';
    if (!TOPIC_ACTIONS.has(action)) return this.execute(params);
    const topicArn =
      action === 'CreateTopic'
        ? this.topicArnOf(params.get('Name') ?? '')
        : (params.get('TopicArn') ?? params.get('TargetArn') ?? '');
    await this.authorize(principal, action, topicArn, {});
    if (action === 'Publish') await this.checkKey(principal, topicArn, {});
    return this.execute(params);
  }

  /**
   * Publish by an AWS service inside the world (CloudWatch alarms as cloudwatch.amazonaws.com
   * with `aws:SourceArn` = the alarm, EventBridge as events.amazonaws.com with the rule), or by a
   * role session; authorized as `handleAs` authorizes Publish. Returns the message id.
   */
  async publishAs(
    principal: Principal,
    input: { topicArn: string; subject?: string; message: string },
    context: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    await this.authorize(principal, 'Publish', input.topicArn, context);
    await this.checkKey(principal, input.topicArn, context);
    const params = new URLSearchParams({ TopicArn: input.topicArn, Message: input.message });
    if (input.subject !== undefined) params.set('Subject', input.subject);
    return this.publish(params);
  }

  messages(topicArn?: string): PublishedMessage[] {
    return this.state.messages
      .filter((message) => topicArn === undefined || message.topicArn === topicArn)
      .map(({ topicArn: arn, subject, message, at }) => ({ topicArn: arn, subject, message, at }));
  }

  subscriptions(topicArn?: string): SnsSubscriptionState[] {
    return this.subscriptionList()
      .filter((subscription) => topicArn === undefined || subscription.topicArn === topicArn)
      .map((subscription) => ({ ...subscription }));
  }

  /** Delivery attempts made so far (not persisted). */
  deliveries(topicArn?: string): DeliveryRecord[] {
    return this.deliveryRecords
      .filter((record) => topicArn === undefined || record.topicArn === topicArn)
      .map((record) => structuredClone(record));
  }

  /** Resolves once every delivery started so far, and any started meanwhile, has finished. */
  async waitForDeliveries(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** The topic's access policy: the one set, or SNS's default policy. */
  topicPolicy(topicArn: string): PolicyDocument {
    const topic = this.requiredTopic(topicArn);
    const policy = topic.attributes?.Policy;
    return policy === undefined
      ? this.defaultPolicy(topic.arn)
      : (JSON.parse(policy) as PolicyDocument);
  }

  private execute(params: URLSearchParams): string {
    const action = params.get('Action') ?? '';
    switch (action) {
      case 'CreateTopic':
        return resultXml(
          action,
          `<TopicArn>${escapeXml(this.createTopic(params.get('Name') ?? '', readMap(params, 'Attributes')))}</TopicArn>`,
        );
      case 'GetTopicAttributes':
        return resultXml(
          action,
          `<Attributes>${mapXml(this.topicAttributes(params.get('TopicArn') ?? ''))}</Attributes>`,
        );
      case 'SetTopicAttributes':
        this.setTopicAttribute(
          params.get('TopicArn') ?? '',
          params.get('AttributeName') ?? '',
          params.get('AttributeValue') ?? '',
        );
        return emptyResultXml(action);
      case 'Subscribe':
        return resultXml(
          action,
          `<SubscriptionArn>${escapeXml(this.subscribe(params))}</SubscriptionArn>`,
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

  /**
   * SNS developer guide "Identity and access management in Amazon SNS": the caller's identity
   * policies and the topic's access policy are evaluated together. `aws:SourceOwner` is the
   * caller's account, or for a service the account it acts for.
   */
  private async authorize(
    principal: Principal,
    action: string,
    topicArn: string,
    context: Readonly<Record<string, string>>,
  ): Promise<void> {
    const authorizer = this.options.authorizer;
    if (authorizer === undefined) {
      throw new Error('SnsService needs an authorizer to authorize requests');
    }
    // CreateTopic is decided by identity policies alone; the other actions also by the topic's policy.
    const topic =
      action === 'CreateTopic'
        ? undefined
        : this.state.topics.find((candidate) => candidate.arn === topicArn);
    const sourceOwner =
      principal.kind === 'role' ? principal.accountId : context['aws:SourceAccount'];
    try {
      await authorizer.authorize(
        {
          principal,
          // SNS names its actions `SNS:Publish` in denials; IAM matches actions case-insensitively.
          action: `SNS:${action}`,
          resource: topicArn || '*',
          resourceAccount: this.accountId,
          ...(topic === undefined ? {} : { resourcePolicy: this.topicPolicy(topic.arn) }),
          context: {
            ...(sourceOwner === undefined ? {} : { 'aws:SourceOwner': sourceOwner }),
            ...context,
          },
        },
        'AuthorizationError',
      );
    } catch (error) {
      // SNS API reference "Common errors": AuthorizationError is HTTP 403.
      if (error instanceof AwsError) throw new AwsError(error.type, error.message, 403);
      throw error;
    }
  }

  /**
   * SNS developer guide "Key management" (encryption at rest): a publisher to an encrypted topic
   * needs kms:GenerateDataKey* and kms:Decrypt on its key; AWS service publishers need them in
   * the key policy.
   */
  private async checkKey(
    principal: Principal,
    topicArn: string,
    context: Readonly<Record<string, string>>,
  ): Promise<void> {
    const topic = this.state.topics.find((candidate) => candidate.arn === topicArn);
    const keyId = topic?.attributes?.KmsMasterKeyId;
    const checkKeyUse = this.options.checkKeyUse;
    if (topic === undefined || !keyId || checkKeyUse === undefined) return;
    const keyContext = {
      ...context,
      'kms:ViaService': `sns.${this.region}.amazonaws.com`,
      'kms:EncryptionContext:aws:sns:topicArn': topic.arn,
    };
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt'] as const) {
      try {
        await checkKeyUse(principal, keyId, action, keyContext);
      } catch (error) {
        if (!(error instanceof AwsError)) throw error;
        const type = KMS_ERRORS[error.type] ?? 'KMSAccessDenied';
        throw new AwsError(
          type,
          `${error.message} (Service: AWSKMS; Status Code: ${error.statusCode}; Error Code: ${error.type})`,
          400,
        );
      }
    }
  }

  private defaultPolicy(topicArn: string): PolicyDocument {
    return {
      Version: '2008-10-17',
      Id: '__default_policy_ID',
      Statement: [
        {
          Sid: '__default_statement_ID',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: DEFAULT_POLICY_ACTIONS,
          Resource: topicArn,
          Condition: { StringEquals: { 'AWS:SourceOwner': this.accountId } },
        },
      ],
    };
  }

  private topicArnOf(name: string): string {
    return `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
  }

  private createTopic(name: string, attributes: Record<string, string> = {}): string {
    if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name)) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Topic Name');
    }
    for (const [key, value] of Object.entries(attributes)) {
      this.validateAttribute(key, value, true);
    }
    const arn = this.topicArnOf(name);
    const existing = this.state.topics.find((topic) => topic.arn === arn);
    if (existing) {
      // SNS API reference "CreateTopic": idempotent, unless the attributes differ.
      const differs = Object.entries(attributes).some(
        ([key, value]) => existing.attributes?.[key] !== value,
      );
      if (differs) {
        throw invalid('Attributes Reason: Topic already exists with different attributes');
      }
      return arn;
    }
    this.state.topics.push({
      arn,
      name,
      ...(Object.keys(attributes).length > 0 ? { attributes: { ...attributes } } : {}),
    });
    if (attributes.Policy !== undefined) this.options.authorizer?.invalidate();
    return arn;
  }

  private validateAttribute(name: string, value: string, creating: boolean): void {
    if (!SETTABLE_ATTRIBUTES.has(name) && !(creating && CREATE_ONLY_ATTRIBUTES.has(name))) {
      throw invalid(`AttributeName`);
    }
    if (name === 'Policy') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw invalid('Policy Error: the policy is not valid JSON');
      }
      if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) {
        throw invalid('Policy Error: null');
      }
    }
  }

  private requiredTopic(topicArn: string): SnsTopicState {
    const topic = this.state.topics.find((candidate) => candidate.arn === topicArn);
    if (!topic) throw new AwsError('NotFound', 'Topic does not exist', 404);
    return topic;
  }

  /** SNS API reference "GetTopicAttributes". */
  private topicAttributes(topicArn: string): Record<string, string> {
    const topic = this.requiredTopic(topicArn);
    const subscriptions = this.subscriptionList().filter(
      (subscription) => subscription.topicArn === topic.arn,
    );
    return {
      TopicArn: topic.arn,
      Owner: this.accountId,
      Policy: JSON.stringify(this.defaultPolicy(topic.arn)),
      DisplayName: '',
      SubscriptionsConfirmed: String(subscriptions.length),
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      EffectiveDeliveryPolicy: JSON.stringify({
        http: {
          defaultHealthyRetryPolicy: {
            minDelayTarget: 20,
            maxDelayTarget: 20,
            numRetries: 3,
            numMaxDelayRetries: 0,
            numNoDelayRetries: 0,
            numMinDelayRetries: 0,
            backoffFunction: 'linear',
          },
          disableSubscriptionOverrides: false,
          defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
        },
      }),
      ...topic.attributes,
    };
  }

  private setTopicAttribute(topicArn: string, name: string, value: string): void {
    const topic = this.requiredTopic(topicArn);
    this.validateAttribute(name, value, false);
    topic.attributes = { ...topic.attributes, [name]: value };
    // An empty KmsMasterKeyId turns encryption off.
    if (name === 'KmsMasterKeyId' && value === '') delete topic.attributes.KmsMasterKeyId;
    if (name === 'Policy') this.options.authorizer?.invalidate();
  }

  private subscriptionList(): SnsSubscriptionState[] {
    return (this.state.subscriptions ??= []);
  }

  /** SNS API reference "Subscribe": lambda subscriptions need no confirmation. */
  private subscribe(params: URLSearchParams): string {
    const topic = this.requiredTopic(params.get('TopicArn') ?? '');
    const protocol = (params.get('Protocol') ?? '').toLowerCase();
    const endpoint = params.get('Endpoint') ?? '';
    if (!PROTOCOLS.has(protocol)) throw invalid('Invalid protocol type: ' + protocol);
    if (
      protocol === 'lambda' &&
      !/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/.test(endpoint)
    ) {
      throw invalid('Lambda endpoint ARN');
    }
    const existing = this.subscriptionList().find(
      (subscription) =>
        subscription.topicArn === topic.arn &&
        subscription.protocol === protocol &&
        subscription.endpoint === endpoint,
    );
    if (existing) return existing.arn;
    const subscription: SnsSubscriptionState = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
    };
    this.subscriptionList().push(subscription);
    return subscription.arn;
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
    const at = new Date(this.clock.now()).toISOString();
    this.state.messages.push({ messageId, topicArn, subject, message, at });
    for (const subscription of this.subscriptionList()) {
      if (subscription.topicArn !== topicArn || subscription.protocol !== 'lambda') continue;
      const event = this.lambdaEvent(subscription, {
        messageId,
        subject,
        message,
        at,
        attributes: readMessageAttributes(params),
      });
      this.startDelivery(subscription, messageId, event);
    }
    return messageId;
  }

  private lambdaEvent(
    subscription: SnsSubscriptionState,
    published: {
      messageId: string;
      subject: string | undefined;
      message: string;
      at: string;
      attributes: Record<string, { Type: string; Value: string }>;
    },
  ): SnsLambdaEvent {
    const host = `https://sns.${this.region}.amazonaws.com`;
    return {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: subscription.arn,
          Sns: {
            Type: 'Notification',
            MessageId: published.messageId,
            TopicArn: subscription.topicArn,
            Subject: published.subject ?? null,
            Message: published.message,
            Timestamp: published.at,
            SignatureVersion: '1',
            // Not a verifiable signature: the emulator holds no SNS signing key.
            Signature: randomBytes(256).toString('base64'),
            SigningCertUrl: `${host}/SimpleNotificationService-${randomBytes(16).toString('hex')}.pem`,
            UnsubscribeUrl: `${host}/?Action=Unsubscribe&SubscriptionArn=${subscription.arn}`,
            MessageAttributes: published.attributes,
          },
        },
      ],
    };
  }

  /**
   * Delivers after Publish has returned. Lambda accepting the event counts as delivered (SNS
   * invokes asynchronously; the function's own errors are Lambda's to retry); a refusal such as
   * a function policy that does not allow sns.amazonaws.com counts as failed.
   */
  private startDelivery(
    subscription: SnsSubscriptionState,
    messageId: string,
    event: SnsLambdaEvent,
  ): void {
    const deliver = this.options.deliver;
    const attempt = (async (): Promise<void> => {
      await Promise.resolve();
      const record: DeliveryRecord = {
        topicArn: subscription.topicArn,
        subscriptionArn: subscription.arn,
        messageId,
        delivered: false,
      };
      try {
        if (deliver === undefined) {
          throw new AwsError('ServiceException', 'The emulator has no Lambda to deliver to');
        }
        record.result = await deliver(subscription.endpoint, event, {
          sourceArn: subscription.topicArn,
        });
        record.delivered = true;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        record.errorType = failure.name;
        record.errorMessage = failure.message;
      }
      this.deliveryRecords.push(record);
      try {
        this.options.onDelivery?.(subscription.topicArn, record.delivered);
      } catch {
        // A failing observer does not undo the delivery.
      }
    })();
    this.pending.add(attempt);
    void attempt.finally(() => this.pending.delete(attempt));
  }
}
