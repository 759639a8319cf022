/**
 * The Poelis chapter: an operator stages a key made in the web app, the rotation promotes it and
 * names the old key to revoke, and the operator revokes it.
 */
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describeKey, keyReference } from '../lambda/shared/key-reference';
import { stagePoelisKey } from '../local/scenarios';
import type { PublishedMessage } from '../local/aws/sns';
import { probeKey } from './key-probe';
import { runRotation, type RotationRun } from './rotation-run';
import { probeOldKey, rotationDependencies, type StoryContext } from './story-context';
import type { OldKeyFact, ReminderFact } from './summary';

export const SECOND_POELIS_KEY_NAME = 'Engineering data #2';

export interface AssistedRotation {
  readonly run: RotationRun;
  readonly oldKey: OldKeyFact;
  readonly reminder: ReminderFact | undefined;
}

export async function assistedRotation(context: StoryContext): Promise<AssistedRotation> {
  const { demo, narrator, poelisSecret } = context;
  await narrator.task(
    `operator creates "${SECOND_POELIS_KEY_NAME}" in the Poelis web app and stores it as STAGED`,
    () => stagePoelisKey(demo.world, demo.clients, demo.poelis, SECOND_POELIS_KEY_NAME),
    () => `"${SECOND_POELIS_KEY_NAME}" staged on ${poelisSecret.name}`,
  );
  const messagesBefore = demo.world.aws.publishedMessages(demo.topicArn).length;
  const run = await runRotation(
    rotationDependencies(context),
    poelisSecret,
    'assisted',
    async () => {
      const rotated = await demo.clients.secrets.send(
        new RotateSecretCommand({ SecretId: poelisSecret.arn }),
      );
      if (rotated.VersionId === undefined) throw new Error('RotateSecret returned no VersionId');
      return { token: rotated.VersionId };
    },
  );

  const oldKey = keyReference(run.previous);
  const notice = demo.world.aws
    .publishedMessages(demo.topicArn)
    .slice(messagesBefore)
    .find((message) => message.message.includes(oldKey.fingerprint));
  // Assisted: the rotation cannot revoke a Poelis key, so it stays live until a person acts.
  const statusBeforeRevocation = await probeKey(
    context.http,
    demo.clients.secrets,
    poelisSecret.arn,
    run.previous,
  );
  const reminder = notice && {
    secret: poelisSecret.name,
    subject: notice.subject ?? '',
    keyToRevoke: oldKey,
    statusBeforeRevocation,
  };
  reportNotice(context, notice, describeKey(oldKey));
  narrator.line(
    'info',
    `old key ${describeKey(oldKey)} still answers ${statusBeforeRevocation} until the operator revokes it`,
  );

  demo.world.poelis.admin.revokeKey(
    demo.poelis.organizationId,
    oldKey.keyName ?? oldKey.fingerprint,
  );
  narrator.line('ok', `operator revokes ${describeKey(oldKey)} in the Poelis web app`);
  return { run, oldKey: await probeOldKey(context, poelisSecret, run.previous), reminder };
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
