/**
 * A fleet of 10,000 secrets synthesizes within CloudFormation's, KMS's, Lambda's and IAM's limits,
 * and the policies are the same size for 10 secrets as for 10,000.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, NestedStack, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { MANAGED_TAG } from '../../lambda/shared/contracts';
import { ApiKeyRotatorStack } from '../../lib/api-key-rotator-stack';
import { parseRotatorConfig } from '../../lib/config';
import { compliancePacks } from '../../lib/nag';
import { ROOT_STACK_SECRET_LIMIT, SECRET_SHARD_COUNT, shardOf } from '../../lib/secret-shards';

/** AWS's documented limits ("CloudFormation quotas", KMS, Lambda and IAM quotas). */
const LIMITS = {
  resourcesPerStack: 500,
  outputsPerStack: 200,
  templateBodyBytes: 1_048_576,
  keyPolicyBytes: 32_768,
  functionPolicyBytes: 20_480,
  inlinePolicyBytes: 10_240,
};

const READERS = Array.from(
  { length: 5 },
  (_, i) => `arn:aws:iam::111122223333:role/fleet-app-${i}`,
);
const inlineCode = lambda.Code.fromInline('exports.handler = async () => undefined;');

/** A config of `count` secrets under one prefix, readers drawn from a pool of 5 roles. */
function fleetConfig(count: number): unknown {
  return {
    stackName: 'Fleet',
    secretNamePrefixes: ['fleet/'],
    secrets: Array.from({ length: count }, (_, i) => ({
      name: `fleet/${i % 2 === 0 ? 'polytomic' : 'poelis'}/customer-${String(i).padStart(5, '0')}`,
      provider: i % 2 === 0 ? 'polytomic' : 'poelis',
      schedule: 'rate(30 days)',
      rotationWindow: '4h',
      readerRoleArns: [READERS[i % READERS.length]],
    })),
  };
}

/** JSON of a value, as CloudFormation receives it (tokens resolved to intrinsics). */
function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  readonly Outputs?: Record<string, unknown>;
}

/** Every size the limits constrain, measured on the synthesized templates. */
interface FleetSizes {
  readonly secrets: number;
  readonly stacks: number;
  readonly maxResourcesPerStack: number;
  readonly maxOutputsPerStack: number;
  readonly maxTemplateBytes: number;
  readonly keyPolicyBytes: number;
  readonly functionPolicyBytes: number;
  readonly largestInlinePolicyBytes: number;
}

function measure(count: number): FleetSizes {
  // Construct stack traces cost more than the fleet itself at 30,000 constructs.
  const app = new App({ stackTraces: false });
  const stack = new ApiKeyRotatorStack(app, 'Fleet', {
    config: parseRotatorConfig(fleetConfig(count)),
    rotationCode: inlineCode,
    auditCode: inlineCode,
  });
  const assembly = app.synth();
  const stacks = [
    stack,
    ...stack.node.findAll().filter((c) => c instanceof NestedStack),
  ] as Stack[];
  const templates = stacks.map((s) => templateOf(assembly.directory, s));
  const root = templates[0];
  const ofType = (template: TemplateJson, type: string) =>
    Object.values(template.Resources).filter((r) => r.Type === type);
  const keyPolicy = ofType(root, 'AWS::KMS::Key').find((key) =>
    JSON.stringify(key.Properties?.Description).includes('API keys'),
  )?.Properties?.KeyPolicy;
  const permissions = ofType(root, 'AWS::Lambda::Permission');
  const policies = templates.flatMap((t) => ofType(t, 'AWS::IAM::Policy'));
  return {
    // The managed secrets: the partner key is not tagged managed.
    secrets: templates.reduce(
      (n, t) =>
        n +
        ofType(t, 'AWS::SecretsManager::Secret').filter((secret) =>
          (JSON.stringify(secret.Properties?.Tags) ?? '').includes(MANAGED_TAG),
        ).length,
      0,
    ),
    stacks: templates.length,
    maxResourcesPerStack: Math.max(...templates.map((t) => Object.keys(t.Resources).length)),
    maxOutputsPerStack: Math.max(...templates.map((t) => Object.keys(t.Outputs ?? {}).length)),
    maxTemplateBytes: Math.max(...templates.map((t) => bytes(t))),
    keyPolicyBytes: bytes(keyPolicy),
    // Lambda stores each permission as one statement of the function policy.
    functionPolicyBytes: permissions
      .filter((p) => JSON.stringify(p.Properties?.FunctionName).includes('RotationFunction'))
      .reduce((n, p) => n + bytes(p.Properties), 0),
    largestInlinePolicyBytes: Math.max(...policies.map((p) => bytes(p.Properties?.PolicyDocument))),
  };
}

/** The synthesized template of a stack or nested stack: nested ones are written beside the root. */
function templateOf(directory: string, stack: Stack): TemplateJson {
  return JSON.parse(readFileSync(join(directory, stack.templateFile), 'utf8')) as TemplateJson;
}

describe('a fleet past the root stack', () => {
  it('passes the AwsSolutions and Serverless cdk-nag packs in its nested stacks too', () => {
    const stack = new ApiKeyRotatorStack(new App({ stackTraces: false }), 'Sharded', {
      config: parseRotatorConfig(fleetConfig(ROOT_STACK_SECRET_LIMIT + 20)),
      rotationCode: inlineCode,
      auditCode: inlineCode,
    });
    expect(stack.node.findAll().filter((c) => c instanceof NestedStack).length).toBeGreaterThan(1);
    const findings = compliancePacks().flatMap((pack) =>
      pack
        .validateScope(stack)
        .violations.map(
          (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
        ),
    );
    expect(findings).toEqual([]);
  }, 300_000);
});

describe('a fleet of 10,000 secrets', () => {
  let large: FleetSizes;
  let small: FleetSizes;

  beforeAll(() => {
    large = measure(10_000);
    small = measure(10);
    process.stdout.write(
      `fleet sizes:\n  10,000: ${JSON.stringify(large)}\n  10: ${JSON.stringify(small)}\n`,
    );
  }, 900_000);

  it('synthesizes every secret, spread over nested stacks', () => {
    expect(large.secrets).toBe(10_000);
    expect(large.stacks).toBeGreaterThan(10_000 / 150);
    expect(large.stacks).toBeLessThanOrEqual(SECRET_SHARD_COUNT + 1);
  });

  it('stays within every limit', () => {
    expect(large.maxResourcesPerStack).toBeLessThanOrEqual(LIMITS.resourcesPerStack);
    expect(large.maxOutputsPerStack).toBeLessThanOrEqual(LIMITS.outputsPerStack);
    expect(large.maxTemplateBytes).toBeLessThanOrEqual(LIMITS.templateBodyBytes);
    expect(large.keyPolicyBytes).toBeLessThanOrEqual(LIMITS.keyPolicyBytes);
    expect(large.functionPolicyBytes).toBeLessThanOrEqual(LIMITS.functionPolicyBytes);
    expect(large.largestInlinePolicyBytes).toBeLessThanOrEqual(LIMITS.inlinePolicyBytes);
  });

  it('has policies of the same size for 10 secrets as for 10,000', () => {
    expect(large.keyPolicyBytes).toBe(small.keyPolicyBytes);
    expect(large.functionPolicyBytes).toBe(small.functionPolicyBytes);
    expect(large.largestInlinePolicyBytes).toBe(small.largestInlinePolicyBytes);
  });

  it('keeps a small fleet in one stack and places a large one by name hash', () => {
    expect(small.stacks).toBe(1);
    expect(ROOT_STACK_SECRET_LIMIT).toBeLessThan(10_000);
    // Adding or removing a secret moves no other: the shard depends on the name alone.
    expect(shardOf('fleet/polytomic/customer-00042')).toBe(
      shardOf('fleet/polytomic/customer-00042'),
    );
    expect(new Set(Array.from({ length: 1000 }, (_, i) => shardOf(`n/${i}`))).size).toBe(
      SECRET_SHARD_COUNT,
    );
  });
});
