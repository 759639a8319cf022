/**
 * README "Deploy": a bad config fails synth with one `ConfigError` listing every problem by field —
 * printed once, plainly (no stack trace), with a failed exit, before anything is synthesized.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUPPORTED_NODE, TSX_CLI } from '../support/supported-node';

const ROOT = join(__dirname, '..', '..');

describe('a bad config given to the CDK app', () => {
  const folder = mkdtempSync(join(tmpdir(), 'config-error-test-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  test('prints each problem once, no stack, and exits 1', () => {
    const config = join(folder, 'deploy.json');
    writeFileSync(
      config,
      JSON.stringify({
        stackName: 'ApiKeyRotator',
        secrets: [
          { name: 'a', provider: 'stripe', schedule: 'rate(30 days)', rotationWindow: '4h' },
        ],
      }),
    );
    const result = spawnSync(SUPPORTED_NODE, [TSX_CLI, 'bin/app.ts'], {
      cwd: ROOT,
      // What `cdk synth -c api-key-rotator:config=…` hands the app.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        CDK_CONTEXT_JSON: JSON.stringify({ 'api-key-rotator:config': config }),
        CDK_OUTDIR: join(folder, 'cdk.out'),
      },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const problem = 'secrets[0].provider: "stripe" is not one of "polytomic", "poelis"';
    expect(result.stderr.split(problem)).toHaveLength(2);
    expect(result.stderr).toContain(`Invalid rotator config (${config}):`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
