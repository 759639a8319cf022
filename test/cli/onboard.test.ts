/**
 * `onboard polytomic` in the deployed local world, as the README's operator role: from a stack
 * that holds only placeholders and a partner key to a rotating Polytomic secret in one command;
 * run again it changes nothing; `--replace` keeps the old value as AWSPREVIOUS and says whether
 * its key still works; every bad input is a named error and writes nothing.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { ExitCode } from '../../cli/exit-codes';
import { fingerprint } from '../../lambda/shared/fingerprint';
import type { PolicyDocument } from '../../local/aws/authorization';
import {
  readmeOperatorPolicy,
  startCliWorld,
  type CliRun,
  type CliWorld,
} from './support/cli-world';

let cli: CliWorld;
let partnerKeySecretArn: string;
/** Fresh Polytomic slots of the CLI stack, each still holding the deploy-time placeholder. */
const slots: string[] = [];

beforeAll(async () => {
  cli = await startCliWorld();
  const arn = cli.stack.partnerKeySecretArn;
  if (arn === undefined) throw new Error('The CLI stack has no partner-key secret');
  partnerKeySecretArn = arn;
  // Deploy step 3's partner key, as the administrator puts it.
  await cli.admin.secrets.send(
    new PutSecretValueCommand({
      SecretId: partnerKeySecretArn,
      SecretString: JSON.stringify({ partnerKey: cli.world.polytomic.admin.createPartnerKey() }),
    }),
  );
  slots.push(
    ...cli.stack.config.secrets
      .filter((secret) => secret.provider === 'polytomic' && !secret.name.endsWith('weekly'))
      .map((secret) => secret.name),
  );
  // A changed lib/ or lambda/ means a new `cdk synth`: minutes on a busy machine.
}, 600_000);

afterAll(async () => {
  cli?.scanner.expectClean();
  await cli?.close();
});

function slot(): { name: string; arn: string } {
  const name = slots.shift();
  if (name === undefined) throw new Error('No Polytomic slot left in the CLI stack config');
  return { name, arn: cli.stack.secretArns[name] };
}

async function currentValue(secretArn: string): Promise<Record<string, string>> {
  const output = await cli.inspector.secrets.send(
    new GetSecretValueCommand({ SecretId: secretArn }),
  );
  return JSON.parse(output.SecretString ?? '{}') as Record<string, string>;
}

async function versions(secretArn: string): Promise<Record<string, string[]>> {
  const described = await cli.admin.secrets.send(
    new DescribeSecretCommand({ SecretId: secretArn }),
  );
  return described.VersionIdsToStages ?? {};
}

const unique = (): string => randomUUID().slice(0, 8);
const emails = (tag: string): string[] => [
  '--user-email',
  `rotation-a+${tag}@acme.example`,
  '--standby-email',
  `rotation-b+${tag}@acme.example`,
];

function json(run: CliRun): Record<string, unknown> {
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

interface OnboardJson {
  outcome: string;
  versionId: string;
  organization: { id: string; created: boolean };
  users: {
    primary: { id: string; email: string; role: string; created: boolean };
    standby: { id: string; email: string; role: string; created: boolean };
  };
  key: { fingerprint: string } | null;
  replacedKey: { fingerprint: string; status: string } | null;
}

const organizationCount = (): number =>
  (cli.world.polytomic.admin as unknown as { listOrganizations(): unknown[] }).listOrganizations()
    .length;
const liveKeysOf = (userId: string): number => cli.world.polytomic.admin.liveKeysOf(userId).length;

describe('onboard polytomic', () => {
  it('creates the organization and both users, mints and verifies the first key, and the secret rotates', async () => {
    const secret = slot();
    const tag = unique();
    const argv = [
      'onboard',
      'polytomic',
      secret.name,
      '--create-organization',
      `Acme ${tag}`,
      ...emails(tag),
      '--json',
    ];
    const run = await cli.run(argv);
    expect(run.exitCode).toBe(ExitCode.Ok);
    const result = json(run) as unknown as OnboardJson;
    expect(result).toMatchObject({
      outcome: 'written',
      organization: { created: true },
      users: {
        primary: { email: `rotation-a+${tag}@acme.example`, role: 'viewer', created: true },
        standby: { email: `rotation-b+${tag}@acme.example`, role: 'viewer', created: true },
      },
      replacedKey: null,
    });

    const value = await currentValue(secret.arn);
    const { apiKey, ...fields } = value;
    expect(apiKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(fields).toEqual({
      provider: 'polytomic',
      organizationId: result.organization.id,
      userId: result.users.primary.id,
      standbyUserId: result.users.standby.id,
      baseUrl: cli.world.urls.polytomic,
      apiVersion: '2025-09-18',
      partnerKeySecretId: partnerKeySecretArn,
    });
    expect(result.key).toEqual({ fingerprint: fingerprint(value.apiKey) });
    expect(cli.world.polytomic.admin.keyStatus(value.apiKey)).toBe('live');
    expect(liveKeysOf(result.users.primary.id)).toBe(1);
    expect(liveKeysOf(result.users.standby.id)).toBe(0);
    // The deploy-time placeholder is kept as AWSPREVIOUS, as after any put.
    expect(Object.values(await versions(secret.arn)).sort()).toEqual([
      ['AWSCURRENT'],
      ['AWSPREVIOUS'],
    ]);

    // Run again: nothing is created, minted or written.
    const organizations = organizationCount();
    const again = await cli.run(argv);
    expect(again.exitCode).toBe(ExitCode.Ok);
    expect(json(again)).toMatchObject({
      outcome: 'unchanged',
      versionId: result.versionId,
      organization: { id: result.organization.id, created: false },
      users: { primary: { created: false }, standby: { created: false } },
    });
    expect(organizationCount()).toBe(organizations);
    expect(await currentValue(secret.arn)).toEqual(value);
    expect(cli.world.polytomic.admin.keyStatus(value.apiKey)).toBe('live');

    // The secret rotates: the standby user's key becomes current, the first key is revoked.
    const rotation = await cli.run(['rotate', secret.name, '--wait', '--json']);
    expect(rotation.exitCode).toBe(ExitCode.Ok);
    const rotated = await currentValue(secret.arn);
    expect(rotated.userId).toBe(result.users.standby.id);
    expect(cli.world.polytomic.admin.keyStatus(rotated.apiKey)).toBe('live');
    expect(cli.world.polytomic.admin.keyStatus(value.apiKey)).toBe('revoked');
  });

  it('uses an existing organization and finds a user that exists, in plain text', async () => {
    const secret = slot();
    const tag = unique();
    const organization = cli.world.polytomic.admin.createOrganization(`Existing ${tag}`);
    const existing = cli.world.polytomic.admin.createUser(
      organization.id,
      `rotation-a+${tag}@acme.example`,
      'editor',
    );
    const run = await cli.run([
      'onboard',
      'polytomic',
      secret.name,
      '--organization',
      organization.id,
      ...emails(tag),
    ]);
    expect(run.exitCode).toBe(ExitCode.Ok);
    expect(run.stdout).toContain(`Organization ${organization.id} found`);
    expect(run.stdout).toContain(
      `rotation-a+${tag}@acme.example (${existing.id}, role editor, found)`,
    );
    expect(run.stdout).toMatch(/standby user rotation-b\+.* role viewer, created/);
    const value = await currentValue(secret.arn);
    expect(value.userId).toBe(existing.id);
    expect(run.stdout).toContain(fingerprint(value.apiKey));
    expect(run.stdout).not.toContain(value.apiKey);
  });

  it('refuses a secret that holds another key, and --replace keeps it as AWSPREVIOUS and says it is revoked', async () => {
    const secret = slot();
    const tag = unique();
    const base = ['onboard', 'polytomic', secret.name, '--create-organization', `Replace ${tag}`];
    const first = json(
      await cli.run([...base, ...emails(tag), '--json']),
    ) as unknown as OnboardJson;
    const firstValue = await currentValue(secret.arn);
    const before = await versions(secret.arn);

    // Other users: the secret's key is not theirs, so this is no repeat of the first run.
    const other = unique();
    const refused = await cli.run([...base, ...emails(other)]);
    expect(refused.exitCode).toBe(ExitCode.Usage);
    expect(refused.stderr).toContain(
      `already holds Polytomic key ${fingerprint(firstValue.apiKey)}`,
    );
    expect(refused.stderr).toContain('--replace');
    expect(await versions(secret.arn)).toEqual(before);

    // The same users with --replace: a forced re-issue for the primary user kills the old key.
    const replaced = json(
      await cli.run([...base, ...emails(tag), '--replace', '--json']),
    ) as unknown as OnboardJson;
    expect(replaced).toMatchObject({
      outcome: 'written',
      users: { primary: { id: first.users.primary.id } },
      replacedKey: { fingerprint: fingerprint(firstValue.apiKey), status: 'revoked' },
    });
    const previous = await cli.inspector.secrets.send(
      new GetSecretValueCommand({ SecretId: secret.arn, VersionStage: 'AWSPREVIOUS' }),
    );
    expect(JSON.parse(previous.SecretString ?? '{}')).toEqual(firstValue);
    expect(liveKeysOf(first.users.primary.id)).toBe(1);
  });

  it('says when a replaced key is still live (another user)', async () => {
    const secret = slot();
    const tag = unique();
    const base = ['onboard', 'polytomic', secret.name, '--create-organization', `Live ${tag}`];
    await cli.run([...base, ...emails(tag)]);
    const old = await currentValue(secret.arn);
    const other = unique();
    const run = await cli.run([...base, ...emails(other), '--replace']);
    expect(run.exitCode).toBe(ExitCode.Ok);
    expect(run.stdout).toContain(
      `The replaced key ${fingerprint(old.apiKey)} is kept as AWSPREVIOUS and is STILL LIVE`,
    );
    expect(run.stdout).toContain(`whom this secret no longer uses`);
  });
});

describe('onboard polytomic --partner-key-stdin', () => {
  const readme = readmeOperatorPolicy() as { Version: string; Statement: { Sid: string }[] };
  const withoutStorePartnerKey: PolicyDocument = {
    ...readme,
    Statement: readme.Statement.filter((statement) => statement.Sid !== 'StorePartnerKey'),
  };

  afterEach(() => cli.setOperatorPolicy(readme));

  async function partnerKeyVersions(): Promise<Record<string, string[]>> {
    return versions(partnerKeySecretArn);
  }

  it("stores the partner key given once on stdin, and needs the README's StorePartnerKey to", async () => {
    const newPartnerKey = cli.world.polytomic.admin.createPartnerKey();
    const tag = unique();
    const secret = slot();
    const argv = [
      'onboard',
      'polytomic',
      secret.name,
      '--create-organization',
      `Stdin ${tag}`,
      ...emails(tag),
      '--partner-key-stdin',
    ];
    expect(readme.Statement.map((statement) => statement.Sid)).toContain('StorePartnerKey');

    // Without the statement the write is refused: the operator's policy is the only grant.
    cli.setOperatorPolicy(withoutStorePartnerKey);
    const before = await partnerKeyVersions();
    const secretBefore = await versions(secret.arn);
    const denied = await cli.run(argv, { stdin: `${newPartnerKey}\n` });
    expect(denied.exitCode).toBe(ExitCode.NotFoundOrDenied);
    expect(denied.stderr).toContain('secretsmanager:PutSecretValue');
    expect(await partnerKeyVersions()).toEqual(before);
    expect(await versions(secret.arn)).toEqual(secretBefore);

    cli.setOperatorPolicy(readme);
    const stored = await cli.run(argv, { stdin: `${newPartnerKey}\n` });
    expect(stored.exitCode).toBe(ExitCode.Ok);
    expect(stored.stdout).toContain(`Stored the partner key in ${partnerKeySecretArn}`);
    const partner = await cli.inspector.secrets
      .send(
        new GetSecretValueCommand({ SecretId: partnerKeySecretArn, VersionStage: 'AWSCURRENT' }),
      )
      .catch(() => undefined);
    // The audit role may not read the partner key; the rotation's next issue proves it instead.
    expect(partner).toBeUndefined();
    const rotation = await cli.run(['rotate', secret.name, '--wait']);
    expect(rotation.exitCode).toBe(ExitCode.Ok);

    // Given again, the same key is not stored twice.
    const again = await cli.run(argv, { stdin: newPartnerKey });
    expect(again.exitCode).toBe(ExitCode.Ok);
    expect(again.stdout).not.toContain('Stored the partner key');
  });
});

describe('onboard polytomic: bad input is a named error and writes nothing', () => {
  let secret: { name: string; arn: string };
  let untouched: Record<string, string[]>;

  beforeAll(async () => {
    secret = slot();
    untouched = await versions(secret.arn);
  });

  afterEach(async () => {
    cli.world.polytomic.clearFaults();
    expect(await versions(secret.arn)).toEqual(untouched);
  });

  const onboard = (...args: string[]): Promise<CliRun> =>
    cli.run(['onboard', 'polytomic', secret.name, ...args]);

  it.each([
    ['OrganizationChoiceError', ['--organization', 'org-1', '--create-organization', 'X']],
    ['OrganizationChoiceError', []],
    [
      'InvalidEmailError',
      ['--create-organization', 'X', '--user-email', 'nobody', '--standby-email', 'b@acme.example'],
    ],
    [
      'SameEmailError',
      [
        '--create-organization',
        'X',
        '--user-email',
        'A@acme.example',
        '--standby-email',
        'a@acme.example',
      ],
    ],
    ['InvalidRoleError', ['--create-organization', 'X', ...emails('r'), '--role', 'Root!']],
  ])('%s', async (name, args) => {
    const organizations = organizationCount();
    const run = await onboard(
      ...args,
      ...(args.includes('--user-email') ? [] : emails('x')),
      '--json',
    );
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(`${run.stdout}${run.stderr}`).toContain(name);
    expect(organizationCount()).toBe(organizations);
  });

  it('UnknownOrganizationError for an organization the partner does not have', async () => {
    const run = await onboard('--organization', randomUUID(), ...emails(unique()));
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.stderr).toContain('has no organization');
    expect(run.stderr).toContain('--create-organization');
  });

  it('UserInOtherOrganizationError for an email of another organization', async () => {
    const tag = unique();
    const elsewhere = cli.world.polytomic.admin.createOrganization(`Elsewhere ${tag}`);
    cli.world.polytomic.admin.createUser(elsewhere.id, `taken+${tag}@acme.example`);
    const run = await onboard(
      '--create-organization',
      `Mine ${tag}`,
      '--user-email',
      `taken+${tag}@acme.example`,
      '--standby-email',
      `free+${tag}@acme.example`,
    );
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.stderr).toContain(
      `taken+${tag}@acme.example is a Polytomic user of another organization`,
    );
  });

  it('UserHasKeyError for a user whose live key the secret does not hold', async () => {
    const tag = unique();
    const organization = cli.world.polytomic.admin.createOrganization(`Keyed ${tag}`);
    const user = cli.world.polytomic.admin.createUser(
      organization.id,
      `rotation-a+${tag}@acme.example`,
    );
    const key = cli.world.polytomic.admin.issueUserKey(organization.id, user.id);
    const run = await onboard('--organization', organization.id, ...emails(tag));
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.stderr).toContain('already has a live API key');
    expect(cli.world.polytomic.admin.keyStatus(key)).toBe('live');
  });

  it('PartnerKeyRejectedError for a partner key Polytomic does not know', async () => {
    const run = await cli.run(
      [
        'onboard',
        'polytomic',
        secret.name,
        '--create-organization',
        'X',
        ...emails('p'),
        '--partner-key-stdin',
        '--json',
      ],
      { stdin: `${randomUUID()}\n` },
    );
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.stdout).toContain('PartnerKeyRejectedError');
  });

  it("NotAPartnerKeyError for a user's key given as the partner key", async () => {
    const organization = cli.world.polytomic.admin.createOrganization(`User key ${unique()}`);
    const user = cli.world.polytomic.admin.createUser(
      organization.id,
      `u+${unique()}@acme.example`,
    );
    const userKey = cli.world.polytomic.admin.issueUserKey(organization.id, user.id);
    const piped = await cli.run(
      [
        'onboard',
        'polytomic',
        secret.name,
        '--create-organization',
        'X',
        ...emails('n'),
        '--partner-key-stdin',
      ],
      { stdin: userKey },
    );
    expect(piped.exitCode).toBe(ExitCode.Usage);
    expect(piped.stderr).toContain(
      "is a Polytomic user's or organization's API key, not a partner key",
    );
  });

  it('IdentityMismatchError for a key Polytomic says is another principal, which is revoked', async () => {
    const tag = unique();
    // The partner check takes the first fault (no effect); the new key's check the second.
    cli.world.polytomic.injectFault({ kind: 'latency', route: '/api/me', latencyMs: 0 });
    cli.world.polytomic.injectFault({
      kind: 'reflect-auth',
      route: '/api/me',
      reflected: 'someone-else',
    });
    const run = await onboard('--create-organization', `Wrong ${tag}`, ...emails(tag));
    expect(run.exitCode).toBe(ExitCode.Failed);
    expect(run.stderr).toContain('IdentityMismatchError');
    // The minted key was replaced by a forced re-issue whose value was dropped unseen.
    const users = cli.world.polytomic.ledger().filter((entry) => entry.kind === 'user');
    const { userId } = users[users.length - 1];
    const keys = users.filter((entry) => entry.userId === userId);
    expect(keys.map((entry) => [entry.status, entry.revokedBy])).toEqual([
      ['revoked', 'force-reissue'],
      ['live', undefined],
    ]);
  });

  it('a malformed key from Polytomic is never stored and is revoked', async () => {
    const tag = unique();
    cli.world.polytomic.injectFault({
      kind: 'issued-value',
      route: '/api/organizations/:org/users/:user/keys',
      value: 'not a header value',
    });
    const run = await onboard('--create-organization', `Malformed ${tag}`, ...emails(tag));
    expect(run.exitCode).toBe(ExitCode.Failed);
    expect(run.stderr).toContain('VendorResponseError');
    expect(cli.world.polytomic.admin.keyStatus('not a header value')).toBe('revoked');
  });

  it('WrongProviderError for a Poelis secret', async () => {
    const poelis = cli.stack.config.secrets.find((candidate) => candidate.provider === 'poelis');
    const run = await cli.run([
      'onboard',
      'polytomic',
      poelis?.name ?? '',
      '--create-organization',
      'X',
      ...emails('w'),
    ]);
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.stderr).toContain('is a poelis secret, not a Polytomic one');
  });
});
