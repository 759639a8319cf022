/**
 * The local world as the benchmarks use it: the rotator deployed into it as the stack would,
 * the functions' log volume, and helpers to rotate a secret and to count the calls made.
 */
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { Agent, request } from 'undici';
import type { Clock } from '../local/aws/types';
import { deployRotator, localClients, type LocalClients } from '../local/scenarios';
import { ROTATION_FUNCTION_NAME, startLocalWorld, type LocalWorld } from '../local/world';

/** What the functions printed: Lambda bills and CloudWatch ingests every line. */
export interface LogVolume {
  lines: number;
  bytes: number;
}

export interface BenchWorld {
  readonly world: LocalWorld;
  readonly logVolume: LogVolume;
  readonly clients: LocalClients;
  readonly kmsKeyArn: string;
  readonly functionArn: string;
  readonly functionName: string;
  /** Registers the same bundle and settings under another name, with `environment` added. */
  registerVariant(name: string, environment: Record<string, string>): string;
  close(): Promise<void>;
}

export interface BenchWorldOptions {
  readonly clock?: Clock;
  readonly poelisRateLimit?: { readonly perMinute: number; readonly burst: number };
  readonly reservedConcurrency?: number;
  /** The function's memory size. @default the runner's 128 MB */
  readonly memoryMb?: number;
}

/** Starts the world and deploys the rotator into it as the stack would (scenarios' deployRotator). */
export async function startBenchWorld(options: BenchWorldOptions = {}): Promise<BenchWorld> {
  const logVolume: LogVolume = { lines: 0, bytes: 0 };
  const world = await startLocalWorld({
    clock: options.clock,
    poelisRateLimit: options.poelisRateLimit,
    administratorForUnknownKeys:
      'benchmarks provision up to 1,000 secrets of their own, which the stack would have to name one by one',
    logSink: (line) => {
      logVolume.lines += 1;
      logVolume.bytes += Buffer.byteLength(line) + 1;
    },
  });
  const clients = localClients(world);
  try {
    const deployment = await deployRotator(world, clients, {
      reservedConcurrency: options.reservedConcurrency,
      memoryMb: options.memoryMb,
    });
    return {
      world,
      logVolume,
      clients,
      kmsKeyArn: deployment.kmsKeyArn,
      functionArn: deployment.functionArn,
      functionName: ROTATION_FUNCTION_NAME,
      registerVariant: (name, environment) =>
        world.registerRotationFunction({
          name,
          reservedConcurrency: options.reservedConcurrency,
          memoryMb: options.memoryMb,
          environment: { ...deployment.environment, ...environment },
        }),
      close: async () => {
        clients.destroy();
        await world.close();
      },
    };
  } catch (error) {
    clients.destroy();
    await world.close();
    throw error;
  }
}

/** RotateSecret ("rotate immediately"), then waits for the four steps; throws unless they succeeded. */
export async function rotateAndWait(
  bench: BenchWorld,
  secretArn: string,
  functionArn = bench.functionArn,
): Promise<void> {
  await bench.clients.secrets.send(
    new RotateSecretCommand({ SecretId: secretArn, RotationLambdaARN: functionArn }),
  );
  await bench.world.aws.waitForRotations(secretArn);
  const record = bench.world.aws.rotationHistory(secretArn).at(-1);
  if (record?.outcome !== 'succeeded') {
    const failed = record?.steps.find((step) => !step.ok);
    throw new Error(
      `Rotation of ${secretArn} ${record?.outcome ?? 'did not start'}: ${failed?.step ?? ''} ${failed?.errorType ?? ''} ${failed?.errorMessage ?? ''}`,
    );
  }
}

/** Every counter the world keeps, by `service.Operation` (AWS) or `vendor METHOD route`. */
export function callCounters(world: LocalWorld): Record<string, number> {
  const counters: Record<string, number> = { ...world.aws.calls() };
  for (const [vendor, simulator] of [
    ['polytomic', world.polytomic],
    ['poelis', world.poelis],
  ] as const) {
    for (const [route, count] of Object.entries(simulator.routeCounts())) {
      counters[`${vendor} ${route}`] = count;
    }
  }
  return counters;
}

/** What changed between two `callCounters` snapshots; zero entries are left out. */
export function counterDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const change = count - (before[name] ?? 0);
    if (change !== 0) delta[name] = change;
  }
  return delta;
}

/** Sum of the counters whose name starts with `prefix`. */
export function sumCalls(counters: Record<string, number>, prefix: string): number {
  return Object.entries(counters)
    .filter(([name]) => name.startsWith(prefix))
    .reduce((sum, [, count]) => sum + count, 0);
}

/** Spends the organization's bucket with a key of its own until Poelis answers 429. */
export async function drainRateLimit(world: LocalWorld, organizationId: string): Promise<void> {
  const key = world.poelis.admin.createKey(organizationId, 'bench drain');
  const agent = new Agent();
  const url = new URL('/v1/public/workspaces?limit=1', world.urls.poelis);
  try {
    for (let refused = false; !refused;) {
      const statuses = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const response = await request(url, {
            dispatcher: agent,
            headers: { Authorization: `Bearer ${key}` },
          });
          await response.body.dump();
          return response.statusCode;
        }),
      );
      refused = statuses.includes(429);
    }
  } finally {
    await agent.close();
    world.poelis.admin.revokeKey(organizationId, 'bench drain');
  }
}

/** How many set-up calls run at once: enough to be quick, few enough not to swamp the emulator. */
const SETUP_PARALLELISM = 16;

/** Runs `task(0..count-1)` with bounded parallelism; results in index order. */
export async function inParallel<T>(
  count: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) results[index] = await task(index);
  };
  await Promise.all(Array.from({ length: Math.min(SETUP_PARALLELISM, count) }, worker));
  return results;
}
