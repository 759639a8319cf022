import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  type ListSecretsCommandInput,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { startAwsEmulator, type AwsEmulator } from '../../../local/aws';
import { ManualClock } from '../../../local/aws/types';
import { API_BEHAVIOUR_SUITE, clientsFor, errorName, rejection, type Clients } from './helpers';

const DAY_MS = 86_400_000;

describe('Secrets Manager emulator: secrets and values', () => {
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

  it('creates a secret with an ARN carrying a six-character suffix and reads it back', async () => {
    const created = await clients.sm.send(
      new CreateSecretCommand({ Name: 'app/one', SecretString: '{"apiKey":"k1"}' }),
    );
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:app\/one-[A-Za-z0-9]{6}$/,
    );
    const value = await clients.sm.send(new GetSecretValueCommand({ SecretId: 'app/one' }));
    expect(value).toMatchObject({
      SecretString: '{"apiKey":"k1"}',
      VersionId: created.VersionId,
      VersionStages: ['AWSCURRENT'],
    });
  });

  it('resolves a secret by name, full ARN and partial ARN', async () => {
    const { ARN } = await clients.sm.send(
      new CreateSecretCommand({ Name: 'lookup', SecretString: 'v' }),
    );
    const partial = (ARN as string).slice(0, -7);
    for (const id of ['lookup', ARN, partial]) {
      expect((await clients.sm.send(new DescribeSecretCommand({ SecretId: id }))).ARN).toBe(ARN);
    }
    expect(
      await errorName(
        clients.sm.send(new DescribeSecretCommand({ SecretId: `${partial}-zzzzzz` })),
      ),
    ).toBe('ResourceNotFoundException');
  });

  it('stores SecretBinary and returns the same bytes', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await clients.sm.send(new CreateSecretCommand({ Name: 'binary', SecretBinary: bytes }));
    const value = await clients.sm.send(new GetSecretValueCommand({ SecretId: 'binary' }));
    expect(value.SecretString).toBeUndefined();
    expect(Buffer.from(value.SecretBinary as Uint8Array)).toEqual(Buffer.from(bytes));
  });

  it('refuses a duplicate name with ResourceExistsException', async () => {
    await clients.sm.send(new CreateSecretCommand({ Name: 'dup' }));
    expect(await errorName(clients.sm.send(new CreateSecretCommand({ Name: 'dup' })))).toBe(
      'ResourceExistsException',
    );
  });

  it('refuses both SecretString and SecretBinary with InvalidParameterException', async () => {
    const call = clients.sm.send(
      new CreateSecretCommand({
        Name: 'both',
        SecretString: 'a',
        SecretBinary: new Uint8Array([1]),
      }),
    );
    expect(await errorName(call)).toBe('InvalidParameterException');
  });

  it('refuses an invalid name with InvalidParameterException', async () => {
    expect(await errorName(clients.sm.send(new CreateSecretCommand({ Name: 'bad name!' })))).toBe(
      'InvalidParameterException',
    );
  });

  it('a secret without a value has no AWSCURRENT to read', async () => {
    await clients.sm.send(new CreateSecretCommand({ Name: 'empty' }));
    const error = await rejection(
      clients.sm.send(new GetSecretValueCommand({ SecretId: 'empty' })),
    );
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    );
  });

  describe('ClientRequestToken', () => {
    it('a new token makes a new version that becomes AWSCURRENT', async () => {
      const { VersionId: first } = await clients.sm.send(
        new CreateSecretCommand({ Name: 'tok', SecretString: 'v1' }),
      );
      const token = randomUUID();
      const put = await clients.sm.send(
        new PutSecretValueCommand({
          SecretId: 'tok',
          SecretString: 'v2',
          ClientRequestToken: token,
        }),
      );
      expect(put).toMatchObject({ VersionId: token, VersionStages: ['AWSCURRENT'] });
      const described = await clients.sm.send(new DescribeSecretCommand({ SecretId: 'tok' }));
      expect(described.VersionIdsToStages).toEqual({
        [first as string]: ['AWSPREVIOUS'],
        [token]: ['AWSCURRENT'],
      });
    });

    it('the same token and value is a no-op', async () => {
      await clients.sm.send(new CreateSecretCommand({ Name: 'idem', SecretString: 'v1' }));
      const token = randomUUID();
      await clients.sm.send(
        new PutSecretValueCommand({
          SecretId: 'idem',
          SecretString: 'v2',
          ClientRequestToken: token,
        }),
      );
      const again = await clients.sm.send(
        new PutSecretValueCommand({
          SecretId: 'idem',
          SecretString: 'v2',
          ClientRequestToken: token,
        }),
      );
      expect(again.VersionId).toBe(token);
      const versions = await clients.sm.send(
        new ListSecretVersionIdsCommand({ SecretId: 'idem', IncludeDeprecated: true }),
      );
      expect(versions.Versions).toHaveLength(2);
    });

    it('the same token with another value is ResourceExistsException', async () => {
      await clients.sm.send(new CreateSecretCommand({ Name: 'idem2', SecretString: 'v1' }));
      const token = randomUUID();
      await clients.sm.send(
        new PutSecretValueCommand({
          SecretId: 'idem2',
          SecretString: 'v2',
          ClientRequestToken: token,
        }),
      );
      const call = clients.sm.send(
        new PutSecretValueCommand({
          SecretId: 'idem2',
          SecretString: 'other',
          ClientRequestToken: token,
        }),
      );
      expect(await errorName(call)).toBe('ResourceExistsException');
    });

    it('a token shorter than 32 or longer than 64 characters is ValidationException', async () => {
      await clients.sm.send(new CreateSecretCommand({ Name: 'toklen', SecretString: 'v1' }));
      for (const token of ['x'.repeat(31), 'x'.repeat(65)]) {
        const call = clients.sm.send(
          new PutSecretValueCommand({
            SecretId: 'toklen',
            SecretString: 'v2',
            ClientRequestToken: token,
          }),
        );
        expect(await errorName(call)).toBe('ValidationException');
      }
    });
  });

  describe('GetSecretValue by VersionId and VersionStage', () => {
    let oldVersion: string;
    let newVersion: string;
    beforeAll(async () => {
      oldVersion = (
        await clients.sm.send(new CreateSecretCommand({ Name: 'gsv', SecretString: 'old' }))
      ).VersionId as string;
      newVersion = (
        await clients.sm.send(new PutSecretValueCommand({ SecretId: 'gsv', SecretString: 'new' }))
      ).VersionId as string;
    });

    it('reads a version by id, by stage and by both when they agree', async () => {
      expect(
        (
          await clients.sm.send(
            new GetSecretValueCommand({ SecretId: 'gsv', VersionId: oldVersion }),
          )
        ).SecretString,
      ).toBe('old');
      expect(
        (
          await clients.sm.send(
            new GetSecretValueCommand({ SecretId: 'gsv', VersionStage: 'AWSPREVIOUS' }),
          )
        ).SecretString,
      ).toBe('old');
      const both = await clients.sm.send(
        new GetSecretValueCommand({
          SecretId: 'gsv',
          VersionId: newVersion,
          VersionStage: 'AWSCURRENT',
        }),
      );
      expect(both.SecretString).toBe('new');
    });

    it('a VersionStage not on the VersionId is InvalidRequestException', async () => {
      const error = await rejection(
        clients.sm.send(
          new GetSecretValueCommand({
            SecretId: 'gsv',
            VersionId: oldVersion,
            VersionStage: 'AWSCURRENT',
          }),
        ),
      );
      expect(error.name).toBe('InvalidRequestException');
      expect(error.message).toBe(
        'You provided a VersionStage that is not associated to the provided VersionId.',
      );
    });

    it('an unknown VersionId or stage is ResourceNotFoundException', async () => {
      expect(
        await errorName(
          clients.sm.send(new GetSecretValueCommand({ SecretId: 'gsv', VersionId: randomUUID() })),
        ),
      ).toBe('ResourceNotFoundException');
      expect(
        await errorName(
          clients.sm.send(new GetSecretValueCommand({ SecretId: 'gsv', VersionStage: 'NOPE' })),
        ),
      ).toBe('ResourceNotFoundException');
    });
  });

  it('DescribeSecret shows dates: LastAccessedDate by day, LastChangedDate on change; KmsKeyId absent for the default key', async () => {
    await clients.sm.send(new CreateSecretCommand({ Name: 'dates', SecretString: 'v' }));
    const before = await clients.sm.send(new DescribeSecretCommand({ SecretId: 'dates' }));
    expect(before.LastAccessedDate).toBeUndefined();
    expect(before.KmsKeyId).toBeUndefined();
    clock.advance(3_600_000);
    await clients.sm.send(new GetSecretValueCommand({ SecretId: 'dates' }));
    await clients.sm.send(new UpdateSecretCommand({ SecretId: 'dates', Description: 'changed' }));
    const after = await clients.sm.send(new DescribeSecretCommand({ SecretId: 'dates' }));
    expect(after.LastAccessedDate?.getTime()).toBe(Math.floor(clock.now() / DAY_MS) * DAY_MS);
    expect(after.LastChangedDate?.getTime()).toBe(clock.now());
    expect(after.Description).toBe('changed');
  });

  it('UpdateSecret with a value makes a new AWSCURRENT version', async () => {
    await clients.sm.send(new CreateSecretCommand({ Name: 'upd', SecretString: 'v1' }));
    const updated = await clients.sm.send(
      new UpdateSecretCommand({ SecretId: 'upd', SecretString: 'v2' }),
    );
    const value = await clients.sm.send(new GetSecretValueCommand({ SecretId: 'upd' }));
    expect(value).toMatchObject({ SecretString: 'v2', VersionId: updated.VersionId });
  });

  describe('deletion', () => {
    it('a secret scheduled for deletion refuses reads with InvalidRequestException until restored', async () => {
      await clients.sm.send(new CreateSecretCommand({ Name: 'del', SecretString: 'v' }));
      const deleted = await clients.sm.send(
        new DeleteSecretCommand({ SecretId: 'del', RecoveryWindowInDays: 7 }),
      );
      expect(deleted.DeletionDate?.getTime()).toBe(clock.now() + 7 * DAY_MS);
      const error = await rejection(
        clients.sm.send(new GetSecretValueCommand({ SecretId: 'del' })),
      );
      expect(error.name).toBe('InvalidRequestException');
      expect(error.message).toBe(
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
      expect(
        await errorName(
          clients.sm.send(new PutSecretValueCommand({ SecretId: 'del', SecretString: 'x' })),
        ),
      ).toBe('InvalidRequestException');
      expect(
        (await clients.sm.send(new DescribeSecretCommand({ SecretId: 'del' }))).DeletedDate,
      ).toBeDefined();
      expect(await errorName(clients.sm.send(new CreateSecretCommand({ Name: 'del' })))).toBe(
        'InvalidRequestException',
      );
      await clients.sm.send(new RestoreSecretCommand({ SecretId: 'del' }));
      expect(
        (await clients.sm.send(new GetSecretValueCommand({ SecretId: 'del' }))).SecretString,
      ).toBe('v');
    });

    it('the secret is gone once the recovery window ends', async () => {
      await clients.sm.send(new CreateSecretCommand({ Name: 'del-window', SecretString: 'v' }));
      await clients.sm.send(
        new DeleteSecretCommand({ SecretId: 'del-window', RecoveryWindowInDays: 7 }),
      );
      clock.advance(7 * DAY_MS + 1);
      expect(
        await errorName(clients.sm.send(new DescribeSecretCommand({ SecretId: 'del-window' }))),
      ).toBe('ResourceNotFoundException');
    });

    it('ForceDeleteWithoutRecovery deletes at once; combining it with a window is InvalidParameterException', async () => {
      await clients.sm.send(new CreateSecretCommand({ Name: 'del-force', SecretString: 'v' }));
      const both = clients.sm.send(
        new DeleteSecretCommand({
          SecretId: 'del-force',
          ForceDeleteWithoutRecovery: true,
          RecoveryWindowInDays: 7,
        }),
      );
      expect(await errorName(both)).toBe('InvalidParameterException');
      await clients.sm.send(
        new DeleteSecretCommand({ SecretId: 'del-force', ForceDeleteWithoutRecovery: true }),
      );
      expect(
        await errorName(clients.sm.send(new DescribeSecretCommand({ SecretId: 'del-force' }))),
      ).toBe('ResourceNotFoundException');
    });

    it('a recovery window outside 7..30 days is ValidationException', async () => {
      await clients.sm.send(new CreateSecretCommand({ Name: 'del-range' }));
      expect(
        await errorName(
          clients.sm.send(
            new DeleteSecretCommand({ SecretId: 'del-range', RecoveryWindowInDays: 6 }),
          ),
        ),
      ).toBe('ValidationException');
    });
  });

  describe('ListSecrets', () => {
    beforeAll(async () => {
      for (const [name, team] of [
        ['list/alpha', 'red'],
        ['list/beta', 'blue'],
        ['list/gamma', 'red'],
      ]) {
        await clients.sm.send(
          new CreateSecretCommand({
            Name: name,
            Description: `${name} secret`,
            Tags: [{ Key: 'team', Value: team }],
          }),
        );
      }
      await clients.sm.send(new CreateSecretCommand({ Name: 'list/deleted' }));
      await clients.sm.send(new DeleteSecretCommand({ SecretId: 'list/deleted' }));
    });

    const names = async (input: ListSecretsCommandInput): Promise<string[]> =>
      ((await clients.sm.send(new ListSecretsCommand(input))).SecretList ?? []).map(
        (entry) => entry.Name as string,
      );

    it('filters by name prefix, tag key, tag value and all, excluding deleted secrets by default', async () => {
      expect(await names({ Filters: [{ Key: 'name', Values: ['list/'] }] })).toEqual([
        'list/alpha',
        'list/beta',
        'list/gamma',
      ]);
      expect(await names({ Filters: [{ Key: 'tag-value', Values: ['red'] }] })).toEqual([
        'list/alpha',
        'list/gamma',
      ]);
      expect(
        await names({
          Filters: [
            { Key: 'tag-key', Values: ['team'] },
            { Key: 'name', Values: ['list/b'] },
          ],
        }),
      ).toEqual(['list/beta']);
      expect(await names({ Filters: [{ Key: 'all', Values: ['blue'] }] })).toEqual(['list/beta']);
      expect(
        await names({
          Filters: [{ Key: 'name', Values: ['list/'] }],
          IncludePlannedDeletion: true,
        }),
      ).toContain('list/deleted');
    });

    it('paginates with MaxResults and NextToken', async () => {
      const first = await clients.sm.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }], MaxResults: 2 }),
      );
      expect(first.SecretList?.map((entry) => entry.Name)).toEqual(['list/alpha', 'list/beta']);
      const second = await clients.sm.send(
        new ListSecretsCommand({
          Filters: [{ Key: 'name', Values: ['list/'] }],
          MaxResults: 2,
          NextToken: first.NextToken,
        }),
      );
      expect(second.SecretList?.map((entry) => entry.Name)).toEqual(['list/gamma']);
      expect(second.NextToken).toBeUndefined();
      expect(await errorName(clients.sm.send(new ListSecretsCommand({ NextToken: 'bogus' })))).toBe(
        'InvalidNextTokenException',
      );
    });

    it('an unknown filter key is ValidationException', async () => {
      const call = clients.sm.send(
        new ListSecretsCommand({ Filters: [{ Key: 'colour' as 'name', Values: ['x'] }] }),
      );
      expect(await errorName(call)).toBe('ValidationException');
    });
  });

  it('tags and untags a secret; aws: keys are reserved', async () => {
    await clients.sm.send(
      new CreateSecretCommand({ Name: 'tags', Tags: [{ Key: 'a', Value: '1' }] }),
    );
    await clients.sm.send(
      new TagResourceCommand({
        SecretId: 'tags',
        Tags: [
          { Key: 'a', Value: '2' },
          { Key: 'b', Value: '3' },
        ],
      }),
    );
    await clients.sm.send(new UntagResourceCommand({ SecretId: 'tags', TagKeys: ['b'] }));
    expect((await clients.sm.send(new DescribeSecretCommand({ SecretId: 'tags' }))).Tags).toEqual([
      { Key: 'a', Value: '2' },
    ]);
    const reserved = clients.sm.send(
      new TagResourceCommand({ SecretId: 'tags', Tags: [{ Key: 'aws:x', Value: '1' }] }),
    );
    expect(await errorName(reserved)).toBe('InvalidParameterException');
  });

  it('GetRandomPassword honours length and exclusions', async () => {
    const { RandomPassword } = await clients.sm.send(
      new GetRandomPasswordCommand({
        PasswordLength: 64,
        ExcludePunctuation: true,
        ExcludeCharacters: 'aA0',
      }),
    );
    expect(RandomPassword).toHaveLength(64);
    expect(RandomPassword).toMatch(/^[b-zB-Z1-9]+$/);
    expect(RandomPassword).toMatch(/[b-z]/);
    expect(RandomPassword).toMatch(/[1-9]/);
    const none = clients.sm.send(
      new GetRandomPasswordCommand({
        ExcludeLowercase: true,
        ExcludeUppercase: true,
        ExcludeNumbers: true,
        ExcludePunctuation: true,
      }),
    );
    expect(await errorName(none)).toBe('InvalidParameterException');
  });

  it('stores, returns and deletes a resource policy; BlockPublicPolicy refuses a public one', async () => {
    await clients.sm.send(new CreateSecretCommand({ Name: 'policy' }));
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::000000000000:root' },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
        },
      ],
    });
    await clients.sm.send(
      new PutResourcePolicyCommand({
        SecretId: 'policy',
        ResourcePolicy: policy,
        BlockPublicPolicy: true,
      }),
    );
    expect(
      (await clients.sm.send(new GetResourcePolicyCommand({ SecretId: 'policy' }))).ResourcePolicy,
    ).toBe(policy);
    const publicPolicy = JSON.stringify({
      Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }],
    });
    expect(
      await errorName(
        clients.sm.send(
          new PutResourcePolicyCommand({
            SecretId: 'policy',
            ResourcePolicy: publicPolicy,
            BlockPublicPolicy: true,
          }),
        ),
      ),
    ).toBe('PublicPolicyException');
    expect(
      await errorName(
        clients.sm.send(
          new PutResourcePolicyCommand({ SecretId: 'policy', ResourcePolicy: '{not json' }),
        ),
      ),
    ).toBe('MalformedPolicyDocumentException');
    await clients.sm.send(new DeleteResourcePolicyCommand({ SecretId: 'policy' }));
    expect(
      (await clients.sm.send(new GetResourcePolicyCommand({ SecretId: 'policy' }))).ResourcePolicy,
    ).toBeUndefined();
  });
});

describe('Secrets Manager emulator: lists ended with an empty NextToken (emptyLastPageToken)', () => {
  let emulator: AwsEmulator;
  let clients: Clients;

  beforeAll(async () => {
    emulator = await startAwsEmulator({
      emptyLastPageToken: true,
      administratorForUnknownKeys: API_BEHAVIOUR_SUITE,
    });
    clients = clientsFor(emulator);
    for (const name of ['empty/a', 'empty/b', 'empty/c']) {
      await clients.sm.send(new CreateSecretCommand({ Name: name, SecretString: name }));
    }
  });
  afterAll(async () => {
    clients.destroy();
    await emulator.close();
  });

  it('answers the last ListSecrets page with "" and reads "" as the first page', async () => {
    const list = (NextToken?: string) =>
      clients.sm.send(new ListSecretsCommand({ MaxResults: 2, NextToken }));
    const first = await list();
    expect(first.SecretList?.map((entry) => entry.Name)).toEqual(['empty/a', 'empty/b']);
    expect(first.NextToken).toMatch(/.+/);
    const last = await list(first.NextToken);
    expect(last.SecretList?.map((entry) => entry.Name)).toEqual(['empty/c']);
    expect(last.NextToken).toBe('');
    expect((await list('')).SecretList?.map((entry) => entry.Name)).toEqual(['empty/a', 'empty/b']);
  });

  it('answers the last ListSecretVersionIds page with ""', async () => {
    await clients.sm.send(new PutSecretValueCommand({ SecretId: 'empty/a', SecretString: 'two' }));
    const list = (NextToken?: string) =>
      clients.sm.send(
        new ListSecretVersionIdsCommand({ SecretId: 'empty/a', MaxResults: 1, NextToken }),
      );
    const first = await list();
    expect(first.Versions).toHaveLength(1);
    expect(first.NextToken).toMatch(/.+/);
    const last = await list(first.NextToken);
    expect(last.Versions).toHaveLength(1);
    expect(last.NextToken).toBe('');
  });
});
