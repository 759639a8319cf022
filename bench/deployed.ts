/**
 * The deployed, authorizing local world as the user-facing figures use it: the stack synthesized
 * from bench/stack-config.json (or a generated fleet config) and deployed into the emulator, the
 * administrator who puts first keys, the operator who stages Poelis keys, and the app's role.
 */
import { PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { join } from 'node:path';
import type { SessionCredentials } from '../local/aws/iam';
import type { Clock } from '../local/aws/types';
import {
  putFirstPoelisKey,
  putFirstPolytomicKey,
  type LocalClients,
  type PoelisFixture,
  type PolytomicFixture,
} from '../local/scenarios';
import type { LocalStack } from '../local/stack/deploy';
import { startDeployedWorld, type DeployedWorld } from '../local/stack/world';
import type { LocalWorld } from '../local/world';
import type { LogVolume } from './world';

/** The stack every user-facing figure but the fleet deploys (one synthesis, cached). */
export const BENCH_STACK_CONFIG = join(__dirname, 'stack-config.json');

/** The app role of bench/stack-config.json: reads AWSCURRENT, as the README's app policy allows. */
export const APP_ROLE_ARN = 'arn:aws:iam::000000000000:role/bench-app';

/** Real time moved forward on demand; a frozen clock would also freeze the vendors' token buckets. */
export class ShiftedClock implements Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface DeployedBench {
  readonly deployed: DeployedWorld;
  readonly world: LocalWorld;
  readonly stack: LocalStack;
  readonly clock: ShiftedClock;
  readonly logVolume: LogVolume;
  /** The account administrator: puts first keys and presses "Rotate secret immediately". */
  readonly admin: LocalClients;
  /** The operator of the README's policy: stages Poelis keys. */
  readonly operator: LocalClients;
  /** The rotation function's name in the runner (for its stats). */
  readonly rotationFunctionName: string;
  /** Every call the world's IAM evaluator refused (invariant 7: stays empty). */
  readonly denials: readonly string[];
  /** A session of the app's role, for an app running in another process. */
  appCredentials(): SessionCredentials;
  secretArn(name: string): string;
  close(): Promise<void>;
}

export interface DeployedBenchOptions {
  readonly configPath?: string;
  readonly poelisRateLimit?: { readonly perMinute: number; readonly burst: number };
}

/** Starts the world, deploys the stack and puts the partner key (deploy step 3). */
export async function startDeployedBench(
  options: DeployedBenchOptions = {},
): Promise<DeployedBench> {
  const clock = new ShiftedClock();
  const logVolume: LogVolume = { lines: 0, bytes: 0 };
  const denials: string[] = [];
  const deployed = await startDeployedWorld({
    configPath: options.configPath ?? BENCH_STACK_CONFIG,
    clock,
    poelisRateLimit: options.poelisRateLimit,
    authorizationLog: (line) => denials.push(line),
    logSink: (line) => {
      logVolume.lines += 1;
      logVolume.bytes += Buffer.byteLength(line) + 1;
    },
  });
  const { world, stack } = deployed;
  try {
    const admin = deployed.clientsAs(stack.administratorRoleArn, 'bench-administrator');
    const operator = deployed.clientsAs(stack.operatorRoleArn, 'bench-operator');
    return {
      deployed,
      world,
      stack,
      clock,
      logVolume,
      admin,
      operator,
      rotationFunctionName: stack.rotationFunctionArn.split(':')[6],
      denials,
      appCredentials: () => stack.credentialsFor(APP_ROLE_ARN, 'bench-app'),
      secretArn(name) {
        const arn = stack.secretArns[name];
        if (arn === undefined) throw new Error(`The bench stack has no secret ${name}`);
        return arn;
      },
      close: () => deployed.close(),
    };
  } catch (error) {
    await deployed.close();
    throw error;
  }
}

/** Deploy step 3 for a Polytomic secret of the stack (with the partner key). */
export function putPolytomicKey(
  bench: DeployedBench,
  name: string,
  options: { readonly standby?: boolean; readonly revokePrevious?: 'on-finish' | 'next-rotation' },
): Promise<PolytomicFixture> {
  const partnerKeySecretArn = bench.stack.partnerKeySecretArn;
  if (partnerKeySecretArn === undefined) throw new Error('The bench stack has no partner key');
  return putFirstPolytomicKey(bench.world, bench.admin, {
    secretArn: bench.secretArn(name),
    partnerKeySecretArn,
    ...options,
  });
}

/** Deploy step 3 for a Poelis secret of the stack. */
export function putPoelisKey(
  bench: DeployedBench,
  name: string,
  organizationId?: string,
): Promise<PoelisFixture> {
  return putFirstPoelisKey(bench.world, bench.admin, {
    secretArn: bench.secretArn(name),
    keyName: `${name} #1`,
    organizationId,
  });
}

/** What the operator does before a Poelis rotation: a key made in the web app, stored as STAGED. */
export async function stageKey(
  bench: DeployedBench,
  fixture: PoelisFixture,
  keyName: string,
): Promise<string> {
  const apiKey = bench.world.poelis.admin.createKey(fixture.organizationId, keyName);
  await bench.operator.secrets.send(
    new PutSecretValueCommand({
      SecretId: fixture.secretArn,
      SecretString: JSON.stringify({ apiKey, keyName }),
      VersionStages: ['STAGED'],
    }),
  );
  return keyName;
}

/** "Rotate secret immediately" by the administrator; resolves once Secrets Manager accepted it. */
export async function forceRotation(bench: DeployedBench, secretArn: string): Promise<void> {
  await bench.admin.secrets.send(new RotateSecretCommand({ SecretId: secretArn }));
}

/** Throws unless the secret's last rotation succeeded. */
export function assertRotated(bench: DeployedBench, secretArn: string): void {
  const record = bench.world.aws.rotationHistory(secretArn).at(-1);
  if (record?.outcome === 'succeeded') return;
  const failed = record?.steps.find((step) => !step.ok);
  throw new Error(
    `Rotation of ${secretArn} ${record?.outcome ?? 'did not start'}: ${failed?.step ?? ''} ${failed?.errorType ?? ''} ${failed?.errorMessage ?? ''}`,
  );
}
