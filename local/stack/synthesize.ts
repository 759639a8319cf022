/**
 * Synthesizes the CDK app for the local world with `cdk synth`, exactly as a user would before
 * `cdk deploy`, from the user's config with one change: the functions may call the local world's
 * vendor simulators (each vendor's `allowedOrigins` is plain http on 127.0.0.1, any port). Cloud assemblies are
 * cached by the hash of everything that goes into them, so worlds share one synthesis.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { loadRotatorConfig, PROVIDERS, type RotatorConfig } from '../../lib/config';

const ROOT = join(__dirname, '..', '..');

/** The config the local world synthesizes by default: the example, which is for synth and tests only. */
export const DEFAULT_CONFIG = join(ROOT, 'config', 'example.json');

/**
 * The origins the local world's functions may call, per vendor: its simulators, on any loopback
 * port (the ports are chosen after synthesis, so the binding of keys to vendors is only as fine
 * as the host here; the in-process worlds bind each vendor to its simulator's exact origin).
 */
export const LOCAL_ORIGINS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  PROVIDERS.map((provider) => [provider, ['http://127.0.0.1']]),
);

export interface SynthesizedStack {
  /** The cloud assembly directory (`cdk.out` layout). */
  readonly assemblyDir: string;
  /** The config the template was synthesized from (with the local origins). */
  readonly config: RotatorConfig;
  /** Whether the assembly came from the cache. */
  readonly cached: boolean;
}

export interface SynthesizeOptions {
  /** The user's config file. @default config/example.json */
  readonly configPath?: string;
  /** Receives progress lines. */
  readonly onProgress?: (line: string) => void;
  /** Where assemblies are cached. @default node_modules/.cache/api-key-rotator/assemblies */
  readonly cacheDir?: string;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? filesUnder(path) : [path];
    })
    .sort();
}

/** A hash of the derived config and every file `cdk synth` reads. */
function assemblyHash(localConfig: string): string {
  const hash = createHash('sha256').update(localConfig);
  const inputs = [
    ...filesUnder(join(ROOT, 'bin')),
    ...filesUnder(join(ROOT, 'lib')),
    ...filesUnder(join(ROOT, 'lambda')),
    ...filesUnder(join(ROOT, 'dist', 'lambda')),
    join(ROOT, 'cdk.json'),
    join(ROOT, 'package-lock.json'),
  ];
  for (const file of inputs) {
    hash.update(relative(ROOT, file)).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 32);
}

/** The environment `cdk synth` runs offline in: no version check, telemetry, credentials or metadata. */
export function offlineCdkEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    CDK_DISABLE_VERSION_CHECK: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const name of [
    'AWS_PROFILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
  ]) {
    delete env[name];
  }
  return env;
}

function runCdkSynth(
  configFile: string,
  outdir: string,
  onProgress: (line: string) => void,
): Promise<void> {
  const env = offlineCdkEnvironment();
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(ROOT, 'node_modules', '.bin', 'cdk'),
      ['synth', '--no-notices', '-q', '-c', `api-key-rotator:config=${configFile}`, '-o', outdir],
      { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const ticker = setInterval(() => onProgress('still synthesizing…'), 5_000);
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`cdk synth failed (exit ${code}):\n${stderr.trim()}`));
    });
  });
}

/**
 * Synthesizes (or finds in the cache) the cloud assembly for the local world.
 *
 * @example
 * const { assemblyDir } = await synthesizeForLocalWorld({ configPath: 'config/example.json' });
 */
export async function synthesizeForLocalWorld(
  options: SynthesizeOptions = {},
): Promise<SynthesizedStack> {
  const configPath = options.configPath ?? DEFAULT_CONFIG;
  const onProgress = options.onProgress ?? ((): void => undefined);
  // Validates the user's config first, so its errors name the user's file.
  loadRotatorConfig(configPath);
  const raw = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  const localConfig = JSON.stringify(
    { ...raw, allowedOrigins: LOCAL_ORIGINS, allowLoopbackHttp: true },
    null,
    2,
  );
  const cacheDir =
    options.cacheDir ?? join(ROOT, 'node_modules', '.cache', 'api-key-rotator', 'assemblies');
  const assemblyDir = join(cacheDir, assemblyHash(localConfig));
  const configFile = join(assemblyDir, 'local-config.json');
  if (existsSync(join(assemblyDir, 'manifest.json')) && existsSync(configFile)) {
    onProgress(`using the synthesized template in ${relative(ROOT, assemblyDir)}`);
    return { assemblyDir, config: loadRotatorConfig(configFile), cached: true };
  }
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, 'synth-'));
  try {
    const workConfig = join(work, 'local-config.json');
    writeFileSync(workConfig, localConfig);
    onProgress(`synthesizing ${relative(ROOT, configPath)} with cdk synth…`);
    const outdir = join(work, 'assembly');
    await runCdkSynth(workConfig, outdir, onProgress);
    writeFileSync(join(outdir, 'local-config.json'), localConfig);
    try {
      renameSync(outdir, assemblyDir);
    } catch (error) {
      // Another process synthesized the same assembly meanwhile: use theirs.
      if (!(existsSync(assemblyDir) && statSync(assemblyDir).isDirectory())) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { assemblyDir, config: loadRotatorConfig(configFile), cached: false };
}
