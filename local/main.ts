/**
 * `npm run local`: synthesizes the app, deploys the template into the local world with
 * authorization on, and stays in the foreground. Prints one JSON line: the URLs, the deployed
 * stack's names and ARNs, and session credentials of the administrator and the operator.
 *
 * `--config FILE` deploys another config (default config/example.json). `--port P` puts the AWS
 * emulator on P, Polytomic on P+1 and Poelis on P+2; without it, free ports. `--state FILE` keeps
 * the emulator's state (and the deployed stack) across restarts. Progress goes to stderr.
 * Stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG } from './stack/synthesize';
import { startDeployedWorld } from './stack/world';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      state: { type: 'string' },
      config: { type: 'string', default: DEFAULT_CONFIG },
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
  const deployed = await startDeployedWorld({
    host: values.host,
    ports: base === 0 ? {} : { aws: base, polytomic: base + 1, poelis: base + 2 },
    statePath: values.state,
    configPath: values.config,
    onProgress: progress,
    logSink: (line, fn) => process.stderr.write(`[${fn}] ${line}\n`),
    authorizationLog: (line) => process.stderr.write(`[authorization] ${line}\n`),
  });
  const { world, stack } = deployed;
  world.aws.startScheduler(interval);
  const session = (roleArn: string, name: string): Record<string, string> => {
    const credentials = stack.credentialsFor(roleArn, name);
    return {
      roleArn,
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    };
  };
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
      sessions: {
        administrator: session(stack.administratorRoleArn, 'administrator'),
        operator: session(stack.operatorRoleArn, 'operator'),
      },
    })}\n`,
  );

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    deployed.close().then(
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
