/**
 * A consumer that hears of a rotation: an EventBridge rule on the rotator's `API Key Rotated`
 * events delivers to the consumer's SNS topic (its policy admits only that rule), and on the
 * event the consumer refreshes its key reader, so its next call uses the new key without a 401.
 */
import { CreateTopicCommand, SetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { request } from 'undici';
import { createKeyReader } from '../client';
import type { KeyRotatedDetail } from '../lambda/aws/rotation-events';
import { POLYTOMIC_DEFAULT_API_VERSION } from '../lambda/providers/polytomic';
import { ROTATION_EVENT_SOURCE, RotationEventType } from '../lambda/shared/contracts';
import { fingerprint } from '../lambda/shared/fingerprint';
import type { StoryContext } from './story-context';

/** What the consumer saw and did. */
export interface ConsumerFact {
  readonly ruleName: string;
  /** The event that reached it, or null when none did. */
  readonly heard: { readonly rotationId: string; readonly revocation: string } | null;
  readonly keyBefore: string;
  readonly keyAfterRefresh: string;
  /** The version the reader holds after refresh(): the event's rotationId when it followed. */
  readonly versionAfterRefresh: string | null;
  /** Status of the consumer's first call after the event. */
  readonly firstCallStatus: number;
  /** 401s the consumer met: 0 when it refreshed before its first call. */
  readonly unauthorizedCalls: number;
}

const RULE_NAME = 'demo-consumer-refresh';
const TOPIC_NAME = 'demo-key-consumer';
/** How long the consumer waits for the event after the rotation finished. */
const EVENT_WAIT_MS = 10_000;

/**
 * Sets up the rule and the consumer, rotates the Polytomic secret as security would, and lets
 * the consumer refresh on the event.
 */
export async function consumerHearsRotation(context: StoryContext): Promise<ConsumerFact> {
  const { demo, narrator } = context;
  const secretArn = demo.polytomic.arn;
  const admin = demo.principals.administrator;
  const { TopicArn: topicArn } = await admin.sns.send(new CreateTopicCommand({ Name: TOPIC_NAME }));
  if (topicArn === undefined) throw new Error('CreateTopic returned no TopicArn');
  const ruleArn = demo.world.aws.events.putRule({
    name: RULE_NAME,
    eventPattern: {
      source: [ROTATION_EVENT_SOURCE],
      'detail-type': [RotationEventType.KeyRotated],
      detail: { secretArn: [secretArn] },
    },
  });
  demo.world.aws.events.putTargets(RULE_NAME, [{ id: 'consumer', arn: topicArn }]);
  await admin.sns.send(
    new SetTopicAttributesCommand({
      TopicArn: topicArn,
      AttributeName: 'Policy',
      AttributeValue: JSON.stringify(topicPolicy(topicArn, ruleArn)),
    }),
  );
  narrator.line(
    'info',
    `rule ${RULE_NAME}: source ${ROTATION_EVENT_SOURCE}, detail-type "${RotationEventType.KeyRotated}", this secret → topic ${TOPIC_NAME}`,
  );

  // The consumer caches its key for an hour: without the event it would meet the revoked key.
  const reader = createKeyReader({
    secretId: secretArn,
    client: demo.principals.app.secrets,
    maxAgeMs: 3_600_000,
  });
  const keyBefore = fingerprint(await reader.getKey());
  narrator.line('info', `consumer holds key ${keyBefore} (cached for an hour)`);
  const seen = demo.world.aws.publishedMessages(topicArn).length;
  const rotated = await admin.secrets.send(new RotateSecretCommand({ SecretId: secretArn }));
  await demo.world.aws.waitForRotations(secretArn);

  const event = await waitForEvent(context, topicArn, seen, rotated.VersionId);
  if (event === undefined) {
    narrator.line('fail', 'no event reached the consumer');
  } else {
    narrator.line(
      'ok',
      `consumer heard "${RotationEventType.KeyRotated}" ${event.rotationId} (old key ${event.revocation}); it refreshes its reader`,
    );
    await reader.refresh();
  }
  let unauthorizedCalls = 0;
  const call = await reader.withKey(async (key) => {
    const response = await request(`${demo.world.urls.polytomic}/api/me`, {
      headers: {
        authorization: `Bearer ${key}`,
        'x-polytomic-version': POLYTOMIC_DEFAULT_API_VERSION,
      },
    });
    await response.body.dump();
    if (response.statusCode === 401) unauthorizedCalls += 1;
    return { status: response.statusCode };
  });
  const keyAfterRefresh = fingerprint(await reader.getKey());
  narrator.line(
    call.status === 200 && unauthorizedCalls === 0 ? 'ok' : 'fail',
    `consumer calls GET /api/me with key ${keyAfterRefresh}: ${call.status}, ${unauthorizedCalls} 401s`,
  );
  return {
    ruleName: RULE_NAME,
    heard:
      event === undefined ? null : { rotationId: event.rotationId, revocation: event.revocation },
    keyBefore,
    keyAfterRefresh,
    versionAfterRefresh: reader.versionId ?? null,
    firstCallStatus: call.status,
    unauthorizedCalls,
  };
}

/** The consumer's subscription: the SNS deliveries the rule made since `seen`. */
async function waitForEvent(
  { demo }: StoryContext,
  topicArn: string,
  seen: number,
  rotationId: string | undefined,
): Promise<KeyRotatedDetail | undefined> {
  const deadline = Date.now() + EVENT_WAIT_MS;
  while (Date.now() < deadline) {
    for (const message of demo.world.aws.publishedMessages(topicArn).slice(seen)) {
      const event = JSON.parse(message.message) as { detail?: KeyRotatedDetail };
      if (event.detail?.rotationId === rotationId) return event.detail;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

/** Only this rule, from this account, may publish to the consumer's topic. */
function topicPolicy(topicArn: string, ruleArn: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RotationEventsRulePublishes',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topicArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      },
    ],
  };
}
