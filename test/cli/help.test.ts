/** `--help` on every command, and usage errors: no AWS call is made, so no world is started. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CliDependencies } from '../../cli/dependencies';
import { ExitCode } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { noRotationHistory } from '../../cli/rotation-history';
import { HttpClient } from '../../lambda/http/client';

const COMMANDS = ['status', 'rotate', 'stage', 'recover', 'verify'];

async function run(
  argv: readonly string[],
): Promise<{ exitCode: ExitCode; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let awsCalls = 0;
  const secretsManager = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'none', secretAccessKey: 'none' },
  });
  // Any call is counted and refused before it is signed or sent.
  secretsManager.middlewareStack.add(
    () => () => {
      awsCalls += 1;
      return Promise.reject(new Error('no AWS call is expected'));
    },
    { step: 'initialize', name: 'refuseAwsCalls' },
  );
  const deps: CliDependencies = {
    io: {
      stdin: Readable.from([]),
      stdout: { write: (text: string) => stdout.push(text) },
      stderr: { write: (text: string) => stderr.push(text) },
    },
    env: {},
    secretsManager,
    kms: { send: () => Promise.reject(new Error('no AWS call is expected')) },
    vendorHttp: () => new HttpClient({ policy: { allowedOrigins: [], allowLoopbackHttp: false } }),
    history: noRotationHistory,
    now: Date.now,
    sleep: () => Promise.resolve(),
  };
  const exitCode = await runCli(argv, deps).finally(() => secretsManager.destroy());
  expect(awsCalls).toBe(0);
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
}

describe('--help', () => {
  it('lists every command and documents the exit codes and AWS settings', async () => {
    const { exitCode, stdout } = await run(['--help']);
    expect(exitCode).toBe(ExitCode.Ok);
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(stdout).toContain('Exit codes:');
    expect(stdout).toMatch(
      /^ {2}2 {2}usage or configuration: .*\n.*no AWS region \(set AWS_REGION/m,
    );
    expect(stdout).toMatch(
      /^ {2}3 {2}the secret does not exist, AWS refused access, or no usable AWS credentials/m,
    );
    expect(stdout).toContain('{"ok":false,"error":{"name","message","exitCode","hint"}}');
    expect(stdout).toContain('AWS_ENDPOINT_URL');
    expect(stdout).toContain('fingerprint');
  });

  it.each(COMMANDS)('is available for %s, with its arguments and --json', async (command) => {
    const { exitCode, stdout } = await run([command, '--help']);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toContain(`Usage: api-key-rotator ${command} [options]`);
    expect(stdout).toContain('--json');
  });

  it('documents the options that change what the commands do', async () => {
    expect((await run(['rotate', '--help'])).stdout).toMatch(
      /--wait[\s\S]*--timeout <seconds>[\s\S]*--interval/,
    );
    const stage = (await run(['stage', '--help'])).stdout;
    expect(stage).toContain('--name <keyName>');
    expect(stage).toContain('read from stdin only, never from arguments');
    expect((await run(['recover', '--help'])).stdout).toContain('-y, --yes');
  });
});

describe('--version', () => {
  it("prints package.json's version and exits 0", async () => {
    const { version } = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'),
    ) as { version: string };
    for (const flag of ['--version', '-V']) {
      const { exitCode, stdout } = await run([flag]);
      expect(exitCode).toBe(ExitCode.Ok);
      expect(stdout).toBe(`${version}\n`);
    }
  });
});

describe('usage errors', () => {
  it.each([
    [['bogus'], "unknown command 'bogus'"],
    [['rotate'], "missing required argument 'secret'"],
    [['status', '--bogus'], "unknown option '--bogus'"],
    [['rotate', 'x', '--interval', '0'], 'must be a positive number of seconds'],
  ])('%j exits 2 and points at --help', async (argv, message) => {
    const { exitCode, stderr } = await run(argv);
    expect(exitCode).toBe(ExitCode.Usage);
    expect(stderr).toContain(message);
    expect(stderr).toContain('--help');
  });

  it.each([
    [['bogus', '--json'], "unknown command 'bogus'"],
    [['rotate', '--json'], "missing required argument 'secret'"],
    [['status', '--json', '--bogus'], "unknown option '--bogus'"],
  ])('%j prints the JSON error document on stdout, and exits 2', async (argv, message) => {
    const { exitCode, stdout } = await run(argv);
    expect(exitCode).toBe(ExitCode.Usage);
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      error: {
        name: 'UsageError',
        message: expect.stringContaining(message) as unknown,
        exitCode: ExitCode.Usage,
        hint: 'Run with --help for usage.',
      },
    });
  });

  it('after --, --json is an argument, not the option', async () => {
    const { exitCode, stdout } = await run(['bogus', '--', '--json']);
    expect(exitCode).toBe(ExitCode.Usage);
    expect(stdout).toBe('');
  });
});
