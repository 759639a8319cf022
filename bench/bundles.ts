/**
 * Bundles built for comparison with the deployed one, with the esbuild settings of
 * scripts/bundle.ts, and the per-package breakdown of an esbuild metafile.
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { join } from 'node:path';
import { LAMBDA_BUILD_OPTIONS } from '../scripts/bundle';

export const PROJECT_ROOT = join(__dirname, '..');

export interface BuiltBundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** Bundles TypeScript `source` (resolved from the project root) to `outfile`. */
export async function bundleSource(source: string, outfile: string): Promise<BuiltBundle> {
  const result = await build({
    ...LAMBDA_BUILD_OPTIONS,
    stdin: { contents: source, resolveDir: PROJECT_ROOT, loader: 'ts', sourcefile: 'handler.ts' },
    outfile,
  });
  const metafile = result.metafile;
  if (metafile === undefined) throw new Error(`esbuild returned no metafile for ${outfile}`);
  return { file: outfile, bytes: outputBytes(metafile), metafile };
}

/** Bundles a project entry point to `outfile` with the deployed settings, `overrides` applied. */
export async function bundleEntry(
  entry: string,
  overrides: BuildOptions,
  outfile: string,
): Promise<BuiltBundle> {
  const result = await build({
    ...LAMBDA_BUILD_OPTIONS,
    ...overrides,
    entryPoints: [entry],
    outfile,
  });
  const metafile = result.metafile;
  if (metafile === undefined) throw new Error(`esbuild returned no metafile for ${outfile}`);
  return { file: outfile, bytes: outputBytes(metafile), metafile };
}

export function outputBytes(metafile: Metafile): number {
  return Object.values(metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
}

export interface PackageBytes {
  /** npm package name, or the project folder (e.g. `lambda`) for the project's own code. */
  readonly name: string;
  readonly bytes: number;
}

/** Bytes each package contributes to the output, largest first. */
export function bytesByPackage(metafile: Metafile): PackageBytes[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** `node_modules/@scope/name/…` → `@scope/name`; `lambda/rotation/x.ts` → `lambda`. */
function packageOf(inputPath: string): string {
  const marker = 'node_modules/';
  const at = inputPath.lastIndexOf(marker);
  if (at === -1) return inputPath.split('/')[0] ?? inputPath;
  const segments = inputPath.slice(at + marker.length).split('/');
  return segments[0].startsWith('@') ? `${segments[0]}/${segments[1]}` : segments[0];
}
