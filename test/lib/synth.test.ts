import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { AUDIT_CHECKS } from '../../lambda/audit/findings';
import type { AuditRunResult } from '../../lambda/audit/handler';
import { FunctionEnv } from '../../lambda/shared/contracts';
import { CONFIG_CONTEXT_KEY, EXAMPLE_CONFIG_PATH } from '../../lib/config';
import { roleSession } from '../../local/aws/authorization';
import { lambdaCodeFile, loadCloudAssembly } from '../../local/cloudformation';
import { putFirstPolytomicKey } from '../../local/scenarios';
import { offlineCdkEnvironment, synthesizeForLocalWorld } from '../../local/stack/synthesize';
import { startDeployedWorld } from '../../local/stack/world';
import { appRoleArn, deployedSecretArn, E2E_CONFIG } from '../support/configs';

const root = join(__dirname, '..', '..');
const bundles = {
  RotationFunction: join(root, 'dist', 'lambda', 'rotation', 'index.js'),
  AuditFunction: join(root, 'dist', 'lambda', 'audit', 'index.js'),
};

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
    const env = offlineCdkEnvironment();
    result = spawnSync(
      'npx',
      [
        'cdk',
        'synth',
        '--no-notices',
        '-q',
        '-c',
        `${CONFIG_CONTEXT_KEY}=${EXAMPLE_CONFIG_PATH}`,
        '-o',
        outdir,
      ],
      { cwd: root, env, encoding: 'utf8', timeout: 170_000 },
    );
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

  it('the local world deploys the assets it synthesizes from the same sources: exactly the bundles', async () => {
    const { assemblyDir, config } = await synthesizeForLocalWorld({ configPath: E2E_CONFIG });
    const { template, assets } = loadCloudAssembly(assemblyDir, config.stackName);
    for (const [name, bundle] of Object.entries(bundles)) {
      const functions = Object.entries(template.Resources).filter(
        ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(name),
      );
      expect(functions).toHaveLength(1);
      const [[, fn]] = functions;
      // The file the local CloudFormation engine gives the function, as it resolves it.
      const file = lambdaCodeFile(fn.Properties?.Code, assets, fn.Properties?.Handler as string);
      expect(sha256(file)).toBe(sha256(bundle));
    }
  }, 180_000);

  it('rotates a key in the local world with the exact file the template deploys, and the deployed audit finds it in sync', async () => {
    const deployed = deployedFunction('RotationFunction');
    expect(deployed.environment[FunctionEnv.RequireCustomerManagedKey]).toBe('true');
    const audit = deployedFunction('AuditFunction');
    expect(audit.environment[FunctionEnv.AuditIntervalMinutes]).toBe('1440');

    // The same app, synthesized from the end-to-end config and deployed into the local world.
    const local = await startDeployedWorld({ configPath: E2E_CONFIG });
    try {
      const { stack } = local;
      const rotationFunction = local.world.aws.lambda
        .functions()
        .find((fn) => fn.arn === stack.rotationFunctionArn);
      expect(rotationFunction?.environment[FunctionEnv.RequireCustomerManagedKey]).toBe('true');
      const admin = local.clientsAs();
      const app = local.clientsAs(appRoleArn(stack), 'app');
      const fixture = await putFirstPolytomicKey(local.world, admin, {
        secretArn: deployedSecretArn(stack, 'deployed/polytomic'),
        partnerKeySecretArn: stack.partnerKeySecretArn!,
      });
      const before = await app.secrets.send(
        new GetSecretValueCommand({ SecretId: fixture.secretArn }),
      );
      const oldKey = (JSON.parse(before.SecretString ?? '{}') as { apiKey: string }).apiKey;

      // Security presses "Rotate secret immediately".
      await admin.secrets.send(new RotateSecretCommand({ SecretId: fixture.secretArn }));
      await local.world.aws.waitForRotations(fixture.secretArn);

      // The deploy ran the configuration test (testSecret alone); then the rotation.
      const [configurationTest, rotation] = local.world.aws.rotationHistory(fixture.secretArn);
      expect(configurationTest.steps.map((s) => [s.step, s.ok])).toEqual([['testSecret', true]]);
      expect(rotation.steps.map((s) => [s.step, s.ok])).toEqual([
        ['createSecret', true],
        ['setSecret', true],
        ['testSecret', true],
        ['finishSecret', true],
      ]);
      const after = await app.secrets.send(
        new GetSecretValueCommand({ SecretId: fixture.secretArn }),
      );
      const current = JSON.parse(after.SecretString ?? '{}') as { apiKey: string; userId: string };
      expect(current.userId).toBe(fixture.standbyUserId);
      expect(local.world.polytomic.admin.keyStatus(current.apiKey)).toBe('live');
      expect(local.world.polytomic.admin.keyStatus(oldKey)).toBe('revoked');

      // The audit from the console: the other secrets of the stack still hold its placeholder.
      const outcome = await local.world.aws.lambda.invoke(
        stack.auditFunctionArn,
        {},
        {
          principal: roleSession(stack.administratorRoleArn, 'console'),
        },
      );
      expect(outcome.ok).toBe(true);
      const result = (outcome.ok ? outcome.payload : undefined) as AuditRunResult;
      expect(result.secretsAudited).toBe(Object.keys(stack.secretArns).length);
      expect(result.findings.filter((found) => found.secretArn === fixture.secretArn)).toEqual([]);
      expect(Object.keys(result.summary).sort()).toEqual([...AUDIT_CHECKS].sort());
    } finally {
      await local.close();
    }
  }, 180_000);

  it.each(Object.entries(bundles) as [keyof typeof bundles, string][])(
    'deploys exactly the bundled %s',
    (name, bundle) => {
      const deployed = deployedFunction(name).file;
      expect(existsSync(deployed)).toBe(true);
      expect(sha256(deployed)).toBe(sha256(bundle));
    },
  );
});
