import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { startLocalWorld } from '../../local/world';
import {
  configureRotation,
  createCustomerManagedKey,
  localClients,
  provisionPolytomicSecret,
} from '../../local/scenarios';

const root = join(__dirname, '..', '..');
const bundle = join(root, 'dist', 'lambda', 'rotation', 'index.js');

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('npx cdk synth', () => {
  let outdir: string;
  let result: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    // `npm test` bundles before jest; build it when this file runs alone.
    if (!existsSync(bundle)) execFileSync('npm', ['run', 'bundle'], { cwd: root, stdio: 'ignore' });
    outdir = mkdtempSync(join(tmpdir(), 'rotator-synth-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // Offline: no version check, no instance metadata, no credentials to find.
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
    result = spawnSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', outdir], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 170_000,
    });
  }, 180_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes the example config into a template', () => {
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
    expect(existsSync(join(outdir, 'ApiKeyRotator.template.json'))).toBe(true);
  });

  /** The rotation function's code folder and environment, as the template deploys them. */
  function deployedFunction(): { file: string; environment: Record<string, string> } {
    const template = JSON.parse(
      readFileSync(join(outdir, 'ApiKeyRotator.template.json'), 'utf8'),
    ) as {
      Resources: Record<
        string,
        {
          Type: string;
          Properties: {
            Code?: { S3Key?: string };
            Environment?: { Variables?: Record<string, unknown> };
          };
        }
      >;
    };
    const [fn] = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    const assetHash = fn.Properties.Code?.S3Key?.replace(/\.zip$/, '');
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(fn.Properties.Environment?.Variables ?? {})) {
      // Values that are references to other resources only exist in a deployed stack.
      if (typeof value === 'string') environment[name] = value;
    }
    return { file: join(outdir, `asset.${assetHash}`, 'index.js'), environment };
  }

  it('rotates a key in the local world with the exact file the template deploys', async () => {
    const deployed = deployedFunction();
    expect(deployed.environment.ROTATOR_REQUIRE_CUSTOMER_MANAGED_KEY).toBe('true');
    const world = await startLocalWorld();
    try {
      const clients = localClients(world);
      const { ROTATOR_ALLOWED_ORIGINS: _publicOrigins, ...environment } = deployed.environment;
      const functionArn = world.registerRotationFunction({ file: deployed.file, environment });
      const fixture = await provisionPolytomicSecret(world, clients, {
        name: 'deployed/polytomic',
        kmsKeyId: await createCustomerManagedKey(clients),
      });
      const before = await clients.secrets.send(
        new GetSecretValueCommand({ SecretId: fixture.secretArn }),
      );
      const oldKey = (JSON.parse(before.SecretString ?? '{}') as { apiKey: string }).apiKey;

      await configureRotation(clients, fixture.secretArn, functionArn, { rotateImmediately: true });
      await world.aws.waitForRotations(fixture.secretArn);

      const [rotation] = world.aws.rotationHistory(fixture.secretArn);
      expect(rotation.steps.map((s) => [s.step, s.ok])).toEqual([
        ['createSecret', true],
        ['setSecret', true],
        ['testSecret', true],
        ['finishSecret', true],
      ]);
      const after = await clients.secrets.send(
        new GetSecretValueCommand({ SecretId: fixture.secretArn }),
      );
      const current = JSON.parse(after.SecretString ?? '{}') as { apiKey: string; userId: string };
      expect(current.userId).toBe(fixture.standbyUserId);
      expect(world.polytomic.admin.keyStatus(current.apiKey)).toBe('live');
      expect(world.polytomic.admin.keyStatus(oldKey)).toBe('revoked');
      clients.secrets.destroy();
      clients.kms.destroy();
    } finally {
      await world.close();
    }
  });

  it('deploys exactly the bundled rotation function', () => {
    const template = JSON.parse(
      readFileSync(join(outdir, 'ApiKeyRotator.template.json'), 'utf8'),
    ) as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
    };
    const functions = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(1);
    const assetHash = functions[0].Properties.Code?.S3Key?.replace(/\.zip$/, '');
    const deployed = join(outdir, `asset.${assetHash}`, 'index.js');
    expect(existsSync(deployed)).toBe(true);
    expect(sha256(deployed)).toBe(sha256(bundle));
  });
});
