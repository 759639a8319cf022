/**
 * The bundled binary (dist/cli/index.js, built by `npm run bundle`) run as a process against
 * the deployed local world, configured only through the SDK's standard variables (the operator
 * role's session credentials among them) and the rotator's own.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ExitCode } from '../../cli/exit-codes';
import { fingerprint } from '../../lambda/shared/fingerprint';
import type { SessionCredentials } from '../../local/aws/iam';
import { startCliWorld, type CliWorld } from './support/cli-world';

const BINARY = join(__dirname, '..', '..', 'dist', 'cli', 'index.js');

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
  const child = spawn(process.execPath, [BINARY, ...argv], {
    env: {
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL: cli.world.urls.aws,
      AWS_REGION: cli.world.aws.region,
      AWS_ACCESS_KEY_ID: operator.accessKeyId,
      AWS_SECRET_ACCESS_KEY: operator.secretAccessKey,
      AWS_SESSION_TOKEN: operator.sessionToken,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...cli.environment,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
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

it('stages, rotates, verifies and reports a Poelis secret, with exit codes the shell sees', async () => {
  const secret = await cli.poelisSecret();
  const { name } = secret;
  const newKey = cli.world.poelis.admin.createKey(secret.organizationId, 'Binary B');

  const staged = await runBinary(['stage', name, '--name', 'Binary B'], `${newKey}\n`);
  expect(staged).toMatchObject({ exitCode: ExitCode.Ok, stderr: '' });
  expect(staged.stdout).toContain(fingerprint(newKey));

  const rotated = await runBinary(['rotate', name, '--wait', '--interval', '0.1']);
  expect(rotated.exitCode).toBe(ExitCode.Ok);
  // The emulator's history is found at the loopback AWS_ENDPOINT_URL: steps show as they finish.
  expect(rotated.stderr).toContain('testSecret done');
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
    expect.objectContaining({ name, lastFailureKnown: true, lastFailure: null }),
  ]);
  // Not a terminal: no colour codes.
  expect((await runBinary(['status'])).stdout).not.toContain('\u001b[');
});

it('exits 3 for an unknown secret and 2 for a usage error', async () => {
  const unknown = await runBinary(['status', 'no/such/secret', '--json']);
  expect(unknown.exitCode).toBe(ExitCode.NotFoundOrDenied);
  const usage = await runBinary(['stage']);
  expect(usage.exitCode).toBe(ExitCode.Usage);
});

it('printed no key any simulator issued', () => {
  cli.scanner.expectClean();
});
