import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssemblyStack, ResourceHandler } from '../../../local/cloudformation';
import {
  buildDependencyGraph,
  deployStack,
  lambdaCodeFile,
  loadCloudAssembly,
} from '../../../local/cloudformation';
import { ApiKeyRotatorStack } from '../../../lib/api-key-rotator-stack';
import { loadRotatorConfig } from '../../../lib/config';

const root = join(__dirname, '..', '..', '..');
const bundles = {
  rotation: join(root, 'dist', 'lambda', 'rotation', 'index.js'),
  audit: join(root, 'dist', 'lambda', 'audit', 'index.js'),
};
const ACCOUNT = '000000000000';
const REGION = 'eu-central-1';

/** Stand-in handlers for every type of the template: they record and answer with ARNs. */
function recordingHandlers(stack: CloudAssemblyStack) {
  const created: { logicalId: string; type: string; properties: Record<string, unknown> }[] = [];
  const handlers: Record<string, ResourceHandler> = {};
  for (const { Type: type } of Object.values(stack.template.Resources)) {
    handlers[type] = {
      create({ logicalId, properties, physicalNameHint }) {
        created.push({ logicalId, type, properties });
        const arn = `arn:aws:${type.split('::')[1].toLowerCase()}:${REGION}:${ACCOUNT}:${physicalNameHint}`;
        return Promise.resolve({
          physicalId: type === 'AWS::SNS::Topic' ? arn : physicalNameHint,
          attributes: { Arn: arn, TopicName: physicalNameHint },
        });
      },
    };
  }
  return { created, handlers };
}

describe('the synthesized ApiKeyRotator stack', () => {
  let outdir: string;
  let stack: CloudAssemblyStack;

  beforeAll(() => {
    // `npm test` bundles before jest; build it when this file runs alone.
    if (!Object.values(bundles).every(existsSync))
      execFileSync('npm', ['run', 'bundle'], { cwd: root, stdio: 'ignore' });
    outdir = mkdtempSync(join(tmpdir(), 'cfn-synth-'));
    const config = loadRotatorConfig(join(root, 'config', 'example.json'));
    // As `cdk deploy` synthesizes by default: with the CDKMetadata resource and its condition.
    const app = new App({ outdir, analyticsReporting: true });
    new ApiKeyRotatorStack(app, config.stackName, { config });
    app.synth();
    stack = loadCloudAssembly(outdir);
  }, 120_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('deploys in dependency order, every intrinsic resolved, with the bundled Lambda code', async () => {
    const { created, handlers } = recordingHandlers(stack);
    const log: string[] = [];
    const deployed = await deployStack({
      template: stack.template,
      stackName: stack.stackName,
      accountId: ACCOUNT,
      region: REGION,
      parameters: { BootstrapVersion: '30' },
      handlers,
      log: (line) => log.push(line),
    });

    const metadata = Object.keys(stack.template.Resources).filter(
      (id) => stack.template.Resources[id].Type === 'AWS::CDK::Metadata',
    );
    expect(metadata).toEqual(['CDKMetadata']);
    expect(log).toContain(
      'SKIPPED CDKMetadata AWS::CDK::Metadata (CDK metadata is not deployed locally)',
    );
    expect(created.map((c) => c.logicalId).sort()).toEqual(
      Object.keys(stack.template.Resources)
        .filter((id) => !metadata.includes(id))
        .sort(),
    );
    const position = new Map(created.map((c, i) => [c.logicalId, i]));
    const graph = buildDependencyGraph(stack.template, {
      conditions: { CDKMetadataAvailable: true },
    });
    const outOfOrder = [...graph.dependencies].flatMap(([id, dependencies]) =>
      [...dependencies]
        .filter((d) => !metadata.includes(d))
        .filter((d) => (position.get(d) ?? Infinity) > (position.get(id) ?? -1))
        .map((d) => `${id} before ${d}`),
    );
    expect(outOfOrder).toEqual([]);
    // No intrinsic function is left in what the handlers were given.
    expect(JSON.stringify(created)).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"/);

    const functions = created.filter((c) => c.type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(2);
    const files = functions.map((fn) =>
      lambdaCodeFile(fn.properties.Code, stack.assets, String(fn.properties.Handler)),
    );
    expect(files.map((f) => readFileSync(f, 'utf8')).sort()).toEqual(
      Object.values(bundles)
        .map((f) => readFileSync(f, 'utf8'))
        .sort(),
    );
    expect(functions[0].properties.Code).toMatchObject({
      S3Bucket: `cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`,
    });

    expect(deployed.outputs.NotificationTopicArn).toMatch(
      new RegExp(`^arn:aws:sns:${REGION}:${ACCOUNT}:${stack.stackName}-NotificationsTopic`),
    );
    expect(deployed.outputs.RotationKeyArn).toContain(`:kms:${REGION}:${ACCOUNT}:`);
    expect(deployed.outputs.SecretNamePrefixes).toBe('api-key-rotator/');
    expect(log.filter((l) => l.startsWith('CREATE_COMPLETE'))).toHaveLength(created.length + 1);
  });

  it("fails CDK's CheckBootstrapVersion rule for an old bootstrap stack", async () => {
    const { created, handlers } = recordingHandlers(stack);
    await expect(
      deployStack({
        template: stack.template,
        stackName: stack.stackName,
        accountId: ACCOUNT,
        region: REGION,
        parameters: { BootstrapVersion: '5' },
        handlers,
      }),
    ).rejects.toThrow(
      "Rule CheckBootstrapVersion failed: CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI.",
    );
    expect(created).toEqual([]);
  });
});
