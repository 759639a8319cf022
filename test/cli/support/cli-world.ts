import { readSecretMetadata, versionIdWithStage } from '../../../lambda/aws/secret-metadata';
/**
 * The CLI against the deployed local world: the stack synthesized from `stack-config.json` with
 * `cdk synth` and deployed into the AWS emulator, authorization on, and `runCli` in-process with
 * buffered stdin/stdout/stderr, signed as the operator role of the README's "Operator IAM" policy.
 * Every byte the CLI writes is kept for the leak scan.
 *
 * The config declares slots, not scenarios: generic Polytomic and Poelis secrets (and one
 * Polytomic secret on a weekly schedule with a 3h window and `next-rotation`), each readable by
 * the operator role. Each test takes a fresh slot and puts its first key as the administrator
 * does after `cdk deploy`; every test file deploys its own world, so slots are per file.
 * Putting the first key leaves the deploy-time placeholder under AWSPREVIOUS, as on AWS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { Agent } from 'undici';
import { HttpClient } from '../../../lambda/http/client';
import { readRotatorConfig } from '../../../lambda/rotation/config';
import { FunctionEnv } from '../../../lambda/shared/contracts';
import type { CliDependencies } from '../../../cli/dependencies';
import type { ExitCode } from '../../../cli/exit-codes';
import type { InputStream } from '../../../cli/io';
import { runCli } from '../../../cli/program';
import type { RotationHistory } from '../../../cli/rotation-history';
import type { PolicyDocument } from '../../../local/aws/authorization';
import type { SessionCredentials } from '../../../local/aws/iam';
import { emulatorRotationHistory } from '../../../local/aws/rotation-history';
import {
  putFirstPoelisKey,
  putFirstPolytomicKey,
  type LocalClients,
  type PoelisFixture,
  type PolytomicFixture,
} from '../../../local/scenarios';
import type { LocalStack } from '../../../local/stack/deploy';
import { startDeployedWorld, type DeployedWorld } from '../../../local/stack/world';
import type { LocalWorld } from '../../../local/world';
import { LeakScanner } from '../../support/leak-scanner';

/** The one config every CLI test deploys (one synthesis, cached). */
export const CLI_STACK_CONFIG = join(__dirname, 'stack-config.json');

/** The slot on a weekly schedule (`rate(7 days)`, window 3h, `next-rotation`). */
export const WEEKLY_POLYTOMIC_SLOT = 'cli/polytomic-weekly';

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
  /** Other AWS clients, e.g. a session whose access key a deny rule names. @default the operator's */
  readonly clients?: LocalClients;
  readonly history?: RotationHistory;
}

export interface PolytomicSlot extends PolytomicFixture {
  readonly name: string;
}

export interface PoelisSlot extends PoelisFixture {
  readonly name: string;
}

/** SDK clients signed with `credentials`, with the access key id deny rules can name. */
export interface SignedClients extends LocalClients {
  readonly credentials: SessionCredentials;
  /** Where `rollback` publishes its event, signed the same way. */
  readonly events: EventBridgeClient;
}

export interface CliWorld {
  readonly deployed: DeployedWorld;
  readonly world: LocalWorld;
  readonly stack: LocalStack;
  /** The account administrator: puts first keys, stages by hand; may not read key values. */
  readonly admin: LocalClients;
  /** The audit function's role (read-only, a reader of every managed secret): what tests read with. */
  readonly inspector: LocalClients;
  /** The operator role, whose policy is the README's: what the CLI runs as. */
  readonly operator: SignedClients;
  readonly rotationFunctionArn: string;
  readonly rotationFunctionName: string;
  /** The rotation function's log group (its LoggingConfig's, which the stack creates). */
  readonly rotationLogGroup: string;
  readonly scanner: LeakScanner;
  /** What an operator sets for the CLI in this world (no credentials). */
  readonly environment: Record<string, string>;
  /** A new session of `roleArn` (the operator's by default) and clients signed with it. */
  clientsAs(roleArn?: string, sessionName?: string): SignedClients;
  /** A fresh Polytomic secret with its first key (slot `name`, or the next unused one). */
  polytomicSecret(options?: {
    readonly name?: string;
    readonly standby?: boolean;
    readonly revokePrevious?: 'on-finish' | 'next-rotation';
  }): Promise<PolytomicSlot>;
  /** A fresh Poelis secret with its first key (the next unused slot). */
  poelisSecret(): Promise<PoelisSlot>;
  /** Replaces the operator role's policy (e.g. the README's minus one statement). */
  setOperatorPolicy(policy: PolicyDocument): void;
  run(argv: readonly string[], options?: RunOptions): Promise<CliRun>;
  close(): Promise<void>;
}

export interface CliWorldOptions {
  /** The config to deploy. @default CLI_STACK_CONFIG */
  readonly configPath?: string;
  /** Receives the emulator's authorization log: one line per denial, naming what decided. */
  readonly authorizationLog?: (line: string) => void;
}

export async function startCliWorld(options: CliWorldOptions = {}): Promise<CliWorld> {
  const deployed = await startDeployedWorld({
    configPath: options.configPath ?? CLI_STACK_CONFIG,
    authorizationLog: options.authorizationLog,
  });
  const { world, stack } = deployed;
  const opened: LocalClients[] = [];

  function clientsAs(roleArn = stack.operatorRoleArn, sessionName?: string): SignedClients {
    const credentials = stack.credentialsFor(roleArn, sessionName);
    const config = { endpoint: world.urls.aws, region: world.aws.region, credentials };
    const sdk = {
      secrets: new SecretsManagerClient(config),
      kms: new KMSClient(config),
      sns: new SNSClient(config),
      events: new EventBridgeClient(config),
    };
    const clients: SignedClients = {
      ...sdk,
      credentials,
      destroy() {
        for (const client of Object.values(sdk)) client.destroy();
      },
    };
    opened.push(clients);
    return clients;
  }

  // The README's policy, found by the section it is in: local/stack/deploy.ts's
  // documentedOperatorPolicy() takes the first "Operator IAM" anywhere in the README.
  world.aws.iam.putRolePolicy(stack.operatorRoleArn, 'policy', readmeOperatorPolicy());
  const admin = clientsAs(stack.administratorRoleArn, 'cli-test-administrator');
  const inspector = clientsAs(stack.auditRoleArn, 'cli-test-inspector');
  const operator = clientsAs(stack.operatorRoleArn, 'cli-test-operator');
  const partnerKeySecretArn = stack.partnerKeySecretArn;
  if (partnerKeySecretArn === undefined) throw new Error('The CLI stack has no partner key');
  const scanner = new LeakScanner([world.polytomic, world.poelis]);
  const environment = world.rotationEnvironment({
    [FunctionEnv.PartnerKeySecretId]: partnerKeySecretArn,
    [FunctionEnv.ExpectedKmsKeyArn]: stack.kmsKeyArn,
  });
  // Its own connection pool, closed with the world (an HttpClient's default one never is).
  const vendorAgent = new Agent({ connect: { timeout: 5_000 } });
  const http = new HttpClient({
    policy: readRotatorConfig(environment).originPolicy,
    dispatcher: vendorAgent,
  });
  const functionName = stack.rotationFunctionArn.split(':')[6];
  const logGroup = world.aws.lambda
    .functions()
    .find((fn) => fn.name === functionName)?.logGroupName;
  if (logGroup === undefined)
    throw new Error(`The rotation function ${functionName} is not deployed`);

  const slots = (provider: string): string[] =>
    stack.config.secrets
      .filter((secret) => secret.provider === provider && secret.name !== WEEKLY_POLYTOMIC_SLOT)
      .map((secret) => secret.name);
  const free = { polytomic: slots('polytomic'), poelis: slots('poelis') };
  const take = (provider: 'polytomic' | 'poelis', name?: string): string => {
    const pool = free[provider];
    if (name !== undefined) {
      if (stack.secretArns[name] === undefined) throw new Error(`No secret ${name} in the stack`);
      if (pool.includes(name)) pool.splice(pool.indexOf(name), 1);
      return name;
    }
    const next = pool.shift();
    if (next === undefined) {
      throw new Error(`No unused ${provider} secret left: add one to ${CLI_STACK_CONFIG}`);
    }
    return next;
  };

  async function run(argv: readonly string[], options: RunOptions = {}): Promise<CliRun> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const tty = options.tty === true;
    const stdin: InputStream = Object.assign(Readable.from([options.stdin ?? '']), { isTTY: tty });
    const clients = options.clients ?? operator;
    const deps: CliDependencies = {
      io: {
        stdin,
        stdout: { write: (text: string) => stdout.push(text), isTTY: tty },
        stderr: { write: (text: string) => stderr.push(text), isTTY: tty },
      },
      env: { ...environment, ...options.env },
      secretsManager: clients.secrets,
      kms: clients.kms,
      ...(isSigned(clients) ? { events: clients.events } : {}),
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
    deployed,
    world,
    stack,
    admin,
    inspector,
    operator,
    rotationFunctionArn: stack.rotationFunctionArn,
    rotationFunctionName: functionName,
    rotationLogGroup: logGroup,
    scanner,
    environment,
    clientsAs,
    async polytomicSecret(options = {}) {
      const name = take('polytomic', options.name);
      const fixture = await putFirstPolytomicKey(world, admin, {
        secretArn: stack.secretArns[name],
        partnerKeySecretArn,
        standby: options.standby,
        revokePrevious: options.revokePrevious,
      });
      return { ...fixture, name };
    },
    async poelisSecret() {
      const name = take('poelis');
      const fixture = await putFirstPoelisKey(world, admin, {
        secretArn: stack.secretArns[name],
        keyName: `${name} #1`,
      });
      return { ...fixture, name };
    },
    setOperatorPolicy(policy) {
      world.aws.iam.putRolePolicy(stack.operatorRoleArn, 'policy', policy);
    },
    run,
    async close() {
      for (const clients of opened) clients.destroy();
      await vendorAgent.close();
      await deployed.close();
    },
  };
}

const README = join(__dirname, '..', '..', '..', 'README.md');

function isSigned(clients: LocalClients): clients is SignedClients {
  return 'events' in clients;
}

/**
 * The README's operator policy: the ```json block after the line that starts with "Operator
 * IAM" in "### Operator CLI" (other sections mention "Operator IAM" in running text).
 */
export function readmeOperatorPolicy(readme = readFileSync(README, 'utf8')): PolicyDocument {
  const section = readme.slice(readme.indexOf('### Operator CLI'));
  const start = /^Operator IAM/m.exec(section);
  const block = start && /```json\n([\s\S]*?)\n```/.exec(section.slice(start.index));
  if (!block)
    throw new Error('README.md has no ```json block under "### Operator CLI", "Operator IAM"');
  return JSON.parse(block[1]) as PolicyDocument;
}

/** The version a rotation left under AWSPENDING without promoting it, if any. */
export async function stuckPendingVersionId(
  client: SecretsManagerClient,
  secretArn: string,
): Promise<string | undefined> {
  const metadata = await readSecretMetadata(client, secretArn, { versions: 'all' });
  const pending = versionIdWithStage(metadata, 'AWSPENDING');
  return pending === versionIdWithStage(metadata, 'AWSCURRENT') ? undefined : pending;
}
