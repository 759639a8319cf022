/**
 * `npm run local`: synthesizes the app, deploys the template into the local world with
 * authorization on, and stays in the foreground. Prints one JSON line on stdout: the URLs, the
 * deployed stack's names and ARNs, and session credentials of the administrator, the operator and
 * the reader. Then, on stderr, one `export …` line for a second shell (README "Try it by hand"),
 * whose profiles live in a credentials file beside the state file or in a temporary folder.
 *
 * `--config FILE` deploys another config (default config/local.json). `--port P` puts the AWS
 * emulator on P, Polytomic on P+1 and Poelis on P+2; without it, free ports. `--state FILE` keeps
 * the emulator's state (and the deployed stack) in FILE and the simulators', the profiles and the
 * ports beside it, across restarts (the same ports again); its folder is created. Progress goes
 * to stderr. Stops cleanly on SIGINT/SIGTERM.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { exitUnlessSupportedNode } from '../cli/node-version';
import { credentialsFileText, exportLine, shellEnvironment, type ShellProfile } from './shell-env';
import type { LocalStack } from './stack/deploy';
import { credentialsLocation, keepPorts, keptPorts } from './state-files';
import { startDeployedWorld } from './stack/world';

/** The config `npm run local` deploys: the example, with the operator role a reader. */
const LOCAL_CONFIG = join(__dirname, '..', 'config', 'local.json');

/** The application role of the README's walkthrough: the first reader that is not the operator. */
function readerRoleArn(stack: LocalStack): string | undefined {
  return stack.config.secrets
    .flatMap((secret) => secret.readerRoleArns)
    .find((arn) => arn !== stack.operatorRoleArn);
}

async function main(): Promise<void> {
  exitUnlessSupportedNode('npm run local', 1);
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      state: { type: 'string' },
      config: { type: 'string', default: LOCAL_CONFIG },
      'scheduler-interval-ms': { type: 'string', default: '1000' },
    },
    strict: true,
  });
  const base = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(base) || base < 0 || base > 65533) {
    throw new Error(`--port must be a port number from 0 to 65533, got "${values.port}".`);
  }
  const interval = Number(values['scheduler-interval-ms']);
  if (!Number.isInteger(interval) || interval < 10 || interval > 3_600_000) {
    throw new Error(
      '--scheduler-interval-ms must be a whole number of milliseconds from 10 to 3600000.',
    );
  }
  const progress = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  // A world restarted from its state answers at the same URLs, unless --port says otherwise.
  const kept = values.state === undefined ? undefined : keptPorts(values.state);
  const deployed = await startDeployedWorld({
    host: values.host,
    ports: base === 0 ? (kept ?? {}) : { aws: base, polytomic: base + 1, poelis: base + 2 },
    statePath: values.state,
    configPath: values.config,
    onProgress: progress,
    logSink: (line, fn) => process.stderr.write(`[${fn}] ${line}\n`),
    authorizationLog: (line) => process.stderr.write(`[authorization] ${line}\n`),
  });
  const { world, stack } = deployed;
  world.aws.startScheduler(interval);

  const roles: [string, string | undefined][] = [
    ['administrator', stack.administratorRoleArn],
    ['operator', stack.operatorRoleArn],
    ['reader', readerRoleArn(stack)],
  ];
  const profiles: (ShellProfile & { roleArn: string })[] = roles.flatMap(([name, roleArn]) =>
    roleArn === undefined
      ? []
      : [{ name, roleArn, credentials: stack.credentialsFor(roleArn, name) }],
  );
  const sessions = Object.fromEntries(
    profiles.map(({ name, roleArn, credentials }) => [name, { roleArn, ...credentials }]),
  );
  if (values.state !== undefined) keepPorts(values.state, world.urls);
  const credentials = credentialsLocation(values.state);
  writeFileSync(credentials.file, credentialsFileText(profiles), { mode: 0o600 });

  process.stdout.write(
    `${JSON.stringify({
      ...world.urls,
      stackName: stack.stackName,
      rotationFunctionArn: stack.rotationFunctionArn,
      auditFunctionArn: stack.auditFunctionArn,
      notificationTopicArn: stack.topicArn,
      kmsKeyArn: stack.kmsKeyArn,
      kmsAlias: stack.kmsAliasName,
      secrets: stack.secretArns,
      partnerKeySecretArn: stack.partnerKeySecretArn,
      credentialsFile: credentials.file,
      sessions,
    })}\n`,
  );
  const environment = shellEnvironment({
    urls: world.urls,
    region: world.aws.region,
    credentialsFile: credentials.file,
    defaultProfile: 'operator',
    partnerKeySecretId: stack.partnerKeySecretArn,
  });
  progress(
    [
      `The local world is up (profiles ${profiles.map((p) => p.name).join(', ')}). In a second shell, paste:`,
      '',
      exportLine(environment),
      '',
      'Ctrl-C stops it.',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    deployed
      .close()
      .then(() => {
        if (credentials.temporary) rmSync(dirname(credentials.file), { recursive: true });
      })
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
