/**
 * The Node version every command a user runs needs: the AWS SDK drops Node 20 in January 2027 and
 * warns on every run before that, so an older Node gets one plain line instead of that warning.
 */

/** The oldest Node major the CLI, the local world and the demo support (package.json `engines`). */
export const MINIMUM_NODE_MAJOR = 22;

/**
 * The line to print when `version` (e.g. `process.version`) is older than
 * {@link MINIMUM_NODE_MAJOR}, or `undefined` when it is supported.
 *
 * @example
 * unsupportedNodeMessage('api-key-rotator', 'v20.20.2');
 * // 'api-key-rotator needs Node 22 or newer; this is Node 20.20.2. …'
 */
export function unsupportedNodeMessage(program: string, version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (Number.isInteger(major) && major >= MINIMUM_NODE_MAJOR) return undefined;
  return (
    `${program} needs Node ${MINIMUM_NODE_MAJOR} or newer; this is Node ${version.replace(/^v/, '')}. ` +
    'Run it through npm (`npx api-key-rotator`, `npm run …`), which uses the Node 24 `npm ci` ' +
    'installs, or upgrade Node.'
  );
}

/**
 * Exits with `exitCode` after one line on stderr when this process's Node is too old; returns
 * otherwise. Call it first thing in an entry point, before any AWS SDK client is created.
 *
 * @example
 * exitUnlessSupportedNode('npm run local', 1);
 */
export function exitUnlessSupportedNode(program: string, exitCode: number): void {
  const message = unsupportedNodeMessage(program, process.version);
  if (message === undefined) return;
  process.stderr.write(`${message}\n`);
  process.exit(exitCode);
}
