/**
 * `onboard polytomic` and `init` cut short at every outbound call — each AWS call (as the SDK
 * surfaces it once its retries are spent) and each vendor call (after the product's HTTP client),
 * failing before the call reaches its service or after it took effect with the answer lost — then
 * run again without faults. After the re-run the onboarding invariants hold:
 *
 * 1. the secret's AWSCURRENT holds a key the vendor accepts, for the expected principal;
 * 2. exactly one live key per user: the primary user's is the stored one, the standby has none
 *    (no second key was minted, none escaped);
 * 3. no duplicate organization or user;
 * 4. no key value in any output.
 *
 * The deployed local world authorizes every call; the CLI runs as the README's operator.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { Agent } from 'undici';
import type { CliDependencies } from '../../cli/dependencies';
import { ExitCode } from '../../cli/exit-codes';
import type { InputStream } from '../../cli/io';
import { runCli } from '../../cli/program';
import { noRotationHistory } from '../../cli/rotation-history';
import { readRotatorConfig } from '../../lambda/rotation/config';
import { CLI_STACK_CONFIG, startCliWorld, type CliWorld } from '../cli/support/cli-world';
import {
  awsFaultError,
  CallTracer,
  TracedHttpClient,
  type OutboundCall,
} from '../support/fault-injection';

/** How many fresh secrets of each vendor the world deploys: one per fault case, and spares. */
const POLYTOMIC_SLOTS = 32;
const POELIS_SLOTS = 12;

/** The CLI stack's config with many fresh slots, written where synthesis can cache it. */
function faultSuiteConfig(): string {
  const base = JSON.parse(readFileSync(CLI_STACK_CONFIG, 'utf8')) as {
    secrets: { readerRoleArns: string[] }[];
  };
  const reader = base.secrets[0].readerRoleArns;
  const secret = (provider: string, index: number): Record<string, unknown> => ({
    name: `onboarding/${provider}-${index}`,
    provider,
    schedule: 'rate(30 days)',
    rotationWindow: '4h',
    readerRoleArns: reader,
  });
  const config = {
    ...base,
    stackName: 'ApiKeyRotatorOnboarding',
    secrets: [
      ...Array.from({ length: POLYTOMIC_SLOTS }, (_, i) => secret('polytomic', i + 1)),
      ...Array.from({ length: POELIS_SLOTS }, (_, i) => secret('poelis', i + 1)),
    ],
  };
  const dir = join(tmpdir(), 'api-key-rotator-onboarding');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'stack-config.json');
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

let cli: CliWorld;
let operatorSecrets: SecretsManagerClient;
let agent: Agent;
const tracer = new CallTracer();
const slots: Record<'polytomic' | 'poelis', string[]> = { polytomic: [], poelis: [] };

beforeAll(async () => {
  cli = await startCliWorld({ configPath: faultSuiteConfig() });
  const partnerKeySecretArn = cli.stack.partnerKeySecretArn ?? '';
  await cli.admin.secrets.send(
    new PutSecretValueCommand({
      SecretId: partnerKeySecretArn,
      SecretString: JSON.stringify({ partnerKey: cli.world.polytomic.admin.createPartnerKey() }),
    }),
  );
  operatorSecrets = cli.clientsAs(cli.stack.operatorRoleArn, 'onboarding-faults').secrets;
  tracer.instrument(operatorSecrets, 'secretsmanager');
  agent = new Agent({ connect: { timeout: 5_000 } });
  for (const secret of cli.stack.config.secrets) {
    slots[secret.provider].push(secret.name);
  }
}, 600_000);

afterAll(async () => {
  cli?.scanner.expectClean();
  await agent?.close();
  await cli?.close();
});

function take(provider: 'polytomic' | 'poelis'): string {
  const name = slots[provider].shift();
  if (name === undefined) throw new Error(`No ${provider} slot left: raise the slot count`);
  return name;
}

/** Runs the CLI in-process as the operator, every outbound call traced. */
async function run(
  argv: readonly string[],
  stdin = '',
): Promise<{ exitCode: ExitCode; output: string }> {
  const out: string[] = [];
  const io = {
    stdin: Object.assign(Readable.from([stdin]), { isTTY: false }) as InputStream,
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => out.push(text) },
  };
  const http = new TracedHttpClient(
    { policy: readRotatorConfig(cli.environment).originPolicy, dispatcher: agent },
    tracer,
  );
  const deps: CliDependencies = {
    io,
    env: cli.environment,
    secretsManager: operatorSecrets,
    kms: cli.operator.kms,
    vendorHttp: () => http,
    history: noRotationHistory,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))),
  };
  const exitCode = await tracer.runInvocation(undefined, () => runCli(argv, deps));
  const output = out.join('');
  cli.scanner.add('cli', output);
  return { exitCode, output };
}

/** Lets every call through, recording what was called, in order. */
async function recordCalls(argv: readonly string[], stdin?: string): Promise<OutboundCall[]> {
  const calls: OutboundCall[] = [];
  tracer.interceptor = (call, proceed) => {
    calls.push(call);
    return proceed();
  };
  const result = await run(argv, stdin);
  tracer.interceptor = (_call, proceed) => proceed();
  expect(result.exitCode).toBe(ExitCode.Ok);
  return calls;
}

type Mode = 'fails' | 'answer lost';

/** Fails the `index`-th call of the next run: before it reaches its service, or after. */
function failCall(index: number, mode: Mode): void {
  let seen = 0;
  tracer.interceptor = async (call, proceed) => {
    if (seen++ !== index) return proceed();
    if (mode === 'answer lost') await proceed();
    throw call.service === 'vendor'
      ? Object.assign(new Error('fetch failed'), { name: 'VendorUnavailableError' })
      : awsFaultError(mode === 'fails' ? '5xx' : 'commit-then-drop');
  };
}

async function currentValue(secretName: string): Promise<Record<string, string>> {
  const output = await cli.inspector.secrets.send(
    new GetSecretValueCommand({ SecretId: cli.stack.secretArns[secretName] }),
  );
  return JSON.parse(output.SecretString ?? '{}') as Record<string, string>;
}

interface Directory {
  listOrganizations(): { id: string; name: string }[];
  usersOf(id: string): { id: string; email: string }[] | undefined;
}
const directory = (): Directory => cli.world.polytomic.admin as unknown as Directory;

const onboardArgv = (secret: string, tag: string): string[] => [
  'onboard',
  'polytomic',
  secret,
  '--create-organization',
  `Faults ${tag}`,
  '--user-email',
  `rotation-a+${tag}@acme.example`,
  '--standby-email',
  `rotation-b+${tag}@acme.example`,
];

/** The invariants after an onboarding ran to completion. */
async function expectOnboarded(secret: string, tag: string): Promise<void> {
  const organizations = directory()
    .listOrganizations()
    .filter((organization) => organization.name === `Faults ${tag}`);
  expect(organizations).toHaveLength(1);
  const users = directory().usersOf(organizations[0].id) ?? [];
  expect(users.map((user) => user.email).sort()).toEqual([
    `rotation-a+${tag}@acme.example`,
    `rotation-b+${tag}@acme.example`,
  ]);
  const value = await currentValue(secret);
  const primary = users.find((user) => user.email.startsWith('rotation-a'));
  const standby = users.find((user) => user.email.startsWith('rotation-b'));
  expect(value).toMatchObject({
    organizationId: organizations[0].id,
    userId: primary?.id,
    standbyUserId: standby?.id,
  });
  const primaryKeys = cli.world.polytomic.admin.liveKeysOf(primary?.id ?? '');
  expect(primaryKeys).toHaveLength(1);
  expect(cli.world.polytomic.admin.keyStatus(value.apiKey)).toBe('live');
  expect(cli.world.polytomic.admin.liveKeysOf(standby?.id ?? '')).toHaveLength(0);
}

describe('onboard polytomic, cut short at each call, then run again', () => {
  let calls: OutboundCall[] = [];

  beforeAll(async () => {
    const tag = randomUUID().slice(0, 8);
    const secret = take('polytomic');
    calls = await recordCalls(onboardArgv(secret, tag));
    await expectOnboarded(secret, tag);
  });

  it('makes the calls the plan covers', () => {
    const names = calls.map((call) => `${call.service} ${call.operation}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'secretsmanager DescribeSecret',
        'secretsmanager GetSecretValue',
        'secretsmanager PutSecretValue',
        'vendor GET /api/me',
        'vendor GET /api/organizations',
        'vendor POST /api/organizations',
        'vendor GET /api/organizations/:id/users',
        'vendor POST /api/organizations/:id/users',
        'vendor POST /api/organizations/:id/users/:id/keys',
      ]),
    );
  });

  const cases = (): [string, number, Mode][] =>
    calls.flatMap((call, index): [string, number, Mode][] =>
      (['fails', 'answer lost'] as const).map((mode) => [
        `${index} ${call.service} ${call.operation}`,
        index,
        mode,
      ]),
    );

  it('every case converges', async () => {
    const failures: string[] = [];
    for (const [name, index, mode] of cases()) {
      const tag = randomUUID().slice(0, 8);
      const secret = take('polytomic');
      failCall(index, mode);
      const cut = await run(onboardArgv(secret, tag));
      tracer.interceptor = (_call, proceed) => proceed();
      const again = await run(onboardArgv(secret, tag));
      try {
        // A write whose answer was lost is done: the first run may end 0 or not, never worse.
        if (!(mode === 'answer lost' && name.includes('PutSecretValue'))) {
          expect(cut.exitCode).not.toBe(ExitCode.Ok);
        }
        expect(again.exitCode).toBe(ExitCode.Ok);
        await expectOnboarded(secret, tag);
      } catch (error) {
        failures.push(`${name} (${mode}): ${String(error)}\n${cut.output}\n${again.output}`);
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});

describe('init, cut short at each call, then run again', () => {
  let organizationId: string;
  let calls: OutboundCall[] = [];

  beforeAll(async () => {
    organizationId = cli.world.poelis.admin.createOrganization('Init faults').id;
    cli.world.poelis.admin.createWorkspace(organizationId, 'Main');
    const key = cli.world.poelis.admin.createKey(organizationId, 'probe');
    calls = await recordCalls(['init', take('poelis'), '--name', 'probe'], key);
  });

  it('every case converges, with the key stored once', async () => {
    expect(calls.map((call) => `${call.service} ${call.operation}`)).toEqual(
      expect.arrayContaining(['secretsmanager PutSecretValue', 'vendor GET /v1/public/workspaces']),
    );
    const failures: string[] = [];
    for (const [index, call] of calls.entries()) {
      for (const mode of ['fails', 'answer lost'] as const) {
        const secret = take('poelis');
        const name = `key ${index}-${mode === 'fails' ? 'f' : 'l'}`;
        const key = cli.world.poelis.admin.createKey(organizationId, name);
        const argv = ['init', secret, '--name', name];
        failCall(index, mode);
        await run(argv, key);
        tracer.interceptor = (_call, proceed) => proceed();
        const again = await run(argv, key);
        try {
          expect(again.exitCode).toBe(ExitCode.Ok);
          expect(await currentValue(secret)).toMatchObject({ apiKey: key, keyName: name });
        } catch (error) {
          failures.push(`${index} ${call.service} ${call.operation} (${mode}): ${String(error)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
