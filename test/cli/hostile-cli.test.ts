/**
 * Hostile command lines and hostile answers: a key pasted into the wrong place is never repeated,
 * control characters in names and messages never reach the terminal raw, and numeric options are
 * bounded. The CLI runs in-process; AWS answers come from a stub on the SDK client's middleware
 * stack, so no world is started.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Readable } from 'node:stream';
import type { CliDependencies } from '../../cli/dependencies';
import { ExitCode } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { noRotationHistory } from '../../cli/rotation-history';
import { HttpClient } from '../../lambda/http/client';
import { MANAGED_TAG, MANAGED_TAG_VALUE } from '../../lambda/shared/contracts';

/** Key-shaped, obviously fake: the Poelis prefix and a filler no vendor issues. */
const PASTED_KEY = `poelis_api_${'TESTONLY'.repeat(5)}`;
/** Polytomic keys are UUIDs; this one is all zeros but for its last digit. */
const PASTED_UUID_KEY = '00000000-0000-0000-0000-000000000001';
/** What a hostile name carries: a colour change, a line break and a window-title sequence. */
const ANSI_NAME = '\u001b[31mX\n\u001b]0;owned\u0007';
const BIDI_NAME = 'prod/\u202egnp.exe';
/** Every character no terminal should receive raw from a value (newline and tab aside). */
const RAW_CONTROL =
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

type AwsAnswer = (command: string, input: Record<string, unknown>) => unknown;

interface Run {
  readonly exitCode: ExitCode;
  readonly stdout: string;
  readonly stderr: string;
  readonly awsCalls: string[];
}

async function run(
  argv: readonly string[],
  options: { answer?: AwsAnswer; tty?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const awsCalls: string[] = [];
  const secretsManager = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'none', secretAccessKey: 'none' },
  });
  const answer = options.answer ?? (() => Promise.reject(new Error('no AWS call is expected')));
  // Every call is answered here, before it is signed or sent.
  secretsManager.middlewareStack.add(
    (_next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      awsCalls.push(command);
      const output = (await answer(command, args.input as Record<string, unknown>)) as object;
      return { output: { $metadata: {}, ...output }, response: {} };
    },
    { step: 'initialize', name: 'stubAws' },
  );
  const tty = options.tty === true;
  const deps: CliDependencies = {
    io: {
      stdin: Object.assign(Readable.from([]), { isTTY: false }),
      stdout: { write: (text: string) => stdout.push(text), isTTY: tty },
      stderr: { write: (text: string) => stderr.push(text), isTTY: tty },
    },
    env: options.env ?? {},
    secretsManager,
    kms: { send: () => Promise.reject(new Error('no KMS call is expected')) },
    vendorHttp: () => new HttpClient({ policy: { allowedOrigins: [], allowLoopbackHttp: false } }),
    history: noRotationHistory,
    now: Date.now,
    sleep: () => Promise.resolve(),
  };
  const exitCode = await runCli(argv, deps).finally(() => secretsManager.destroy());
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join(''), awsCalls };
}

/** An AWS error as the SDK raises it, with a message an AWS-compatible endpoint chose. */
function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

function expectNoKeyAndNoControls(result: Run): void {
  const output = `${result.stdout}${result.stderr}`;
  expect(output).not.toContain(PASTED_KEY);
  expect(output).not.toContain('TESTONLY');
  expect(output).not.toContain(PASTED_UUID_KEY);
  expect(output).not.toMatch(RAW_CONTROL);
}

describe('a key pasted into an option is never repeated', () => {
  it.each(['status', 'rotate', 'stage', 'recover', 'verify'])(
    '%s --key=<key> names --key only, exits 2, calls nothing',
    async (command) => {
      const result = await run([command, 'prod/poelis', `--key=${PASTED_KEY}`]);
      expect(result.exitCode).toBe(ExitCode.Usage);
      expect(result.stderr).toContain("unknown option '--key' with a value (not shown)");
      expect(result.stderr).toContain('--help');
      expect(result.awsCalls).toEqual([]);
      expectNoKeyAndNoControls(result);
    },
  );

  it('a key used as an option name is described by its length', async () => {
    const result = await run(['status', `--${PASTED_KEY}`]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain(
      `unknown option (${PASTED_KEY.length + 2} characters, not shown)`,
    );
    expectNoKeyAndNoControls(result);
  });

  it('a short option glued to a key (-k<key>) names -k only', async () => {
    const result = await run(['rotate', 'prod/poelis', `-k${PASTED_KEY}`]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain("unknown option '-k' with a value (not shown)");
    expectNoKeyAndNoControls(result);
  });

  it('an unknown option with control characters in its name is not shown', async () => {
    const result = await run(['status', `--x${ANSI_NAME}`]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('characters, not shown');
    expectNoKeyAndNoControls(result);
  });

  it('a key given as the value of --interval is not repeated in the error', async () => {
    const result = await run(['rotate', 'prod/poelis', '--wait', '--interval', PASTED_KEY]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain("option '--interval <seconds>' argument (");
    expect(result.stderr).toContain('must be a positive number of seconds');
    expectNoKeyAndNoControls(result);
  });

  it('short, harmless unknown names are still named, with the suggestion', async () => {
    const result = await run(['stage', 'prod/poelis', '--nam', 'B']);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain("unknown option '--nam'");
    expect(result.stderr).toContain('(Did you mean --name?)');
  });
});

describe('a key pasted as an argument is never repeated', () => {
  it.each([
    ['a Poelis key', PASTED_KEY],
    ['a UUID (Polytomic key)', PASTED_UUID_KEY],
  ])('as a command (%s) it is described by its length', async (_what, key) => {
    const result = await run([key]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain(`unknown command (${key.length} characters, not shown)`);
    expectNoKeyAndNoControls(result);
  });

  it.each(['rotate', 'stage', 'recover', 'verify'])(
    '%s <secret> <key>: too many arguments, the key not shown',
    async (command) => {
      const result = await run([command, 'prod/poelis', PASTED_KEY]);
      expect(result.exitCode).toBe(ExitCode.Usage);
      expect(result.stderr).toContain(`too many arguments for '${command}'`);
      expect(result.awsCalls).toEqual([]);
      expectNoKeyAndNoControls(result);
    },
  );

  it.each([
    ['status', [PASTED_KEY]],
    ['status', ['prod/poelis', PASTED_KEY]],
    ['status', [PASTED_UUID_KEY]],
    ['rotate', [PASTED_KEY]],
    ['verify', [PASTED_UUID_KEY]],
  ])('%s %j: refused as a key before any AWS call, not shown', async (command, args) => {
    const result = await run([command, ...args]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('looks like an API key, not a secret name or ARN');
    expect(result.stderr).toContain('stdin only');
    expect(result.awsCalls).toEqual([]);
    expectNoKeyAndNoControls(result);
  });

  it('a secret argument longer than any SecretId is refused by its length', async () => {
    const result = await run(['status', 'a'.repeat(3000)]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('is 3000 characters long');
    expect(result.stderr).not.toContain('a'.repeat(100));
    expect(result.awsCalls).toEqual([]);
  });
});

describe('control characters never reach the terminal', () => {
  it.each([
    ['an ANSI escape and a newline', ANSI_NAME],
    ['a bidi override', BIDI_NAME],
    ['a C1 control (CSI)', 'prod\u009b2J'],
    ['DEL', 'prod\u007f'],
  ])('a secret argument holding %s is refused, unshown', async (_what, name) => {
    for (const command of ['status', 'rotate', 'verify']) {
      const result = await run([command, name]);
      expect(result.exitCode).toBe(ExitCode.Usage);
      expect(result.stderr).toContain('holds control characters');
      expect(result.awsCalls).toEqual([]);
      expectNoKeyAndNoControls(result);
    }
  });

  it.each([
    ['an ANSI escape and a newline', ANSI_NAME],
    ['a bidi override', `Production ${BIDI_NAME}`],
  ])('stage --name holding %s exits 2 before reading anything', async (_what, name) => {
    const result = await run(['stage', 'prod/poelis', '--name', name]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain("option '--name <keyName>' argument");
    expect(result.stderr).toContain('must not hold control characters');
    expect(result.awsCalls).toEqual([]);
    expectNoKeyAndNoControls(result);
  });

  it('an AWS error message with escapes is printed escaped (rotate)', async () => {
    const result = await run(['rotate', 'prod/poelis'], {
      answer: () => Promise.reject(awsError('ResourceNotFoundException', `gone${ANSI_NAME}`)),
    });
    expect(result.exitCode).toBe(ExitCode.NotFoundOrDenied);
    expect(result.stderr).toContain('gone\\x1B[31mX\\x0A\\x1B]0;owned\\x07');
    expectNoKeyAndNoControls(result);
  });

  it("an AWS error message with escapes is printed escaped in status's error line", async () => {
    const result = await run(['status', 'prod/poelis'], {
      answer: () => Promise.reject(awsError('AccessDeniedException', `denied ${BIDI_NAME}`)),
    });
    expect(result.exitCode).toBe(ExitCode.NotFoundOrDenied);
    // A plain line on stderr, never a table cell.
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('\\u202E');
    expectNoKeyAndNoControls(result);
  });

  it('an escape even on a colour terminal: only the CLI’s own colours remain', async () => {
    const result = await run(['rotate', 'prod/poelis'], {
      tty: true,
      answer: () => Promise.reject(awsError('ResourceNotFoundException', `gone${ANSI_NAME}`)),
    });
    expect(result.stderr).toContain('\u001b[31merror:\u001b[39m');
    expect(result.stderr).toContain('gone\\x1B[31mX');
    // eslint-disable-next-line no-control-regex -- the CLI's own colour sequences, taken out
    const ownColours = /\u001b\[3\dm(error:|hint:)\u001b\[39m/g;
    expect(result.stderr.replace(ownColours, '$1')).not.toMatch(RAW_CONTROL);
  });

  describe('names and key names AWS answers with', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:hostile-AbCdEf';
    const hostileSecret: AwsAnswer = (command) => {
      switch (command) {
        case 'ListSecretsCommand':
          return {
            SecretList: [
              {
                ARN: arn,
                Name: `hostile${ANSI_NAME}`,
                Tags: [{ Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE }],
              },
            ],
          };
        case 'DescribeSecretCommand':
          return {
            ARN: arn,
            Name: `hostile${ANSI_NAME}${BIDI_NAME}`,
            RotationEnabled: false,
            VersionIdsToStages: { 'version-1': ['AWSCURRENT'] },
            Tags: [{ Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE }],
          };
        case 'GetSecretValueCommand':
          return {
            ARN: arn,
            VersionId: 'version-1',
            VersionStages: ['AWSCURRENT'],
            SecretString: JSON.stringify({
              provider: 'poelis',
              apiKey: PASTED_KEY,
              keyName: `Production ${ANSI_NAME}${BIDI_NAME}`,
              baseUrl: 'https://api.poelis.com',
            }),
          };
        default:
          return Promise.reject(awsError('InternalServiceError', `unexpected ${command}`));
      }
    };

    it('status escapes a secret name and a key name holding ANSI escapes and bidi overrides', async () => {
      const result = await run(['status'], { answer: hostileSecret });
      expect(result.awsCalls).toContain('ListSecretsCommand');
      expect(result.stdout).toContain('hostile\\x1B[31mX');
      expect(result.stdout).toContain('\\u202E');
      expectNoKeyAndNoControls(result);
    });

    it('status --json keeps the exact name, escaped as JSON, with no raw control character', async () => {
      const result = await run(['status', '--json'], { answer: hostileSecret });
      expectNoKeyAndNoControls(result);
      const [entry] = JSON.parse(result.stdout) as { name?: string }[];
      expect(entry.name).toBe(`hostile${ANSI_NAME}${BIDI_NAME}`);
    });
  });
});

describe('numeric options are bounded', () => {
  it.each([
    ['0'],
    ['-1'],
    ['NaN'],
    ['1e12'],
    ['10s'],
    ['Infinity'],
    ['0x10'],
    [''],
    ['0.001'],
    ['3601'],
    ['2147484'],
  ])('--interval %j exits 2 before any AWS call', async (value) => {
    const result = await run(['rotate', 'prod/poelis', '--wait', '--interval', value]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('must be a positive number of seconds, from 0.05 to 3600');
    expect(result.awsCalls).toEqual([]);
  });

  it.each([['0'], ['-1'], ['NaN'], ['1e12'], ['10s'], ['86401']])(
    '--timeout %j exits 2 before any AWS call',
    async (value) => {
      const result = await run(['rotate', 'prod/poelis', '--wait', '--timeout', value]);
      expect(result.exitCode).toBe(ExitCode.Usage);
      expect(result.stderr).toContain('must be a positive number of seconds, from 0.1 to 86400');
      expect(result.awsCalls).toEqual([]);
    },
  );

  it.each([
    ['--interval', '0.05'],
    ['--interval', '3600'],
    ['--timeout', '0.1'],
    ['--timeout', '86400'],
  ])('%s %s, at a bound, is accepted', async (option, value) => {
    const result = await run(['rotate', 'prod/poelis', '--wait', option, value], {
      answer: () => Promise.reject(awsError('ResourceNotFoundException', 'not here')),
    });
    expect(result.exitCode).toBe(ExitCode.NotFoundOrDenied);
    // --wait reads the secret first (to name the key it replaces), then asks for the rotation.
    expect(result.awsCalls.at(-1)).toBe('RotateSecretCommand');
  });
});
