/**
 * README "Try it by hand", run as a newcomer would: the first block's `npm run local` (its entry
 * point, on the Node npm scripts use), its `export …` line pasted into bash, then every later
 * block as written, in order, in that shell's environment. Each must exit 0, print what its
 * `# → …` comments say, and print no key the simulators issued. The Deploy blocks need an AWS
 * account: they are checked for syntax (`bash -n`) only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { keyShapedStrings } from '../../local/vendors/shared/key-shapes';
import { startLocalWorldProcess, type LocalWorldProcess } from '../local/support/local-process';
import { userPath } from '../support/supported-node';
import {
  expectedOutputs,
  readmeSection,
  shellSnippets,
  type ShellSnippet,
} from './support/readme-snippets';

const ROOT = join(__dirname, '..', '..');
const WALKTHROUGH = shellSnippets(readmeSection('Try it by hand'));
const [START, ...BLOCKS] = WALKTHROUGH;

/** `bash -c script` in the repository, as a user's shell (no npm PATH, no AWS settings of ours). */
function bash(script: string, args: readonly string[] = []): ReturnType<typeof spawnSync> {
  return spawnSync('bash', [...args, '-c', script], {
    cwd: ROOT,
    env: { PATH: userPath(), HOME: process.env.HOME ?? '' },
    encoding: 'utf8',
    timeout: 240_000,
  });
}

/** The commands of a block, without comments and blank lines. */
function commands(code: string): string[] {
  return code
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** No keep-alive: the simulators close idle connections, which a reused socket would meet. */
const oneShot = new Agent({ pipelining: 0 });

const title = (snippet: ShellSnippet): string => `${snippet.heading} (README line ${snippet.line})`;

describe('README "Try it by hand": the blocks', () => {
  test('start the world with `npm run bundle` then `npm run local`, and then run four blocks', () => {
    expect(commands(START.code)).toEqual(['npm run bundle', 'npm run local']);
    expect(BLOCKS.map((block) => block.heading)).toEqual([
      'Polytomic: onboard, rotate, verify',
      'Polytomic: onboard, rotate, verify',
      'Poelis: first key, stage, rotate, revoke',
      'What no one may do',
    ]);
  });

  test.each(BLOCKS.map((block) => [title(block), block] as const))(
    '%s is a subshell with set -euo pipefail, curl -fsS, no placeholder, valid bash',
    (_title, block) => {
      const lines = commands(block.code);
      expect(lines.slice(0, 2)).toEqual(['(', 'set -euo pipefail']);
      expect(lines.at(-1)).toBe(')');
      for (const line of lines.filter((l) => /\bcurl\b/.test(l)))
        expect(line).toMatch(/curl -fsS /);
      expect(block.code).not.toMatch(/<[A-Za-z][\w -]*>/);
      expect(bash(block.code, ['-n']).status).toBe(0);
    },
  );
});

describe('README "Deploy": the blocks need an AWS account', () => {
  test.each(shellSnippets(readmeSection('Deploy')).map((block) => [title(block), block] as const))(
    '%s is valid bash with no placeholder',
    (_title, block) => {
      expect(block.code).not.toMatch(/<[A-Za-z][\w -]*>/);
      expect(bash(block.code, ['-n']).status).toBe(0);
    },
  );
});

describe('README "Try it by hand", run against the local world', () => {
  let local: LocalWorldProcess;

  beforeAll(async () => {
    for (const bundle of ['dist/cli/index.js', 'dist/lambda/rotation/index.js']) {
      if (!existsSync(join(ROOT, bundle))) {
        throw new Error(`${bundle} is missing: the README's first block runs npm run bundle`);
      }
    }
    local = await startLocalWorldProcess();
  }, 300_000);

  afterAll(async () => {
    await oneShot.close();
    // Ctrl-C, as the README says: a clean exit.
    expect(await local.stop('SIGINT')).toBe(0);
  });

  test('the export line names the world it started', () => {
    const { world, exportLine } = local;
    for (const url of [world.aws, world.polytomic, world.poelis]) expect(exportLine).toContain(url);
    expect(exportLine).toContain(`AWS_SHARED_CREDENTIALS_FILE=${world.credentialsFile}`);
  });

  test.each(BLOCKS.map((block) => [title(block), block] as const))(
    '%s runs and prints what the README says',
    async (_title, block) => {
      const result = bash(`${local.exportLine}\n${block.code}`);
      const stdout = String(result.stdout);
      const stderr = String(result.stderr);
      expect({ exit: result.status, stderr: result.status === 0 ? '' : stderr }).toEqual({
        exit: 0,
        stderr: '',
      });
      for (const expected of expectedOutputs(block.code)) expect(stdout).toContain(expected);

      // Keys are named by fingerprint: no key the simulators issued is in anything printed.
      const candidates = keyShapedStrings(`${stdout}\n${stderr}`);
      for (const vendorUrl of [local.world.polytomic, local.world.poelis]) {
        for (const candidate of candidates) {
          const response = await request(`${vendorUrl}/_admin/is-issued-key`, {
            method: 'POST',
            body: JSON.stringify({ candidate }),
            dispatcher: oneShot,
          });
          expect(await response.body.json()).toEqual({ issued: false });
        }
      }
    },
    240_000,
  );
});
