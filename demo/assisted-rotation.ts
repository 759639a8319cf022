/**
 * The Poelis chapter: an operator stages a key made in the web app and rotates; the rotation
 * promotes it and, when the secret's revoke policy retires a key, names it for the operator to
 * revoke in the web app (an SNS notice, and the ManualRevocationRequired alarm); the operator
 * revokes it. Under `on-finish` that is the key the rotation replaced; under `next-rotation` the
 * replaced key stays live as AWSPREVIOUS until the next rotation, so the chapter rotates twice.
 */
import { GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { builtInProviders } from '../lambda/providers/registry';
import { describeKey } from '../lambda/shared/key-reference';
import { RotationMetric } from '../lambda/shared/contracts';
import { describeError } from '../lambda/shared/errors';
import type { PublishedMessage } from '../local/aws/sns';
import { stagePoelisKey } from '../local/scenarios';
import { runRotation, type RotationRun } from './rotation-run';
import { poelisKeyName } from './setup';
import {
  probeOldKey,
  probeReplacedKey,
  rotationDependencies,
  type StoryContext,
} from './story-context';
import {
  expectedOperatorRead,
  type AlarmFact,
  type OldKeyFact,
  type ReminderFact,
} from './summary';

/** The metric the rotation emits when a key must be revoked by a person; the stack alarms on it. */
const MANUAL_REVOCATION_METRIC = RotationMetric.ManualRevocationRequired;

export interface AssistedRotation {
  /** One rotation per round, in order. */
  readonly runs: readonly RotationRun[];
  /** The key the rotation asked to revoke, after the operator revoked it. */
  readonly oldKey: OldKeyFact;
  /** Under `next-rotation`: the key AWSPREVIOUS keeps live. */
  readonly keptKey: OldKeyFact | undefined;
  readonly reminder: ReminderFact | undefined;
  readonly alarm: AlarmFact | undefined;
  /** The operator's attempt to read the value (the stack lets only readers read). */
  readonly operatorRead: OperatorRead;
}

export interface OperatorRead {
  /** Whether the config lists the operator's role among the secret's readers. */
  readonly operatorIsReader: boolean;
  /** The error name GetSecretValue answered with, or `allowed`. */
  readonly outcome: string;
  /** The authorization log's lines for it: denials the story expects. */
  readonly denials: readonly string[];
}

export async function assistedRotation(context: StoryContext): Promise<AssistedRotation> {
  const { demo, narrator, poelisSecret } = context;
  const { operator } = demo.principals;
  const policy = demo.poelis.revokePolicy;
  const rounds = policy === 'next-rotation' ? 2 : 1;
  narrator.line(
    'info',
    policy === 'next-rotation'
      ? `revokePolicy next-rotation: a replaced key stays live as AWSPREVIOUS until the next rotation retires it, so the operator rotates twice`
      : `revokePolicy on-finish: the rotation retires the key it replaces`,
  );

  const runs: RotationRun[] = [];
  let messagesBefore = 0;
  for (let round = 1; round <= rounds; round += 1) {
    const keyName = poelisKeyName(round + 1);
    await narrator.task(
      `operator creates "${keyName}" in the Poelis web app and stores it as STAGED`,
      () => stagePoelisKey(demo.world, operator, demo.poelis, keyName),
      () => `"${keyName}" staged on ${poelisSecret.name} by the operator role (PutSecretValue)`,
    );
    messagesBefore = demo.world.aws.publishedMessages(demo.stack.topicArn).length;
    const run = await runRotation(
      rotationDependencies(context),
      poelisSecret,
      'assisted',
      async () => {
        // The operator starts it, as `api-key-rotator rotate` does with the operator policy.
        const rotated = await operator.secrets.send(
          new RotateSecretCommand({ SecretId: poelisSecret.arn }),
        );
        if (rotated.VersionId === undefined) throw new Error('RotateSecret returned no VersionId');
        return { token: rotated.VersionId };
      },
    );
    // finishSecret's clause says what became of the replaced key, as the vendor answered.
    runs.push(run);
  }
  const operatorRead = await operatorReads(context);

  // The key the policy retires now: the one the first rotation replaced.
  const retired = runs[0].previous;
  const oldKey = builtInProviders.keyReference(retired);
  const notice = demo.world.aws
    .publishedMessages(demo.stack.topicArn)
    .slice(messagesBefore)
    .find((message) => message.message.includes(oldKey.fingerprint));
  // Assisted: the rotation cannot revoke a Poelis key, so it stays live until a person acts.
  const statusBeforeRevocation = await probeReplacedKey(context, retired);
  const reminder = notice && {
    secret: poelisSecret.name,
    subject: notice.subject ?? '',
    keyToRevoke: oldKey,
    statusBeforeRevocation,
  };
  reportNotice(context, notice, describeKey(oldKey));
  const alarm = await revocationAlarm(context);
  narrator.line(
    'info',
    `old key ${describeKey(oldKey)} still answers ${statusBeforeRevocation} until the operator revokes it`,
  );

  demo.world.poelis.admin.revokeKey(
    demo.poelis.organizationId,
    oldKey.keyName ?? oldKey.fingerprint,
  );
  narrator.line('ok', `operator revokes ${describeKey(oldKey)} in the Poelis web app`);
  const revoked = await probeOldKey(context, poelisSecret, retired);
  const keptKey = rounds > 1 ? await probeKeptKey(context, runs[runs.length - 1]) : undefined;
  return { runs, oldKey: revoked, keptKey, reminder, alarm, operatorRead };
}

/**
 * The operator may stage and rotate, but unless the config lists its role among the secret's
 * readers, the secret's policy refuses it the value.
 */
async function operatorReads({
  demo,
  narrator,
  poelisSecret,
}: StoryContext): Promise<OperatorRead> {
  const operatorIsReader = demo.poelis.readerRoleArns.includes(demo.roleArns.operator);
  const denialsBefore = demo.denials.length;
  let outcome = 'allowed';
  try {
    await demo.principals.operator.secrets.send(
      new GetSecretValueCommand({ SecretId: poelisSecret.arn }),
    );
  } catch (error) {
    outcome = describeError(error).name;
  }
  narrator.line(
    outcome === expectedOperatorRead(operatorIsReader) ? 'ok' : 'fail',
    operatorIsReader
      ? `the operator role is one of the secret's readers: GetSecretValue → ${outcome}`
      : `the operator role cannot read the value it staged (not a reader): GetSecretValue → ${outcome}`,
  );
  return { operatorIsReader, outcome, denials: demo.denials.slice(denialsBefore) };
}

/** Under `next-rotation` the key the last rotation replaced is AWSPREVIOUS, live by design. */
async function probeKeptKey(context: StoryContext, last: RotationRun): Promise<OldKeyFact> {
  const key = builtInProviders.keyReference(last.previous);
  const status = await probeReplacedKey(context, last.previous);
  context.narrator.line(
    status === 200 ? 'ok' : 'fail',
    `old key ${describeKey(key)} → ${status}: AWSPREVIOUS, live until the next rotation retires it`,
  );
  return { secret: context.poelisSecret.name, ...key, status };
}

/** The stack's alarm on ManualRevocationRequired, and whether it notified the topic. */
async function revocationAlarm({ demo, narrator }: StoryContext): Promise<AlarmFact | undefined> {
  const { cloudwatch } = demo.world.aws;
  await cloudwatch.settled();
  const alarm = cloudwatch
    .alarms()
    .find(
      (summary) => cloudwatch.alarm(summary.name)?.config.metricName === MANUAL_REVOCATION_METRIC,
    );
  if (alarm === undefined) {
    narrator.line('fail', `the stack has no alarm on ${MANUAL_REVOCATION_METRIC}`);
    return undefined;
  }
  const notified = demo.world.aws
    .publishedMessages(demo.stack.topicArn)
    .some((message) => message.subject?.startsWith(`ALARM: "${alarm.name}"`) === true);
  narrator.line(
    alarm.state === 'ALARM' && notified ? 'ok' : 'fail',
    `CloudWatch alarm on ${MANUAL_REVOCATION_METRIC}: ${alarm.state}${notified ? ', notified the topic' : ', the topic got no notification'}`,
  );
  return { alarmName: alarm.name, state: alarm.state, notified };
}

function reportNotice(
  { narrator }: StoryContext,
  notice: PublishedMessage | undefined,
  oldKey: string,
): void {
  if (notice === undefined) {
    narrator.line('fail', `no notification names the old key ${oldKey}`);
    return;
  }
  narrator.line('info', `SNS: ${notice.subject ?? '(no subject)'}`);
  narrator.line('info', notice.message);
}
