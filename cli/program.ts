import { Command, CommanderError, Option } from 'commander';
import { FunctionEnv, MANAGED_TAG, MANAGED_TAG_VALUE } from '../lambda/shared/contracts';
import { printableLines } from '../lambda/shared/printable';
import { recoverCommand } from './commands/recover';
import { rotateCommand } from './commands/rotate';
import { stageCommand } from './commands/stage';
import { statusCommand } from './commands/status';
import { verifyCommand } from './commands/verify';
import type { CliDependencies } from './dependencies';
import { toCliError } from './errors';
import { ExitCode } from './exit-codes';
import { colorsFor, terminalSafeIo } from './io';
import { checkSecretArgument, keyNameArgument, safeUsageMessage, secondsBetween } from './usage';

const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  the operation failed, or a check found a problem (failed or stuck rotation, live old key)
  2  usage: bad arguments, options or input, or a confirmation that was not given
  3  the secret does not exist, or AWS refused access (permissions, credentials)
  4  AWS or the vendor is unreachable, or --wait timed out: try again later

AWS settings come from the SDK's standard sources: credentials chain, AWS_REGION,
AWS_ENDPOINT_URL. Vendor calls obey ${FunctionEnv.AllowedOrigins} and ${FunctionEnv.AllowLoopbackHttp}.
Keys are never printed: they are named by fingerprint (first 8 hex of SHA-256) and Poelis name.
`;

/** `rotate --timeout`: a day at most; any longer wait is better run again. */
const TIMEOUT_SECONDS = { min: 0.1, max: 86_400 } as const;
/** `rotate --interval`: 50 ms at least (Secrets Manager throttles), an hour at most. */
const INTERVAL_SECONDS = { min: 0.05, max: 3_600 } as const;

/** Wraps a command so its exit code is kept for runCli to return. */
type ActionRunner = <A extends unknown[]>(
  command: (...args: A) => Promise<ExitCode>,
) => (...args: A) => Promise<void>;

/**
 * Runs one command line (without `node` and the script) and returns its exit code. Commands
 * write through `deps.io`; nothing here touches the process, so tests run it in-process.
 */
export async function runCli(
  argv: readonly string[],
  unguarded: CliDependencies,
): Promise<ExitCode> {
  // Whatever a command prints, no control character from a name or a message reaches the terminal.
  const deps: CliDependencies = { ...unguarded, io: terminalSafeIo(unguarded.io, unguarded.env) };
  let exitCode: ExitCode = ExitCode.Ok;
  let secretId: string | undefined;
  const run: ActionRunner =
    (command) =>
    async (...args) => {
      exitCode = await command(...args);
    };
  const program = buildProgram(deps, run, (id) => (secretId = id));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; every other parse error is a usage error.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const cliError = toCliError(error, secretId);
    const colors = colorsFor(deps.io.stderr, deps.env);
    deps.io.stderr.write(`${colors.red('error:')} ${printableLines(cliError.message)}\n`);
    return cliError.exitCode;
  }
}

function buildProgram(
  deps: CliDependencies,
  run: ActionRunner,
  onSecret: (secretId: string) => void,
): Command {
  const program = new Command('api-key-rotator')
    .description('Operate API key rotation: status, rotate, stage, recover and verify secrets.')
    .configureOutput({
      writeOut: (text) => deps.io.stdout.write(text),
      writeErr: (text) => deps.io.stderr.write(text),
      // Commander repeats the offending argument, which may be a pasted key.
      outputError: (text, write) => write(safeUsageMessage(text)),
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  // Secret arguments are checked before any AWS call; errors name the secret the command was about.
  program.hook('preAction', (_program, action) => {
    const values = (action.processedArgs as unknown[]).flat();
    values.forEach((value, index) => {
      if (typeof value === 'string') checkSecretArgument(value, index + 1, action.name());
    });
    const secret = action.processedArgs[0] as unknown;
    if (typeof secret === 'string') onSecret(secret);
  });
  program
    .command('status')
    .description(
      `Show each secret's keys (by fingerprint), schedule and any stuck rotation. Without secrets: every secret tagged ${MANAGED_TAG}=${MANAGED_TAG_VALUE}.`,
    )
    .argument('[secret...]', 'secret names or ARNs')
    .addOption(jsonOption())
    .action(
      run((secrets: string[], options: { json?: boolean }) =>
        statusCommand(deps, secrets, { json: options.json === true }),
      ),
    );

  program
    .command('rotate')
    .description(
      'Start a rotation now (RotateSecret); with --wait, follow it until it is done or failed.',
    )
    .argument('<secret>', 'secret name or ARN')
    .option('--wait', 'follow the rotation until AWSCURRENT moves, it fails, or the timeout passes')
    .option(
      '--timeout <seconds>',
      `how long --wait follows the rotation (${TIMEOUT_SECONDS.min} to ${TIMEOUT_SECONDS.max})`,
      secondsBetween(TIMEOUT_SECONDS.min, TIMEOUT_SECONDS.max),
      600,
    )
    .option(
      '--interval <seconds>',
      `how often --wait polls Secrets Manager (${INTERVAL_SECONDS.min} to ${INTERVAL_SECONDS.max})`,
      secondsBetween(INTERVAL_SECONDS.min, INTERVAL_SECONDS.max),
      3,
    )
    .addOption(jsonOption())
    .action(
      run(
        (
          secret: string,
          options: { wait?: boolean; timeout: number; interval: number; json?: boolean },
        ) =>
          rotateCommand(deps, secret, {
            json: options.json === true,
            wait: options.wait === true,
            timeoutSeconds: options.timeout,
            intervalSeconds: options.interval,
          }),
      ),
    );

  program
    .command('stage')
    .description(
      'Read a new Poelis key from stdin, verify it at Poelis, and store it as the STAGED version for the next rotation.',
    )
    .argument('<secret>', 'secret name or ARN of a Poelis secret')
    .option(
      '--name <keyName>',
      "the key's name in the Poelis web app (named in the revoke notice)",
      keyNameArgument,
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nThe key is read from stdin only, never from arguments:\n  pbpaste | api-key-rotator stage prod/poelis --name "Production B"\n',
    )
    .action(
      run((secret: string, options: { name?: string; json?: boolean }) =>
        stageCommand(deps, secret, { json: options.json === true, name: options.name }),
      ),
    );

  program
    .command('recover')
    .description(
      'Explain a rotation that stopped half-way, dispose of its pending key, and clear AWSPENDING so rotations can run again.',
    )
    .argument('<secret>', 'secret name or ARN')
    .option('-y, --yes', 'act without asking for confirmation')
    .addOption(jsonOption())
    .action(
      run((secret: string, options: { yes?: boolean; json?: boolean }) =>
        recoverCommand(deps, secret, { json: options.json === true, yes: options.yes === true }),
      ),
    );

  program
    .command('verify')
    .description(
      "Run the audit's checks on a secret now: the current key works, the previous key is revoked, no rotation is stuck or overdue, the encryption key is right. Read-only.",
    )
    .argument('<secret>', 'secret name or ARN')
    .addOption(jsonOption())
    .action(
      run((secret: string, options: { json?: boolean }) =>
        verifyCommand(deps, secret, { json: options.json === true }),
      ),
    );

  return program;
}

function jsonOption(): Option {
  return new Option('--json', 'print one JSON document on stdout, for machines');
}
