import { Command, CommanderError, Option } from 'commander';
import { FunctionEnv, MANAGED_TAG, MANAGED_TAG_VALUE } from '../lambda/shared/contracts';
import { version as VERSION } from '../package.json';
import { adoptCommand } from './commands/adopt';
import { recoverCommand } from './commands/recover';
import { reportCommand } from './commands/report';
import { rollbackCommand } from './commands/rollback';
import { rotateCommand } from './commands/rotate';
import { stageCommand } from './commands/stage';
import { statusCommand } from './commands/status';
import { verifyCommand } from './commands/verify';
import { initCommand } from './commands/init';
import {
  checkOnboardOptions,
  onboardPolytomicCommand,
  type RawOnboardOptions,
} from './commands/onboard';
import { DEFAULT_SERVICE_USER_ROLE } from '../lambda/providers/polytomic-partner';
import type { CliDependencies } from './dependencies';
import { asksForJson, reportError, usageError, watchOutput } from './error-report';
import { toCliError } from './errors';
import { ExitCode } from './exit-codes';
import { terminalSafeIo } from './io';
import { checkSecretArgument, keyNameArgument, safeUsageMessage, secondsBetween } from './usage';

const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  the operation failed, or a check found a problem (failed or stuck rotation, live old key)
  2  usage or configuration: bad arguments, options or input, a confirmation not given,
     no AWS region (set AWS_REGION or AWS_PROFILE)
  3  the secret does not exist, AWS refused access, or no usable AWS credentials
     (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)
  4  AWS or the vendor is unreachable, or --wait timed out: try again later

With --json, stdout is one JSON document whatever happens; on failure it is
{"ok":false,"error":{"name","message","exitCode","hint"}} (hint when there is one).

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
  const io = terminalSafeIo(unguarded.io, unguarded.env);
  const stdout = watchOutput(io.stdout);
  const deps: CliDependencies = { ...unguarded, io: { ...io, stdout } };
  let exitCode: ExitCode = ExitCode.Ok;
  let secretId: string | undefined;
  let json = asksForJson(argv);
  const run: ActionRunner =
    (command) =>
    async (...args) => {
      exitCode = await command(...args);
    };
  const program = buildProgram(deps, run, (action) => {
    secretId = action.secretId;
    json = action.json;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    // Help and version are successes, printed as text.
    if (error instanceof CommanderError && error.exitCode === 0) return ExitCode.Ok;
    // Every other parse error is a usage error, already printed by Commander.
    const usage = error instanceof CommanderError;
    const cliError = usage ? usageError(error) : toCliError(error, secretId);
    // A command that printed its own JSON document keeps it as the only one.
    reportError(deps.io, deps.env, cliError, { json: json && !stdout.written, printed: usage });
    return cliError.exitCode;
  }
}

/** What runCli learns of the command about to run: its secret (for error hints) and --json. */
interface ActionStart {
  readonly secretId: string | undefined;
  readonly json: boolean;
}

function buildProgram(
  deps: CliDependencies,
  run: ActionRunner,
  onAction: (action: ActionStart) => void,
): Command {
  const program = new Command('api-key-rotator')
    .description('Operate API key rotation: status, rotate, stage, recover and verify secrets.')
    .version(VERSION, '-V, --version', 'print the version')
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
    const secret = action.processedArgs[0] as unknown;
    onAction({
      secretId: typeof secret === 'string' ? secret : undefined,
      json: action.opts<{ json?: unknown }>().json === true,
    });
    const values = (action.processedArgs as unknown[]).flat();
    values.forEach((value, index) => {
      if (typeof value === 'string') checkSecretArgument(value, index + 1, action.name());
    });
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

  program
    .command('adopt')
    .description(
      "Enroll a secret made outside the stack (console, Terraform, another tool) without re-creating it: check its value is in the secret format, re-encrypt it with the stack's key, tag it managed, configure rotation with the stack's function, then put the stack's resource policy. Idempotent: run it again after a failure.",
    )
    .argument('<secret>', "secret name or ARN, under one of the stack's name prefixes")
    .requiredOption(
      '--outputs <file>',
      'the stack outputs `npx cdk deploy --outputs-file <file>` wrote',
    )
    .option('--stack <name>', 'the stack in the outputs file, when it holds several')
    .option(
      '--reader <roleArn>',
      "a role that may read the key (repeat it); one of the config's reader roles",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--schedule <expression>', 'rotation schedule', 'rate(30 days)')
    .option('--window <hours>', 'rotation window, whole hours', '4h')
    .option('--revoke-policy <policy>', 'on-finish or next-rotation', 'on-finish')
    .addOption(jsonOption())
    .action(
      run(
        (
          secret: string,
          options: {
            outputs: string;
            stack?: string;
            reader?: string[];
            schedule: string;
            window: string;
            revokePolicy: string;
            json?: boolean;
          },
        ) =>
          adoptCommand(deps, secret, {
            json: options.json === true,
            outputsFile: options.outputs,
            stack: options.stack,
            readers: options.reader ?? [],
            schedule: options.schedule,
            window: options.window,
            revokePolicy: options.revokePolicy,
          }),
      ),
    );

  program
    .command('rollback')
    .description(
      'Move AWSCURRENT back to the AWSPREVIOUS key, only while the vendor still accepts it; announce it and audit the result.',
    )
    .argument('<secret>', 'secret name or ARN')
    .option('-y, --yes', 'act without asking for confirmation')
    .addOption(jsonOption())
    .action(
      run((secret: string, options: { yes?: boolean; json?: boolean }) =>
        rollbackCommand(deps, secret, { json: options.json === true, yes: options.yes === true }),
      ),
    );

  program
    .command('report')
    .description(
      `Evidence per secret for audits: schedule and policy, rotations in the period, key ages, every stored old key probed at the vendor, the audit's outcome; and a fleet summary. Read-only. Without secrets: every secret tagged ${MANAGED_TAG}=${MANAGED_TAG_VALUE}.`,
    )
    .argument('[secret...]', 'secret names or ARNs')
    .option(
      '--since <period>',
      'the period rotations are listed for: Nd, Nw or Nh (1h to 3650d)',
      '90d',
    )
    .option(
      '--format <format>',
      'md (Markdown, for a ticket), csv (for a spreadsheet) or json',
      'md',
    )
    .addOption(jsonOption())
    .action(
      run((secrets: string[], options: { since: string; format: string; json?: boolean }) =>
        reportCommand(deps, secrets, {
          since: options.since,
          format: options.json === true ? 'json' : options.format,
        }),
      ),
    );

  const onboard = program
    .command('onboard')
    .description(
      "Put a secret's first key through the vendor's partner API: find or create the customer's organization and service users, mint and verify the key, write the whole value.",
    );
  onboard
    .command('polytomic')
    .description(
      "With the Polytomic partner key: use or create the organization, find or create the two service users, mint the primary user's first key, verify it (GET /api/me) and write the secret as AWSCURRENT. Safe to run again.",
    )
    .argument('<secret>', 'secret name or ARN of a Polytomic secret')
    .option('--organization <id>', 'an existing Polytomic organization')
    .option('--create-organization <name>', 'the organization to create (or find by this name)')
    .requiredOption('--user-email <email>', 'the primary service user (found or created)')
    .requiredOption('--standby-email <email>', 'the standby service user (found or created)')
    .option(
      '--role <role>',
      `role of created users (default ${DEFAULT_SERVICE_USER_ROLE}: the rotation only needs GET /api/me)`,
    )
    .option(
      '--partner-key-secret <id>',
      `the partner-key secret (default ${FunctionEnv.PartnerKeySecretId})`,
    )
    .option(
      '--partner-key-stdin',
      'read the partner key once from stdin and store it in the partner-key secret',
    )
    .option(
      '--replace',
      "replace a key already there: the secret's value (kept as AWSPREVIOUS) and the user's key at Polytomic",
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nThe partner key is never an argument: it is read from its secret, or from stdin with --partner-key-stdin:\n  pbpaste | api-key-rotator onboard polytomic prod/polytomic --create-organization Acme \\\n    --user-email rotation-a@acme.example --standby-email rotation-b@acme.example --partner-key-stdin\n',
    )
    .action(
      run((secret: string, options: RawOnboardOptions) =>
        onboardPolytomicCommand(deps, secret, checkOnboardOptions(options)),
      ),
    );

  program
    .command('init')
    .description(
      "Put the first key of a secret whose keys are made in the vendor's web app (Poelis): read it from stdin, check it, verify it at the vendor, write the whole value as AWSCURRENT.",
    )
    .argument('<secret>', 'secret name or ARN of a Poelis secret')
    .requiredOption(
      '--name <keyName>',
      "the key's name in the Poelis web app (named when it is replaced)",
      keyNameArgument,
    )
    .option('--replace', 'replace a key already there (kept as AWSPREVIOUS)')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nThe key is read from stdin only, never from arguments:\n  pbpaste | api-key-rotator init prod/poelis --name "Production A"\n',
    )
    .action(
      run((secret: string, options: { name: string; replace?: boolean; json?: boolean }) =>
        initCommand(deps, secret, {
          json: options.json === true,
          name: options.name,
          replace: options.replace === true,
        }),
      ),
    );

  return program;
}

function jsonOption(): Option {
  return new Option('--json', 'print one JSON document on stdout, for machines');
}
