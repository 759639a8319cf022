/**
 * Node 22 or newer for everything a user runs: on an older Node, the CLI, `npm run local` and
 * `npm start` print one line naming the Node they need — not the AWS SDK's deprecation warning —
 * and exit non-zero before doing anything.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MINIMUM_NODE_MAJOR, unsupportedNodeMessage } from '../../cli/node-version';
import { SUPPORTED_NODE, TSX_CLI } from '../support/supported-node';

const ROOT = join(__dirname, '..', '..');
/** Makes the spawned Node report v20.20.2 (process.version), as the SDK and our check read it. */
const AS_NODE_20 = join(__dirname, 'support', 'node20.js');

function runAsNode20(args: readonly string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const result = spawnSync(SUPPORTED_NODE, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_REGION: 'us-east-1',
      // NODE_OPTIONS reaches the Node that tsx starts, too.
      NODE_OPTIONS: `--require ${AS_NODE_20}`,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the Node version check', () => {
  test.each([
    ['v20.20.2', false],
    ['v21.7.3', false],
    ['v22.0.0', true],
    ['v24.21.0', true],
    ['v30.1.0', true],
  ])('%s is supported: %s', (version, supported) => {
    expect(unsupportedNodeMessage('api-key-rotator', version) === undefined).toBe(supported);
  });

  test('names the program, the Node it needs, the Node it got and the way out', () => {
    expect(unsupportedNodeMessage('npm run local', 'v20.20.2')).toBe(
      'npm run local needs Node 22 or newer; this is Node 20.20.2. Run it through npm ' +
        '(`npx api-key-rotator`, `npm run …`), which uses the Node 24 `npm ci` installs, or upgrade Node.',
    );
  });

  test('matches package.json engines', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe(`>=${MINIMUM_NODE_MAJOR}`);
  });

  test.each([
    [
      'the CLI binary',
      ['dist/cli/index.js', 'status', 'api-key-rotator/poelis/production'],
      'api-key-rotator',
      1,
    ],
    ['npm run local', [TSX_CLI, 'local/main.ts'], 'npm run local', 1],
    ['npm start', [TSX_CLI, 'demo/main.ts'], 'npm start', 2],
  ])('%s on Node 20: one line, no SDK warning', (_name, args, program, exit) => {
    const result = runAsNode20(args);
    expect(result).toEqual({
      status: exit,
      stdout: '',
      stderr: `${unsupportedNodeMessage(program, 'v20.20.2')}\n`,
    });
  });
});
