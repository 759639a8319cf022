import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { AUDIT_CHECKS } from '../../lambda/audit/findings';
import type { AuditRunResult } from '../../lambda/audit/handler';
import { startLocalWorld } from '../../local/world';
import {
  configureRotation,
  createCustomerManagedKey,
  localClients,
  provisionPolytomicSecret,
} from '../../local/scenarios';

const root = join(__dirname, '..', '..');
const bundles = {
  RotationFunction: join(root, 'dist', 'lambda', 'rotation', 'index.js'),
  AuditFunction: join(root, 'dist', 'lambda', 'audit', 'index.js'),
};

/** A deployed environment minus its public origins: the local world's vendors are on loopback. */
function withoutPublicOrigins(environment: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).filter(([name]) => name !== 'ROTATOR_ALLOWED_ORIGINS'),
  );
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('npx cdk synth', () => {
  let outdir: string;
  let result: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    // `npm test` bundles before jest; build it when this file runs alone.
    if (!Object.values(bundles).every(existsSync))
      execFileSync('npm', ['run', 'bundle'], { cwd: root, stdio: 'ignore' });
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

  /** A function's code file and environment, as the template deploys them. */
  function deployedFunction(name: keyof typeof bundles): {
    file: string;
    environment: Record<string, string>;
  } {
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
    const functions = Object.entries(template.Resources).filter(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(name),
    );
    expect(functions).toHaveLength(1);
    const [[, fn]] = functions;
    const assetHash = fn.Properties.Code?.S3Key?.replace(/\.zip$/, '');
    const environment: Record<string, string> = {};
    for (const [variable, value] of Object.entries(fn.Properties.Environment?.Variables ?? {})) {
      // Values that are references to other resources only exist in a deployed stack.
      if (typeof value === 'string') environment[variable] = value;
    }
    return { file: join(outdir, `asset.${assetHash}`, 'index.js'), environment };
  }

  it('rotates a key in the local world with the exact file the template deploys, and the deployed audit finds it in sync', async () => {
    const deployed = deployedFunction('RotationFunction');
    expect(deployed.environment.ROTATOR_REQUIRE_CUSTOMER_MANAGED_KEY).toBe('true');
    const world = await startLocalWorld();
    try {
      const clients = localClients(world);
      const functionArn = world.registerRotationFunction({
        file: deployed.file,
        environment: withoutPublicOrigins(deployed.environment),
      });
      const kmsKeyArn = await createCustomerManagedKey(clients);
      const fixture = await provisionPolytomicSecret(world, clients, {
        name: 'deployed/polytomic',
        kmsKeyId: kmsKeyArn,
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

      const audit = deployedFunction('AuditFunction');
      expect(audit.environment.ROTATOR_AUDIT_INTERVAL_MINUTES).toBe('1440');
      world.runner.register('deployed-audit', {
        kind: 'bundle',
        file: audit.file,
        timeoutMs: 60_000,
        // The key and topic ARNs are references in the template; the local key stands in.
        environment: world.rotationEnvironment({
          ...withoutPublicOrigins(audit.environment),
          ROTATOR_EXPECTED_KMS_KEY_ARN: kmsKeyArn,
        }),
      });
      const outcome = await world.runner.invoke('deployed-audit', {});
      expect(outcome.ok).toBe(true);
      const result = (outcome.ok ? outcome.payload : undefined) as AuditRunResult;
      expect(result.secretsAudited).toBe(1);
      expect(result.findings).toEqual([]);
      expect(Object.keys(result.summary).sort()).toEqual([...AUDIT_CHECKS].sort());
      clients.secrets.destroy();
      clients.kms.destroy();
    } finally {
      await world.close();
    }
  });

  it.each(Object.entries(bundles) as [keyof typeof bundles, string][])(
    'deploys exactly the bundled %s',
    (name, bundle) => {
      const deployed = deployedFunction(name).file;
      expect(existsSync(deployed)).toBe(true);
      expect(sha256(deployed)).toBe(sha256(bundle));
    },
  );
});
