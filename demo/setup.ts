/**
 * The demo's account: the stack synthesized from the user's config and deployed into the local
 * world as CloudFormation would, authorization on, then the README's "Deploy step 3" (first keys)
 * done by an administrator — with time under the demo's control. Every later call of the story is
 * signed as a session of the role that would make it.
 */
import { Readable } from 'node:stream';
import { Agent } from 'undici';
import { runCli } from '../cli/program';
import { noRotationHistory } from '../cli/rotation-history';
import { HttpClient } from '../lambda/http/client';
import { readRotatorConfig } from '../lambda/rotation/config';
import type { ManagedSecretConfig, RevokePolicy, RotatorConfig } from '../lib/config';
import { ManualClock } from '../local/aws/types';
import {
  newPoelisOrganization,
  type LocalClients,
  type PoelisFixture,
  type PolytomicFixture,
} from '../local/scenarios';
import type { LocalStack } from '../local/stack/deploy';
import { DEFAULT_CONFIG } from '../local/stack/synthesize';
import { startDeployedWorld } from '../local/stack/world';
import type { LocalWorld } from '../local/world';

export { DEFAULT_CONFIG };

/** The name of the story's n-th Poelis key, as the operator names it in the web app. */
export function poelisKeyName(number: number): string {
  return `Production integration #${number}`;
}

/** A managed secret of the story, as the config defines it and the stack created it. */
export interface DemoSecret {
  readonly name: string;
  readonly arn: string;
  readonly schedule: string;
  readonly rotationWindowHours: number;
  readonly revokePolicy: RevokePolicy;
  readonly readerRoleArns: readonly string[];
}

/** Who makes the story's calls: SDK clients signed as a session of each one's role. */
export interface DemoPrincipals {
  /** Deploy step 3, and security's "Rotate secret immediately": an account administrator. */
  readonly administrator: LocalClients;
  /** The application: the first reader role the config gives the Polytomic secret. */
  readonly app: LocalClients;
  /** The README's operator policy: stages and rotates, and cannot read a value. */
  readonly operator: LocalClients;
  /**
   * The demo's own verification (old-key probes, the keys around a rotation, the partner key):
   * the rotation function's role, the only principal the stack lets read every value.
   */
  readonly verifier: LocalClients;
  /**
   * The audit function's role: the audit runs with exactly the permissions it has when deployed,
   * and the key inventory lists versions with it (the rotation role may not list them).
   */
  readonly auditor: LocalClients;
}

export type PrincipalName = keyof DemoPrincipals;

export interface DemoWorld {
  readonly world: LocalWorld;
  readonly clock: ManualClock;
  readonly stack: LocalStack;
  /** The user's config file the stack was synthesized from. */
  readonly configPath: string;
  readonly principals: DemoPrincipals;
  /** The role ARN behind each principal. */
  readonly roleArns: Readonly<Record<PrincipalName, string>>;
  readonly polytomic: PolytomicFixture & DemoSecret;
  readonly poelis: PoelisFixture & DemoSecret;
  /** Every line the deployed functions printed (the leak check scans them too). */
  readonly functionLog: readonly string[];
  /** The emulator's authorization log: one line per denied call, naming what decided. */
  readonly denials: readonly string[];
  /**
   * Denials during Deploy step 3: the administrator is no reader, so the commands' look at the
   * secrets' current values is refused, as the stack means it to be (they go by the versions).
   */
  readonly setupDenials: readonly string[];
  close(): Promise<void>;
}

export interface DeployDemoOptions {
  /** @default config/example.json */
  readonly configPath?: string;
  /** Synthesis and deploy progress, one line at a time (CloudFormation-style events included). */
  readonly onProgress?: (line: string) => void;
}

/**
 * Synthesizes and deploys the stack into a local world on a manual clock (started at the real
 * time), and puts the first keys into the stack's Polytomic and Poelis secrets.
 */
export async function deployDemoWorld(options: DeployDemoOptions = {}): Promise<DemoWorld> {
  const configPath = options.configPath ?? DEFAULT_CONFIG;
  const clock = new ManualClock();
  const functionLog: string[] = [];
  const denials: string[] = [];
  const setupDenials: string[] = [];
  let settingUp = false;
  const deployed = await startDeployedWorld({
    configPath,
    clock,
    onProgress: options.onProgress,
    logSink: (line) => functionLog.push(line),
    authorizationLog: (line) => (settingUp ? setupDenials : denials).push(line),
  });
  const { world, stack } = deployed;
  try {
    const polytomicConfig = storySecret(stack.config, 'polytomic');
    const poelisConfig = storySecret(stack.config, 'poelis');
    const appRoleArn = polytomicConfig.readerRoleArns[0];
    if (appRoleArn === undefined) {
      throw new Error(
        `${polytomicConfig.name} has no readerRoleArns: the story's app needs a role that may read it.`,
      );
    }
    if (polytomicConfig.revokePolicy !== 'on-finish') {
      throw new Error(
        `${polytomicConfig.name} has revokePolicy ${polytomicConfig.revokePolicy}: the story shows the app surviving the old key's revocation at finishSecret, which needs on-finish.`,
      );
    }
    const partnerKeySecretArn = stack.partnerKeySecretArn;
    if (partnerKeySecretArn === undefined) {
      throw new Error('The stack created no partner-key secret; the story needs one it created.');
    }
    const roleArns: Record<PrincipalName, string> = {
      administrator: stack.administratorRoleArn,
      app: appRoleArn,
      operator: stack.operatorRoleArn,
      verifier: stack.rotationRoleArn,
      auditor: stack.auditRoleArn,
    };
    const principals: DemoPrincipals = {
      administrator: deployed.clientsAs(roleArns.administrator, 'platform-engineer'),
      app: deployed.clientsAs(roleArns.app, 'sync-service'),
      operator: deployed.clientsAs(roleArns.operator, 'operator'),
      verifier: deployed.clientsAs(roleArns.verifier, 'demo-verification'),
      auditor: deployed.clientsAs(roleArns.auditor, 'demo-audit'),
    };
    const polytomicSecret = demoSecret(stack, polytomicConfig);
    const poelisSecret = demoSecret(stack, poelisConfig);
    // Deploy step 3, as the README has it: the administrator runs `onboard polytomic` and `init`.
    settingUp = true;
    const polytomic = await onboardPolytomic(world, principals.administrator, {
      secretArn: polytomicSecret.arn,
      partnerKeySecretArn,
    });
    const poelis = await initPoelis(world, principals.administrator, {
      secretArn: poelisSecret.arn,
      keyName: poelisKeyName(1),
    });
    settingUp = false;
    return {
      world,
      clock,
      stack,
      configPath,
      principals,
      roleArns,
      polytomic: { ...polytomic, ...polytomicSecret },
      poelis: { ...poelis, ...poelisSecret },
      functionLog,
      denials,
      setupDenials,
      close: () => deployed.close(),
    };
  } catch (error) {
    await deployed.close();
    throw error;
  }
}

/** The config's first secret of `provider`: the story needs one of each. */
function storySecret(config: RotatorConfig, provider: 'polytomic' | 'poelis'): ManagedSecretConfig {
  const secret = config.secrets.find((candidate) => candidate.provider === provider);
  if (secret === undefined) {
    throw new Error(
      `The config defines no ${provider} secret: the story rotates one Polytomic and one Poelis secret.`,
    );
  }
  return secret;
}

function demoSecret(stack: LocalStack, config: ManagedSecretConfig): DemoSecret {
  const arn = stack.secretArns[config.name];
  if (arn === undefined) throw new Error(`The deployed stack has no secret ${config.name}.`);
  return {
    name: config.name,
    arn,
    schedule: config.schedule,
    rotationWindowHours: config.rotationWindow.toHours(),
    revokePolicy: config.revokePolicy,
    readerRoleArns: config.readerRoleArns,
  };
}

/**
 * `api-key-rotator onboard polytomic` as the administrator runs it after deploy: the partner key
 * given once on stdin (and stored in its secret), a customer organization and its two service
 * users created, the first key minted, verified and written.
 */
async function onboardPolytomic(
  world: LocalWorld,
  clients: LocalClients,
  options: { readonly secretArn: string; readonly partnerKeySecretArn: string },
): Promise<PolytomicFixture> {
  const tag = options.secretArn.slice(-6);
  const result = (await runOperatorCommand(
    world,
    clients,
    [
      'onboard',
      'polytomic',
      options.secretArn,
      '--create-organization',
      `Demo customer ${tag}`,
      '--user-email',
      `rotation-a+${tag}@demo.example`,
      '--standby-email',
      `rotation-b+${tag}@demo.example`,
      '--partner-key-secret',
      options.partnerKeySecretArn,
      '--partner-key-stdin',
      '--json',
    ],
    world.polytomic.admin.createPartnerKey(),
  )) as {
    organization: { id: string };
    users: { primary: { id: string }; standby: { id: string } };
  };
  return {
    secretArn: options.secretArn,
    organizationId: result.organization.id,
    userId: result.users.primary.id,
    standbyUserId: result.users.standby.id,
    partnerKeySecretArn: options.partnerKeySecretArn,
  };
}

/** `api-key-rotator init` with a key created "in the Poelis web app", piped in. */
async function initPoelis(
  world: LocalWorld,
  clients: LocalClients,
  options: { readonly secretArn: string; readonly keyName: string },
): Promise<PoelisFixture> {
  const organizationId = newPoelisOrganization(world, options.keyName);
  await runOperatorCommand(
    world,
    clients,
    ['init', options.secretArn, '--name', options.keyName, '--json'],
    world.poelis.admin.createKey(organizationId, options.keyName),
  );
  return { secretArn: options.secretArn, organizationId, keyName: options.keyName };
}

/**
 * Runs the CLI in-process with `clients`' credentials, `stdin` piped in, and the vendor
 * settings the stack gives its functions; returns its `--json` document. Its output is the
 * CLI's, not the story's: kept out of the demo's own.
 */
async function runOperatorCommand(
  world: LocalWorld,
  clients: LocalClients,
  argv: readonly string[],
  stdin: string,
): Promise<unknown> {
  const env = world.rotationEnvironment();
  const agent = new Agent({ connect: { timeout: 5_000 } });
  const http = new HttpClient({ policy: readRotatorConfig(env).originPolicy, dispatcher: agent });
  const stdout: string[] = [];
  const stderr: string[] = [];
  try {
    const exitCode = await runCli(argv, {
      io: {
        stdin: Object.assign(Readable.from([stdin]), { isTTY: false }),
        stdout: { write: (text: string) => stdout.push(text) },
        stderr: { write: (text: string) => stderr.push(text) },
      },
      env,
      secretsManager: clients.secrets,
      kms: clients.kms,
      vendorHttp: () => http,
      history: noRotationHistory,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    if (exitCode !== 0) {
      throw new Error(
        `api-key-rotator ${argv[0]} failed (exit ${exitCode}): ${stderr.join('')}${stdout.join('')}`,
      );
    }
    return JSON.parse(stdout.join('')) as unknown;
  } finally {
    await agent.close();
  }
}
