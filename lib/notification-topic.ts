import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { accountAdministersKey } from './rotation-key';

/**
 * What a publisher to a KMS-encrypted topic needs on its key (SNS developer guide, "Encryption at
 * rest" → "Key management"): `kms:GenerateDataKey` and `kms:Decrypt`, not `kms:GenerateDataKey*`.
 */
export const SNS_PUBLISHER_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** Lets `grantee` publish to the encrypted `topic`: `sns:Publish` on it and the documented key actions on its key. */
export function grantEncryptedPublish(topic: sns.ITopic, grantee: iam.IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
  );
  if (topic.masterKey) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: SNS_PUBLISHER_KEY_ACTIONS,
        resources: [topic.masterKey.keyArn],
      }),
    );
  }
}

/** Properties of a {@link NotificationTopic}. */
export interface NotificationTopicProps {
  /**
   * What happens to the topic's key when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The KMS-encrypted SNS topic that receives alarms, rotation failure events and the rotation
 * function's notices (such as which Poelis key to revoke by hand).
 *
 * It has its own key so that the secrets' key never has to trust AWS service principals.
 * Subscribe people or chat integrations after deployment.
 */
export class NotificationTopic extends Construct {
  /** The topic. */
  readonly topic: sns.Topic;
  /** The key that encrypts the topic's messages. */
  readonly key: kms.Key;

  private eventBridgeKeyGranted = false;

  constructor(scope: Construct, id: string, props: NotificationTopicProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const account = new iam.AccountRootPrincipal();
    // Replaces the default `kms:*` for the account: administration by name, and use only through
    // SNS, which is all a publisher's identity policy needs.
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts api-key-rotator notifications',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({
        statements: [
          accountAdministersKey(),
          new iam.PolicyStatement({
            sid: 'AccountPublishesThroughSns',
            principals: [account],
            actions: SNS_PUBLISHER_KEY_ACTIONS,
            resources: ['*'],
            conditions: {
              StringEquals: { 'kms:ViaService': `sns.${stack.region}.amazonaws.com` },
            },
          }),
        ],
      }),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        // The actions SNS documents for AWS service publishers to an encrypted topic.
        sid: 'CloudWatchAlarmsPublishEncrypted',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: SNS_PUBLISHER_KEY_ACTIONS,
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'api-key-rotator',
      masterKey: this.key,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy, which replaces SNS's default one: alarm actions publish as
    // cloudwatch.amazonaws.com and need their own statement ("Amazon SNS topic policies for
    // CloudWatch alarms"), limited to this account's alarms.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }

  /**
   * Lets EventBridge deliver `rule`'s events to the topic: the topic policy names the rule by
   * `aws:SourceArn`; the key policy can only name the account (`aws:SourceAccount`), since the
   * rule depends on the topic and the topic on the key, so the rule's ARN there would be a cycle.
   */
  allowEventRule(id: string, rule: events.IRule): events.IRuleTarget {
    const stack = Stack.of(this);
    const eventBridge = new iam.ServicePrincipal('events.amazonaws.com');
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `${id}Publishes`,
        principals: [eventBridge],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': rule.ruleArn },
        },
      }),
    );
    if (!this.eventBridgeKeyGranted) {
      this.eventBridgeKeyGranted = true;
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'EventBridgePublishesEncrypted',
          principals: [eventBridge],
          actions: SNS_PUBLISHER_KEY_ACTIONS,
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
    }
    const topic = this.topic;
    // The target grants nothing itself: the statements above are the whole grant.
    return { bind: () => ({ arn: topic.topicArn, targetResource: topic }) };
  }
}
