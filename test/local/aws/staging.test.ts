import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  paginateListSecretVersionIds,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { startAwsEmulator, type AwsEmulator } from '../../../local/aws';
import { MAX_KEPT_VERSIONS, MAX_LABELS_PER_SECRET } from '../../../local/aws/staging';
import { ManualClock } from '../../../local/aws/types';
import { API_BEHAVIOUR_SUITE, clientsFor, errorName, rejection, type Clients } from './helpers';

describe('Secrets Manager emulator: staging labels', () => {
  let emulator: AwsEmulator;
  let clients: Clients;
  const clock = new ManualClock(Date.UTC(2026, 0, 10, 12));

  beforeAll(async () => {
    emulator = await startAwsEmulator({ clock, administratorForUnknownKeys: API_BEHAVIOUR_SUITE });
    clients = clientsFor(emulator);
  });
  afterAll(async () => {
    clients.destroy();
    await emulator.close();
  });

  const stagesOf = async (secretId: string): Promise<Record<string, string[]>> =>
    (await clients.sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ??
    {};

  /** A secret with versions v1 (AWSCURRENT) and v2 (AWSPENDING). */
  async function secretWithPending(name: string): Promise<{ v1: string; v2: string }> {
    const v1 = (await clients.sm.send(new CreateSecretCommand({ Name: name, SecretString: 'one' })))
      .VersionId as string;
    const v2 = (
      await clients.sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          SecretString: 'two',
          VersionStages: ['AWSPENDING'],
        }),
      )
    ).VersionId as string;
    return { v1, v2 };
  }

  it('a label sits on at most one version: putting it on a new version takes it from the old one', async () => {
    const { v1, v2 } = await secretWithPending('single');
    const v3 = (
      await clients.sm.send(
        new PutSecretValueCommand({
          SecretId: 'single',
          SecretString: 'three',
          VersionStages: ['AWSPENDING'],
        }),
      )
    ).VersionId as string;
    expect(await stagesOf('single')).toEqual({ [v1]: ['AWSCURRENT'], [v3]: ['AWSPENDING'] });
    expect(v2).not.toBe(v3);
  });

  it('moving AWSCURRENT moves AWSPREVIOUS to the version it left', async () => {
    const { v1, v2 } = await secretWithPending('promote');
    await clients.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'promote',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v2,
        RemoveFromVersionId: v1,
      }),
    );
    expect(await stagesOf('promote')).toEqual({
      [v1]: ['AWSPREVIOUS'],
      [v2]: ['AWSPENDING', 'AWSCURRENT'],
    });
    expect(
      (await clients.sm.send(new GetSecretValueCommand({ SecretId: 'promote' }))).SecretString,
    ).toBe('two');
  });

  it('moving a label attached elsewhere without RemoveFromVersionId is InvalidParameterException', async () => {
    const { v1, v2 } = await secretWithPending('no-remove');
    const error = await rejection(
      clients.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'no-remove',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: v2,
        }),
      ),
    );
    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toBe(
      `The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version ${v1}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
    expect(await stagesOf('no-remove')).toEqual({ [v1]: ['AWSCURRENT'], [v2]: ['AWSPENDING'] });
  });

  it('RemoveFromVersionId must be the version that holds the label', async () => {
    const { v1, v2 } = await secretWithPending('wrong-remove');
    const call = clients.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'wrong-remove',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: v1,
      }),
    );
    expect(await errorName(call)).toBe('InvalidParameterException');
    await clients.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'wrong-remove',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: v2,
      }),
    );
    expect(await stagesOf('wrong-remove')).toEqual({ [v1]: ['AWSCURRENT'] });
  });

  it('custom labels move like the AWS ones', async () => {
    const { v1, v2 } = await secretWithPending('custom');
    await clients.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'custom',
        VersionStage: 'STAGED',
        MoveToVersionId: v1,
      }),
    );
    await clients.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'custom',
        VersionStage: 'STAGED',
        MoveToVersionId: v2,
        RemoveFromVersionId: v1,
      }),
    );
    expect(await stagesOf('custom')).toEqual({
      [v1]: ['AWSCURRENT'],
      [v2]: ['AWSPENDING', 'STAGED'],
    });
  });

  it('an unknown MoveToVersionId is InvalidParameterException', async () => {
    await secretWithPending('unknown-move');
    const call = clients.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'unknown-move',
        VersionStage: 'X',
        MoveToVersionId: 'f'.repeat(36),
      }),
    );
    expect(await errorName(call)).toBe('InvalidParameterException');
  });

  it(`refuses more than ${MAX_LABELS_PER_SECRET} staging labels on a secret with LimitExceededException`, async () => {
    const v1 = (
      await clients.sm.send(new CreateSecretCommand({ Name: 'labels', SecretString: 'one' }))
    ).VersionId as string;
    for (let i = 1; i < MAX_LABELS_PER_SECRET; i++) {
      await clients.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'labels',
          VersionStage: `L${i}`,
          MoveToVersionId: v1,
        }),
      );
    }
    const extra = clients.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'labels',
        VersionStage: 'ONE_TOO_MANY',
        MoveToVersionId: v1,
      }),
    );
    expect(await errorName(extra)).toBe('LimitExceededException');
    const put = clients.sm.send(
      new PutSecretValueCommand({
        SecretId: 'labels',
        SecretString: 'two',
        VersionStages: ['ANOTHER'],
      }),
    );
    expect(await errorName(put)).toBe('LimitExceededException');
    expect((await stagesOf('labels'))[v1]).toHaveLength(MAX_LABELS_PER_SECRET);
  });

  it('a version without labels is deprecated: hidden unless IncludeDeprecated, still readable by id', async () => {
    const v1 = (
      await clients.sm.send(new CreateSecretCommand({ Name: 'deprecated', SecretString: 'one' }))
    ).VersionId as string;
    await clients.sm.send(
      new PutSecretValueCommand({ SecretId: 'deprecated', SecretString: 'two' }),
    );
    await clients.sm.send(
      new PutSecretValueCommand({ SecretId: 'deprecated', SecretString: 'three' }),
    );
    const visible = await clients.sm.send(
      new ListSecretVersionIdsCommand({ SecretId: 'deprecated' }),
    );
    expect(visible.Versions?.map((version) => version.VersionId)).not.toContain(v1);
    const all = await clients.sm.send(
      new ListSecretVersionIdsCommand({ SecretId: 'deprecated', IncludeDeprecated: true }),
    );
    expect(all.Versions?.find((version) => version.VersionId === v1)?.VersionStages).toEqual([]);
    expect(
      (await clients.sm.send(new GetSecretValueCommand({ SecretId: 'deprecated', VersionId: v1 })))
        .SecretString,
    ).toBe('one');
  });

  it(`keeps every version younger than a day, then prunes deprecated ones past ${MAX_KEPT_VERSIONS}`, async () => {
    const first = (
      await clients.sm.send(new CreateSecretCommand({ Name: 'many', SecretString: 'v0' }))
    ).VersionId as string;
    for (let i = 1; i <= MAX_KEPT_VERSIONS + 4; i++) {
      await clients.sm.send(new PutSecretValueCommand({ SecretId: 'many', SecretString: `v${i}` }));
    }
    const countVersions = async (): Promise<string[]> => {
      const ids: string[] = [];
      const pages = paginateListSecretVersionIds(
        { client: clients.sm, stopOnSameToken: true },
        { SecretId: 'many', IncludeDeprecated: true },
      );
      for await (const page of pages) {
        ids.push(...(page.Versions ?? []).map((version) => version.VersionId as string));
      }
      return ids;
    };
    expect(await countVersions()).toHaveLength(MAX_KEPT_VERSIONS + 5);
    clock.advance(25 * 3_600_000);
    await clients.sm.send(new PutSecretValueCommand({ SecretId: 'many', SecretString: 'latest' }));
    const kept = await countVersions();
    expect(kept).toHaveLength(MAX_KEPT_VERSIONS);
    expect(kept).not.toContain(first);
    expect(
      await errorName(
        clients.sm.send(new GetSecretValueCommand({ SecretId: 'many', VersionId: first })),
      ),
    ).toBe('ResourceNotFoundException');
    expect(
      (
        await clients.sm.send(
          new GetSecretValueCommand({ SecretId: 'many', VersionStage: 'AWSPREVIOUS' }),
        )
      ).SecretString,
    ).toBe(`v${MAX_KEPT_VERSIONS + 4}`);
  });
});
