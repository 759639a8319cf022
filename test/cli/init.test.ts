/**
 * `init` in the deployed local world, as the README's operator role: a Poelis key from stdin
 * becomes the secret's first value in one command; run again it changes nothing; `--replace`
 * keeps the old value as AWSPREVIOUS and says whether its key still works; a malformed, rejected
 * or misplaced key is a named error and writes nothing.
 */
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ExitCode } from '../../cli/exit-codes';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { startCliWorld, type CliWorld } from './support/cli-world';

let cli: CliWorld;
let organizationId: string;
const slots: string[] = [];

beforeAll(async () => {
  cli = await startCliWorld();
  organizationId = cli.world.poelis.admin.createOrganization('Init').id;
  cli.world.poelis.admin.createWorkspace(organizationId, 'Main');
  slots.push(
    ...cli.stack.config.secrets
      .filter((secret) => secret.provider === 'poelis')
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
  if (name === undefined) throw new Error('No Poelis slot left in the CLI stack config');
  return { name, arn: cli.stack.secretArns[name] };
}

const newKey = (name: string): string => cli.world.poelis.admin.createKey(organizationId, name);

async function value(secretArn: string, stage = 'AWSCURRENT'): Promise<Record<string, string>> {
  const output = await cli.inspector.secrets.send(
    new GetSecretValueCommand({ SecretId: secretArn, VersionStage: stage }),
  );
  return JSON.parse(output.SecretString ?? '{}') as Record<string, string>;
}

async function versions(secretArn: string): Promise<Record<string, string[]>> {
  const described = await cli.admin.secrets.send(
    new DescribeSecretCommand({ SecretId: secretArn }),
  );
  return described.VersionIdsToStages ?? {};
}

describe('init', () => {
  it('puts the first key from stdin, run again changes nothing, and the secret rotates', async () => {
    const secret = slot();
    const key = newKey('Production A');
    const argv = ['init', secret.name, '--name', 'Production A', '--json'];

    const run = await cli.run(argv, { stdin: `${key}\n` });
    expect(run.exitCode).toBe(ExitCode.Ok);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({
      outcome: 'written',
      provider: 'poelis',
      key: { fingerprint: fingerprint(key), keyName: 'Production A' },
      replacedKey: null,
    });
    expect(await value(secret.arn)).toEqual({
      provider: 'poelis',
      apiKey: key,
      keyName: 'Production A',
      baseUrl: cli.world.urls.poelis,
    });

    const again = await cli.run(argv, { stdin: key });
    expect(again.exitCode).toBe(ExitCode.Ok);
    expect(JSON.parse(again.stdout)).toMatchObject({
      outcome: 'unchanged',
      versionId: result.versionId,
    });

    // The assisted rotation takes it from here.
    const next = newKey('Production B');
    expect(
      (await cli.run(['stage', secret.name, '--name', 'Production B'], { stdin: next })).exitCode,
    ).toBe(ExitCode.Ok);
    expect((await cli.run(['rotate', secret.name, '--wait'])).exitCode).toBe(ExitCode.Ok);
    expect((await value(secret.arn)).apiKey).toBe(next);
  });

  it('prompts without echo on a terminal, in plain text', async () => {
    const secret = slot();
    const key = newKey('Terminal');
    const run = await cli.run(['init', secret.name, '--name', 'Terminal'], {
      stdin: `${key}\r`,
      tty: true,
    });
    expect(run.exitCode).toBe(ExitCode.Ok);
    expect(run.stderr).toContain('Paste the Poelis API key (not shown)');
    expect(run.stdout).toContain(`Put Poelis key "Terminal" (${fingerprint(key)})`);
    expect(`${run.stdout}${run.stderr}`).not.toContain(key);
  });

  it('refuses a secret that holds another key; --replace keeps it as AWSPREVIOUS and says it is live', async () => {
    const secret = slot();
    const first = newKey('First');
    await cli.run(['init', secret.name, '--name', 'First'], { stdin: first });
    const before = await versions(secret.arn);

    const second = newKey('Second');
    const refused = await cli.run(['init', secret.name, '--name', 'Second'], { stdin: second });
    expect(refused.exitCode).toBe(ExitCode.Usage);
    expect(refused.stderr).toContain(`already holds Poelis key ${fingerprint(first)}`);
    expect(await versions(secret.arn)).toEqual(before);

    const replaced = await cli.run(
      ['init', secret.name, '--name', 'Second', '--replace', '--json'],
      {
        stdin: second,
      },
    );
    expect(replaced.exitCode).toBe(ExitCode.Ok);
    expect(JSON.parse(replaced.stdout)).toMatchObject({
      outcome: 'written',
      replacedKey: { fingerprint: fingerprint(first), keyName: 'First', status: 'live' },
    });
    expect((await value(secret.arn, 'AWSPREVIOUS')).apiKey).toBe(first);
    expect((await value(secret.arn)).apiKey).toBe(second);

    // Revoked in the web app: a replace reports it dead.
    cli.world.poelis.admin.revokeKey(organizationId, 'Second');
    const third = newKey('Third');
    const plain = await cli.run(['init', secret.name, '--name', 'Third', '--replace'], {
      stdin: third,
    });
    expect(plain.stdout).toContain(
      `"Second" (${fingerprint(second)}) is kept as AWSPREVIOUS; Poelis no longer accepts it (401)`,
    );
  });
});

describe('init: bad input is a named error and writes nothing', () => {
  let secret: { name: string; arn: string };
  let untouched: Record<string, string[]>;

  beforeAll(async () => {
    secret = slot();
    untouched = await versions(secret.arn);
  });

  afterEach(async () => {
    expect(await versions(secret.arn)).toEqual(untouched);
  });

  it.each([
    ['MalformedKeyError', 'not-a-poelis-key'],
    ['MalformedKeyError', 'poelis_api_short'],
    ['MalformedKeyError', 'poelis_api_abcdefghijklmnop\tqrstuvwxyz'],
    ['KeyMissingError', ''],
  ])('%s', async (name, stdin) => {
    const run = await cli.run(['init', secret.name, '--name', 'X', '--json'], { stdin });
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.stdout).toContain(name);
  });

  it('KeyRejectedError for a key Poelis does not accept', async () => {
    const key = newKey('Revoked');
    cli.world.poelis.admin.revokeKey(organizationId, 'Revoked');
    const run = await cli.run(['init', secret.name, '--name', 'Revoked'], { stdin: key });
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.stderr).toContain(
      `Poelis rejected the key "Revoked" (${fingerprint(key)}) (status 401)`,
    );
  });

  it('a control character in --name is refused before anything is read', async () => {
    const run = await cli.run(['init', secret.name, '--name', 'bad\u001b[31m'], {
      stdin: newKey('N'),
    });
    expect(run.exitCode).toBe(ExitCode.Usage);
  });

  it('WrongProviderError for a Polytomic secret', async () => {
    const polytomic = cli.stack.config.secrets.find(
      (candidate) => candidate.provider === 'polytomic',
    );
    const run = await cli.run(['init', polytomic?.name ?? '', '--name', 'X'], {
      stdin: newKey('P'),
    });
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.stderr).toContain('its keys are issued by the vendor');
  });
});
