/**
 * The local world: the AWS emulator, the Lambda runner and both vendor simulators on loopback,
 * wired together so that a rotation started through Secrets Manager runs the deployed bundle
 * against the simulators.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { formatProviderOrigins } from '../lambda/http/origin-policy';
import { FunctionEnv, METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/shared/contracts';
import { startAwsEmulator, type AwsEmulator } from './aws';
import { LambdaRunner, type BundledFunctionDefinition } from './aws/lambda-runner';
import type { Clock } from './aws/types';
import {
  startPoelisSimulator,
  startPolytomicSimulator,
  type PoelisSimulator,
  type PolytomicSimulator,
} from './vendors';

/** The name under which the local world registers the bundled rotation function. */
export const ROTATION_FUNCTION_NAME = 'api-key-rotator-rotation';

/** The bundle the stack deploys; the local world runs exactly this file. */
export const ROTATION_BUNDLE = join(__dirname, '..', 'dist', 'lambda', 'rotation', 'index.js');

export interface LocalWorldOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Ports; 0 picks a free one. @default all 0 */
  readonly ports?: { readonly aws?: number; readonly polytomic?: number; readonly poelis?: number };
  /**
   * File the AWS emulator keeps its state in across restarts; the simulators keep theirs beside
   * it ({@link vendorStatePath}). @default in memory only
   */
  readonly statePath?: string;
  /** Time for the emulator and the simulators. @default the system clock */
  readonly clock?: Clock;
  /** Receives every log line the functions print. @default lines are discarded */
  readonly logSink?: (line: string, functionName: string) => void;
  /** Receives the AWS emulator's authorization log: one line per denial, naming what decided. */
  readonly authorizationLog?: (line: string) => void;
  /**
   * Why callers with access keys the world did not issue may act as the account administrator
   * (see `AwsEmulatorOptions.administratorForUnknownKeys`). Unset: they are refused, as on AWS.
   */
  readonly administratorForUnknownKeys?: string;
  /** See `AwsEmulatorOptions.emptyLastPageToken`. @default false (AWS omits the token) */
  readonly emptyLastPageToken?: boolean;
  /** Poelis rate limit. @default 60 per minute, burst 10 */
  readonly poelisRateLimit?: { readonly perMinute: number; readonly burst: number };
}

function kept(statePath: string | undefined, vendor: 'polytomic' | 'poelis'): string | undefined {
  return statePath === undefined ? undefined : vendorStatePath(statePath, vendor);
}

export interface LocalWorldUrls {
  readonly aws: string;
  readonly polytomic: string;
  readonly poelis: string;
}

export interface LocalWorld {
  readonly aws: AwsEmulator;
  readonly runner: LambdaRunner;
  readonly polytomic: PolytomicSimulator;
  readonly poelis: PoelisSimulator;
  readonly urls: LocalWorldUrls;
  /** The environment the rotation function needs to reach the simulators (and nothing else). */
  rotationEnvironment(extra?: Record<string, string>): Record<string, string>;
  /** Registers the bundled rotation function and returns its ARN. */
  registerRotationFunction(
    overrides?: Partial<Omit<BundledFunctionDefinition, 'kind'>> & { readonly name?: string },
  ): string;
  close(): Promise<void>;
}

/**
 * Where a simulator keeps its state beside the world's state file.
 *
 * @example
 * vendorStatePath('.local-state/world.json', 'poelis'); // '.local-state/world.poelis.json'
 */
export function vendorStatePath(statePath: string, vendor: 'polytomic' | 'poelis'): string {
  const extension = extname(statePath);
  return join(
    dirname(statePath),
    `${basename(statePath, extension)}.${vendor}${extension || '.json'}`,
  );
}

export async function startLocalWorld(options: LocalWorldOptions = {}): Promise<LocalWorld> {
  const host = options.host ?? '127.0.0.1';
  const [aws, polytomic, poelis] = await Promise.all([
    startAwsEmulator({
      host,
      port: options.ports?.aws ?? 0,
      statePath: options.statePath,
      clock: options.clock,
      authorizationLog: options.authorizationLog,
      administratorForUnknownKeys: options.administratorForUnknownKeys,
      emptyLastPageToken: options.emptyLastPageToken,
    }),
    startPolytomicSimulator({
      host,
      port: options.ports?.polytomic ?? 0,
      clock: options.clock,
      statePath: kept(options.statePath, 'polytomic'),
    }),
    startPoelisSimulator({
      host,
      port: options.ports?.poelis ?? 0,
      clock: options.clock,
      rateLimit: options.poelisRateLimit,
      statePath: kept(options.statePath, 'poelis'),
    }),
  ]);
  const runner = new LambdaRunner({
    region: aws.region,
    accountId: aws.accountId,
    awsEndpointUrl: aws.url,
    // A function's output is its log group's, and its embedded metrics are CloudWatch's.
    logSink: (line, functionName) => {
      void aws.cloudwatch.ingestLogLine(functionName, line);
      const group = aws.lambda.functions().find((fn) => fn.name === functionName)?.logGroupName;
      if (group !== undefined && aws.logs.logGroup(group) !== undefined)
        aws.logs.append(group, line);
      options.logSink?.(line, functionName);
    },
    onInvocation: (functionName, result) => {
      void aws.cloudwatch.recordInvocation(functionName, {
        ok: result.ok,
        durationMs: result.durationMs,
        throttled: result.throttled,
      });
    },
  });
  aws.setInvoker(runner);
  aws.attachRunner(runner);
  const urls: LocalWorldUrls = { aws: aws.url, polytomic: polytomic.url, poelis: poelis.url };

  const rotationEnvironment = (extra: Record<string, string> = {}): Record<string, string> => ({
    // Each vendor's keys reach only its own simulator.
    [FunctionEnv.AllowedOrigins]: formatProviderOrigins({
      polytomic: [polytomic.url],
      poelis: [poelis.url],
    }),
    [FunctionEnv.AllowLoopbackHttp]: 'true',
    [FunctionEnv.ServiceName]: SERVICE_NAME,
    [FunctionEnv.MetricsNamespace]: METRICS_NAMESPACE,
    ...extra,
  });

  return {
    aws,
    runner,
    polytomic,
    poelis,
    urls,
    rotationEnvironment,
    registerRotationFunction(overrides = {}) {
      const { name = ROTATION_FUNCTION_NAME, environment, ...definition } = overrides;
      const file = definition.file ?? ROTATION_BUNDLE;
      if (!existsSync(file)) {
        throw new Error(
          `The rotation bundle ${file} does not exist: run \`npm run bundle\` first.`,
        );
      }
      return runner.register(name, {
        kind: 'bundle',
        timeoutMs: 30_000,
        ...definition,
        file,
        environment: rotationEnvironment(environment),
      });
    },
    async close() {
      aws.stopScheduler();
      await runner.close();
      await Promise.all([aws.close(), polytomic.close(), poelis.close()]);
    },
  };
}
