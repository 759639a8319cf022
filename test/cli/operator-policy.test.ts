/**
 * README "Operator IAM" against the deployed stack, with every call authorized as IAM would:
 * the documented policy (plus being a reader in the config) lets the operator run every command;
 * without any one of its actions, the command that needs it is refused, and with it restored the
 * same command runs; the tag condition keeps the operator off secrets the stack does not manage;
 * and only the config's readers may read the partner key.
 */
import {
  CreateSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { ExitCode } from '../../cli/exit-codes';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { MANAGED_TAG, MANAGED_TAG_VALUE, PROVIDER_TAG } from '../../lambda/shared/contracts';
import type { PolicyDocument } from '../../local/aws/authorization';
import {
  readmeOperatorPolicy,
  startCliWorld,
  type CliRun,
  type CliWorld,
  type PoelisSlot,
  type PolytomicSlot,
  stuckPendingVersionId,
} from './support/cli-world';

interface Statement {
  readonly Sid: string;
  readonly Action: string | readonly string[];
  readonly [key: string]: unknown;
}

const README_POLICY = readmeOperatorPolicy() as { Version: string; Statement: Statement[] };

const actionsOf = (statement: Statement): readonly string[] =>
  typeof statement.Action === 'string' ? [statement.Action] : statement.Action;

/** The README's policy without `action` (and without its statement when that was its only one). */
function policyWithout(sid: string, action: string): PolicyDocument {
  const statement = README_POLICY.Statement.find((s) => s.Sid === sid);
  if (statement === undefined || !actionsOf(statement).includes(action)) {
    throw new Error(`The README's operator policy has no ${action} in statement ${sid}`);
  }
  const rest = actionsOf(statement).filter((a) => a !== action);
  return {
    ...README_POLICY,
    Statement: README_POLICY.Statement.flatMap((s) =>
      s !== statement ? [s] : rest.length === 0 ? [] : [{ ...s, Action: rest }],
    ),
  };
}

let cli: CliWorld;
/** The emulator's authorization log: one line per denied call. */
const denials: string[] = [];
/** Denials of calls the CLI's operator session made. */
const operatorDenials = (): string[] =>
  denials.filter((line) =>
    line.includes(':assumed-role/api-key-rotator-operator/cli-test-operator '),
  );

beforeAll(async () => {
  cli = await startCliWorld({ authorizationLog: (line) => denials.push(line) });
});

afterEach(() => {
  cli.setOperatorPolicy(README_POLICY);
});

afterAll(async () => {
  await cli?.close();
});

/** A Poelis rotation with nothing staged fails at createSecret and leaves AWSPENDING. */
async function stuckPoelisSecret(): Promise<PoelisSlot> {
  const secret = await cli.poelisSecret();
  await cli.admin.secrets.send(new RotateSecretCommand({ SecretId: secret.secretArn }));
  await cli.world.aws.waitForRotations(secret.secretArn);
  return secret;
}

function pendingVersionId(secretArn: string): Promise<string | undefined> {
  return stuckPendingVersionId(cli.inspector.secrets, secretArn);
}

describe('the README policy, its role a reader in the config', () => {
  it('runs status, rotate --wait, stage, verify and recover on both vendors without one denial', async () => {
    const polytomic = await cli.polytomicSecret();
    const poelis = await cli.poelisSecret();
    const expectRun = async (
      argv: string[],
      exitCode: ExitCode,
      stdin?: string,
    ): Promise<CliRun> => {
      const run = await cli.run(argv, { stdin });
      expect({ argv, exitCode: run.exitCode }).toEqual({ argv, exitCode });
      return run;
    };

    await expectRun(['status'], ExitCode.Ok);
    await expectRun(['status', polytomic.secretArn, poelis.secretArn, '--json'], ExitCode.Ok);
    await expectRun(['verify', polytomic.secretArn], ExitCode.Ok);
    await expectRun(['rotate', polytomic.secretArn, '--wait'], ExitCode.Ok);
    await expectRun(['verify', polytomic.secretArn], ExitCode.Ok);
    const newKey = cli.world.poelis.admin.createKey(poelis.organizationId, 'Operator B');
    await expectRun(['stage', poelis.secretArn, '--name', 'Operator B'], ExitCode.Ok, newKey);
    await expectRun(['rotate', poelis.secretArn, '--wait'], ExitCode.Ok);
    cli.world.poelis.admin.revokeKey(poelis.organizationId, poelis.keyName);
    await expectRun(['verify', poelis.secretArn], ExitCode.Ok);

    // recover, Polytomic: re-issues the orphan with the partner key, which the operator may read.
    cli.world.polytomic.injectFault({ kind: 'status', status: 503, route: '/api/me', times: 50 });
    try {
      await expectRun(['rotate', polytomic.secretArn, '--wait'], ExitCode.Failed);
    } finally {
      cli.world.polytomic.clearFaults();
    }
    const recovered = await expectRun(['recover', polytomic.secretArn, '--yes'], ExitCode.Ok);
    expect(recovered.stdout).toContain('Recovered');
    // recover, Poelis: nothing staged, so the rotation stops at createSecret.
    await expectRun(['rotate', poelis.secretArn, '--wait'], ExitCode.Failed);
    await expectRun(['recover', poelis.secretArn, '--yes'], ExitCode.Ok);

    expect(operatorDenials()).toEqual([]);
  });
});

interface Need {
  readonly sid: string;
  readonly action: string;
  /** The command that needs the action, and how it ends without it. */
  readonly command: 'status' | 'rotate' | 'stage' | 'recover' | 'verify' | 'rollback' | 'onboard';
  readonly deniedExit: ExitCode;
  /** The command with the policy restored. */
  readonly allowedExit: ExitCode;
}

/** Every action of the README's policy, and the command that cannot run without it. */
const NEEDS: readonly Need[] = [
  {
    sid: 'OperateManagedSecrets',
    action: 'secretsmanager:ListSecretVersionIds',
    command: 'verify',
    // The audit's checks report what they could not read: a check that could not complete.
    deniedExit: ExitCode.Unavailable,
    allowedExit: ExitCode.Ok,
  },
  {
    sid: 'OperateManagedSecrets',
    action: 'secretsmanager:RotateSecret',
    command: 'rotate',
    deniedExit: ExitCode.NotFoundOrDenied,
    allowedExit: ExitCode.Ok,
  },
  {
    sid: 'OperateManagedSecrets',
    action: 'secretsmanager:PutSecretValue',
    command: 'stage',
    deniedExit: ExitCode.NotFoundOrDenied,
    allowedExit: ExitCode.Ok,
  },
  {
    sid: 'OperateManagedSecrets',
    action: 'secretsmanager:UpdateSecretVersionStage',
    command: 'recover',
    deniedExit: ExitCode.NotFoundOrDenied,
    allowedExit: ExitCode.Ok,
  },
  {
    sid: 'FindManagedSecrets',
    action: 'secretsmanager:ListSecrets',
    command: 'status',
    deniedExit: ExitCode.NotFoundOrDenied,
    allowedExit: ExitCode.Ok,
  },
  {
    sid: 'EncryptNewVersionsThroughSecretsManager',
    action: 'kms:GenerateDataKey',
    command: 'stage',
    deniedExit: ExitCode.NotFoundOrDenied,
    allowedExit: ExitCode.Ok,
  },
  {
    sid: 'CheckTheSecretsKey',
    action: 'kms:DescribeKey',
    command: 'verify',
    deniedExit: ExitCode.Unavailable,
    allowedExit: ExitCode.Ok,
  },
  {
    sid: 'StartRotations',
    action: 'lambda:InvokeFunction',
    command: 'rotate',
    deniedExit: ExitCode.NotFoundOrDenied,
    allowedExit: ExitCode.Ok,
  },
  {
    sid: 'StorePartnerKey',
    action: 'secretsmanager:PutSecretValue',
    command: 'onboard',
    deniedExit: ExitCode.NotFoundOrDenied,
    allowedExit: ExitCode.Ok,
  },
  {
    sid: 'AnnounceRollbacks',
    action: 'events:PutEvents',
    command: 'rollback',
    // The labels have moved when the event is refused: the rollback stands and says so.
    deniedExit: ExitCode.Ok,
    allowedExit: ExitCode.Ok,
  },
];

describe('the README policy minus one action', () => {
  it('lists each action once, so a policy that grows an unneeded action fails here', () => {
    const documented = README_POLICY.Statement.flatMap((s) =>
      actionsOf(s).map((action) => `${s.Sid} ${action}`),
    );
    expect(documented.sort()).toEqual(NEEDS.map((n) => `${n.sid} ${n.action}`).sort());
  });

  let polytomic: PolytomicSlot;
  let staging: PoelisSlot;
  let stuck: PoelisSlot;
  let rollable: PolytomicSlot;
  beforeAll(async () => {
    polytomic = await cli.polytomicSecret();
    staging = await cli.poelisSecret();
    stuck = await stuckPoelisSecret();
    // next-rotation keeps the previous key live: a rollback to it is allowed.
    rollable = await cli.polytomicSecret({ revokePrevious: 'next-rotation' });
    expect((await cli.run(['rotate', rollable.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
  });

  /** The command `need` is about, on a secret it can run on. */
  function runCommand(need: Need): Promise<CliRun> {
    switch (need.command) {
      case 'status':
        return cli.run(['status']);
      case 'rotate':
        return cli.run(['rotate', polytomic.secretArn, '--wait']);
      case 'verify':
        return cli.run(['verify', polytomic.secretArn]);
      case 'recover':
        return cli.run(['recover', stuck.secretArn, '--yes']);
      case 'rollback':
        return cli.run(['rollback', rollable.secretArn, '--yes']);
      case 'onboard': {
        // The secret's own organization and users (as Deploy step 3 made them): only the
        // partner key given on stdin is new, and storing it needs StorePartnerKey.
        const org = polytomic.organizationId;
        return cli.run(
          [
            'onboard',
            'polytomic',
            polytomic.secretArn,
            '--organization',
            org,
            '--user-email',
            `rotation-a+${org}@example.com`,
            '--standby-email',
            `rotation-b+${org}@example.com`,
            '--partner-key-stdin',
          ],
          { stdin: cli.world.polytomic.admin.createPartnerKey() },
        );
      }
      case 'stage': {
        const key = cli.world.poelis.admin.createKey(
          staging.organizationId,
          `Stage ${denials.length}`,
        );
        return cli.run(['stage', staging.secretArn], { stdin: key });
      }
    }
  }

  it.each(NEEDS)(
    'without $action ($sid), $command is refused; with it, $command runs',
    async (need) => {
      cli.setOperatorPolicy(policyWithout(need.sid, need.action));
      const before = operatorDenials().length;

      const refused = await runCommand(need);

      expect(refused.exitCode).toBe(need.deniedExit);
      expect(`${refused.stdout}${refused.stderr}`).toContain('AccessDeniedException');
      const denied = operatorDenials().slice(before);
      expect(denied).toEqual([expect.stringContaining(`denied ${need.action} to arn:aws:sts::`)]);
      expect(denied[0]).toContain('no statement in the identity-based policy allows it');

      cli.setOperatorPolicy(README_POLICY);
      const allowed = await runCommand(need);
      expect(allowed.exitCode).toBe(need.allowedExit);
      expect(operatorDenials().slice(before)).toHaveLength(1);
    },
  );
});

describe('the tag condition', () => {
  it('refuses writes to a secret the stack manages once it is untagged, and allows them again when tagged', async () => {
    const poelis = await cli.poelisSecret();
    await cli.admin.secrets.send(
      new UntagResourceCommand({ SecretId: poelis.secretArn, TagKeys: [MANAGED_TAG] }),
    );
    const key = cli.world.poelis.admin.createKey(poelis.organizationId, 'Untagged');
    const before = operatorDenials().length;

    // Reading is the resource policy's grant to its readers: the tag does not decide it.
    expect((await cli.run(['status', poelis.secretArn])).exitCode).toBe(ExitCode.Ok);
    const stage = await cli.run(['stage', poelis.secretArn], { stdin: key });
    expect(stage.exitCode).toBe(ExitCode.NotFoundOrDenied);
    expect(stage.stderr).toContain(
      'is not authorized to perform: secretsmanager:PutSecretValue on resource',
    );
    const rotate = await cli.run(['rotate', poelis.secretArn]);
    expect(rotate.exitCode).toBe(ExitCode.NotFoundOrDenied);
    expect(rotate.stderr).toContain('secretsmanager:RotateSecret');
    expect(operatorDenials().slice(before)).toEqual([
      expect.stringContaining('denied secretsmanager:PutSecretValue'),
      expect.stringContaining('denied secretsmanager:RotateSecret'),
    ]);

    await cli.admin.secrets.send(
      new TagResourceCommand({
        SecretId: poelis.secretArn,
        Tags: [{ Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE }],
      }),
    );
    const staged = await cli.run(['stage', poelis.secretArn], { stdin: key });
    expect(staged.exitCode).toBe(ExitCode.Ok);
    expect(staged.stdout).toContain(fingerprint(key));
  });

  it('reads no secret whose resource policy does not name the operator, tagged managed or not', async () => {
    const value = JSON.stringify({
      provider: 'poelis',
      apiKey: cli.world.poelis.admin.createKey(
        cli.world.poelis.admin.createOrganization('other team').id,
        'Other team',
      ),
      keyName: 'Other team',
      baseUrl: cli.world.urls.poelis,
    });
    for (const [name, tags] of [
      ['other-team/untagged', []],
      [
        'other-team/tagged',
        [
          { Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE },
          { Key: PROVIDER_TAG, Value: 'poelis' },
        ],
      ],
    ] as const) {
      const created = await cli.admin.secrets.send(
        new CreateSecretCommand({ Name: name, SecretString: value, Tags: [...tags] }),
      );
      const before = operatorDenials().length;

      const status = await cli.run(['status', created.ARN ?? name, '--json']);

      expect(status.exitCode).toBe(ExitCode.NotFoundOrDenied);
      expect(status.stdout).toContain('AccessDeniedException');
      expect(operatorDenials().slice(before)).toEqual([
        expect.stringContaining(`denied secretsmanager:DescribeSecret`),
      ]);
    }
  });
});

describe('the partner key', () => {
  it('lets the rotation function and the config’s partner-key readers read it, and nobody else', async () => {
    const partnerKeySecretArn = cli.stack.partnerKeySecretArn ?? '';
    const policy = await cli.admin.secrets.send(
      new GetResourcePolicyCommand({ SecretId: partnerKeySecretArn }),
    );
    expect(policy.ResourcePolicy).toContain(cli.stack.operatorRoleArn);
    await expect(
      cli.operator.secrets.send(
        new GetSecretValueCommand({ SecretId: partnerKeySecretArn, VersionStage: 'AWSCURRENT' }),
      ),
    ).resolves.toBeDefined();
    // Only AWSCURRENT, and only by naming it (secretsmanager:VersionStage).
    await expect(
      cli.operator.secrets.send(new GetSecretValueCommand({ SecretId: partnerKeySecretArn })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    // The audit reads every managed secret, but never the key that mints keys.
    await expect(
      cli.inspector.secrets.send(new GetSecretValueCommand({ SecretId: partnerKeySecretArn })),
    ).rejects.toThrow('with an explicit deny in a resource-based policy');
  });

  it('recover names partnerKey.readerRoleArns when it may not read the partner key, and changes nothing', async () => {
    const polytomic = await cli.polytomicSecret();
    cli.world.polytomic.injectFault({ kind: 'status', status: 503, route: '/api/me', times: 50 });
    try {
      expect((await cli.run(['rotate', polytomic.secretArn, '--wait'])).exitCode).toBe(
        ExitCode.Failed,
      );
    } finally {
      cli.world.polytomic.clearFaults();
    }
    const pendingId = await pendingVersionId(polytomic.secretArn);
    const session = cli.clientsAs(cli.stack.operatorRoleArn, 'not-a-partner-key-reader');
    cli.world.aws.denyAccess({
      action: 'secretsmanager:GetSecretValue',
      accessKeyId: session.credentials.accessKeyId,
      secretId: polytomic.partnerKeySecretArn,
    });
    try {
      const { exitCode, stderr } = await cli.run(['recover', polytomic.secretArn, '--yes'], {
        clients: session,
      });
      expect(exitCode).toBe(ExitCode.NotFoundOrDenied);
      expect(stderr).toContain(`Polytomic partner key ${polytomic.partnerKeySecretArn}`);
      expect(stderr).toContain('secretsmanager:GetSecretValue');
      expect(stderr).toContain('partnerKey.readerRoleArns');
      expect(stderr).toContain('AWSPENDING was left in place');
    } finally {
      cli.world.aws.clearAccessRules();
    }
    expect(await pendingVersionId(polytomic.secretArn)).toBe(pendingId);
    expect(pendingId).toBeDefined();
  });
});

describe('output', () => {
  it('never holds a key any simulator issued, in anything the commands above printed', () => {
    cli.scanner.expectClean();
  });
});
