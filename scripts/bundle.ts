/**
 * Bundles each deployable Lambda to dist/lambda/<name>/index.js (CommonJS, exporting `handler`),
 * and the operator CLI to dist/cli/index.js.
 * CommonJS on purpose: an ESM bundle of the AWS SDK fails at load with "Dynamic require of
 * node:https is not supported" while synth still passes.
 */
import { build, type BuildOptions } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const functions = ['rotation', 'audit'];

/** The esbuild settings of every deployed Lambda bundle (the benchmarks build their baseline with them). */
export const LAMBDA_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  mainFields: ['module', 'main'],
  minify: true,
  // Error class names survive minification: callers and tests match on them.
  keepNames: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
};

async function bundle(name: string): Promise<void> {
  const entry = join(root, 'lambda', name, 'index.ts');
  if (!existsSync(entry)) return;
  const outdir = join(root, 'dist', 'lambda', name);
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    ...LAMBDA_BUILD_OPTIONS,
    entryPoints: [entry],
    outfile: join(outdir, 'index.js'),
  });
  if (result.metafile === undefined) throw new Error(`esbuild returned no metafile for ${name}`);
  // The metafile lives outside the asset folder: the stack deploys dist/lambda/<name>/ as it is.
  const metaDir = join(root, 'dist', 'meta');
  mkdirSync(metaDir, { recursive: true });
  writeFileSync(join(metaDir, `${name}.json`), JSON.stringify(result.metafile));
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.error(`bundled ${name}: dist/lambda/${name}/index.js (${(bytes / 1024).toFixed(0)} KiB)`);
}

async function bundleCli(): Promise<void> {
  const entry = join(root, 'cli', 'index.ts');
  if (!existsSync(entry)) return;
  const outfile = join(root, 'dist', 'cli', 'index.js');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    banner: { js: '#!/usr/bin/env node' },
    legalComments: 'none',
    logLevel: 'warning',
  });
  // `npx api-key-rotator` runs the file itself: npm linked it before it existed, so it set no mode.
  chmodSync(outfile, 0o755);
  console.error('bundled cli: dist/cli/index.js');
}

async function main(): Promise<void> {
  for (const name of functions) await bundle(name);
  await bundleCli();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
