/**
 * `npm run local`: starts the local world in the foreground and prints one JSON line with its URLs.
 * `--port P` puts the AWS emulator on P, Polytomic on P+1 and Poelis on P+2; without it, free ports.
 * `--state FILE` keeps the emulator's state across restarts. Stops cleanly on SIGINT/SIGTERM.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ROTATION_BUNDLE, startLocalWorld } from './world';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      state: { type: 'string' },
      'scheduler-interval-ms': { type: 'string', default: '1000' },
    },
    strict: true,
  });
  const base = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(base) || base < 0 || base > 65533) {
    throw new Error(`--port must be a port number from 0 to 65533, got "${values.port}".`);
  }
  const world = await startLocalWorld({
    host: values.host,
    ports: base === 0 ? {} : { aws: base, polytomic: base + 1, poelis: base + 2 },
    statePath: values.state,
    logSink: (line, fn) => process.stderr.write(`[${fn}] ${line}\n`),
  });
  const rotationFunctionArn = existsSync(ROTATION_BUNDLE)
    ? world.registerRotationFunction()
    : undefined;
  world.aws.startScheduler(Number(values['scheduler-interval-ms']));
  process.stdout.write(`${JSON.stringify({ ...world.urls, rotationFunctionArn })}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    world.close().then(
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
