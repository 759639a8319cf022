/**
 * The CLI against the local world: the AWS emulator with the bundled rotation function, both
 * vendor simulators, and `runCli` in-process with buffered stdin/stdout/stderr. Every byte the
 * CLI writes is kept for the leak scan.
 */
import { Readable } from 'node:stream';
import { HttpClient } from '../../../lambda/http/client';
import { readRotatorConfig } from '../../../lambda/rotation/config';
import type { CliDependencies } from '../../../cli/dependencies';
import type { ExitCode } from '../../../cli/exit-codes';
import type { InputStream } from '../../../cli/io';
import { runCli } from '../../../cli/program';
import { emulatorRotationHistory, type RotationHistory } from '../../../cli/rotation-history';
import { localClients, type LocalClients } from '../../../local/scenarios';
import { startLocalWorld, type LocalWorld } from '../../../local/world';
import { LeakScanner } from '../../support/leak-scanner';

export interface CliRun {
  readonly exitCode: ExitCode;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** What the operator types or pipes in. */
  readonly stdin?: string;
  /** Pretend stdin and stdout are a terminal (prompts, colour). */
  readonly tty?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** Another Secrets Manager client, e.g. one whose access key a deny rule names. */
  readonly clients?: LocalClients;
  readonly history?: RotationHistory;
}

export interface CliWorld {
  readonly world: LocalWorld;
  readonly clients: LocalClients;
  readonly rotationFunctionArn: string;
  readonly scanner: LeakScanner;
  run(argv: readonly string[], options?: RunOptions): Promise<CliRun>;
  close(): Promise<void>;
}

export async function startCliWorld(): Promise<CliWorld> {
  const world = await startLocalWorld();
  const clients = localClients(world);
  const rotationFunctionArn = world.registerRotationFunction();
  const scanner = new LeakScanner([world.polytomic, world.poelis]);
  const environment = world.rotationEnvironment();
  const http = new HttpClient({ policy: readRotatorConfig(environment).originPolicy });

  async function run(argv: readonly string[], options: RunOptions = {}): Promise<CliRun> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const tty = options.tty === true;
    const stdin: InputStream = Object.assign(Readable.from([options.stdin ?? '']), { isTTY: tty });
    const deps: CliDependencies = {
      io: {
        stdin,
        stdout: { write: (text: string) => stdout.push(text), isTTY: tty },
        stderr: { write: (text: string) => stderr.push(text), isTTY: tty },
      },
      env: { ...environment, ...options.env },
      secretsManager: (options.clients ?? clients).secrets,
      kms: (options.clients ?? clients).kms,
      vendorHttp: () => http,
      history: options.history ?? emulatorRotationHistory(world.urls.aws),
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50))),
    };
    const exitCode = await runCli(argv, deps);
    const result = { exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
    scanner.add('cli', `${result.stdout}\n${result.stderr}`);
    return result;
  }

  return {
    world,
    clients,
    rotationFunctionArn,
    scanner,
    run,
    async close() {
      clients.destroy();
      await world.close();
    },
  };
}
