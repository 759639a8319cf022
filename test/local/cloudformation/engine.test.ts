import type {
  CloudFormationTemplate,
  ResourceCreateInput,
  ResourceHandler,
} from '../../../local/cloudformation';
import {
  StackDeployError,
  deleteStack,
  deployStack,
  generatePhysicalName,
} from '../../../local/cloudformation';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';

/** Handlers that record what they are asked, and give each resource an ARN. */
function recorder(options: { failOn?: string; noDelete?: string[]; failDelete?: string[] } = {}) {
  const created: ResourceCreateInput[] = [];
  const deleted: string[] = [];
  const handler = (type: string): ResourceHandler => ({
    create(input) {
      if (input.logicalId === options.failOn) {
        return Promise.reject(new Error('Resource handler returned message: "boom"'));
      }
      created.push(input);
      const name = input.physicalNameHint;
      return Promise.resolve({
        physicalId: name,
        attributes: { Arn: `arn:aws:test:${REGION}:${ACCOUNT}:${type}/${name}`, Name: name },
      });
    },
    ...(options.noDelete?.includes(type)
      ? {}
      : {
          delete({ logicalId }: { logicalId: string }) {
            if (options.failDelete?.includes(logicalId)) {
              return Promise.reject(new Error('still in use'));
            }
            deleted.push(logicalId);
            return Promise.resolve();
          },
        }),
  });
  const handlers: Record<string, ResourceHandler> = {
    'Test::Key': handler('Test::Key'),
    'Test::Role': handler('Test::Role'),
    'Test::Function': handler('Test::Function'),
    'Test::Alarm': handler('Test::Alarm'),
  };
  return { created, deleted, handlers };
}

const template: CloudFormationTemplate = {
  Parameters: {
    BootstrapVersion: {
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/cdk-bootstrap/hnb659fds/version',
    },
    Env: { Type: 'String', Default: 'dev' },
  },
  Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] } },
  Rules: {
    CheckBootstrapVersion: {
      Assertions: [
        {
          Assert: {
            'Fn::Not': [
              { 'Fn::Contains': [['1', '2', '3', '4', '5'], { Ref: 'BootstrapVersion' }] },
            ],
          },
          AssertDescription: 'CDK bootstrap stack version 6 required.',
        },
      ],
    },
  },
  Resources: {
    Alarm: {
      Type: 'Test::Alarm',
      Properties: {
        Actions: [{ 'Fn::GetAtt': ['Function', 'Arn'] }],
        Description: { 'Fn::Sub': '${Function} in ${AWS::Region}' },
      },
    },
    Function: {
      Type: 'Test::Function',
      Properties: {
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Code: {
          S3Bucket: { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' },
          S3Key: 'abc.zip',
        },
        Tracing: { 'Fn::If': ['IsProd', 'Active', { Ref: 'AWS::NoValue' }] },
      },
      DependsOn: ['Role'],
    },
    Key: { Type: 'Test::Key' },
    Role: {
      Type: 'Test::Role',
      Properties: { KeyArn: { 'Fn::GetAtt': 'Key.Arn' } },
    },
    ProdAlarm: { Type: 'Test::Alarm', Condition: 'IsProd' },
    CDKMetadata: { Type: 'AWS::CDK::Metadata', Properties: { Analytics: 'v2:deflate64:x' } },
  },
  Outputs: {
    FunctionName: { Value: { Ref: 'Function' } },
    RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] }, Description: 'role' },
    ProdOnly: { Value: 'x', Condition: 'IsProd' },
  },
};

function deploy(
  handlers: Record<string, ResourceHandler>,
  overrides: Partial<Parameters<typeof deployStack>[0]> = {},
  log: string[] = [],
) {
  let n = 0;
  return deployStack({
    template,
    stackName: 'Demo',
    accountId: ACCOUNT,
    region: REGION,
    parameters: { BootstrapVersion: '30' },
    handlers,
    log: (line) => log.push(line),
    randomSuffix: () => `SUFFIX${String((n += 1)).padStart(6, '0')}`,
    ...overrides,
  });
}

describe('deployStack', () => {
  it('creates in dependency order with resolved properties, and resolves outputs', async () => {
    const { created, handlers } = recorder();
    const log: string[] = [];
    const stack = await deploy(handlers, {}, log);

    expect(created.map((c) => c.logicalId)).toEqual(['Key', 'Role', 'Function', 'Alarm']);
    const fn = created[2];
    expect(fn).toEqual({
      logicalId: 'Function',
      stackName: 'Demo',
      physicalNameHint: 'Demo-Function-SUFFIX000003',
      properties: {
        Role: `arn:aws:test:${REGION}:${ACCOUNT}:Test::Role/Demo-Role-SUFFIX000002`,
        Code: { S3Bucket: `cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`, S3Key: 'abc.zip' },
      },
    });
    expect(created[3].properties).toEqual({
      Actions: [`arn:aws:test:${REGION}:${ACCOUNT}:Test::Function/Demo-Function-SUFFIX000003`],
      Description: `Demo-Function-SUFFIX000003 in ${REGION}`,
    });

    expect(stack.stackId).toMatch(
      new RegExp(`^arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Demo/[0-9a-f-]{36}$`),
    );
    expect([...stack.resources.keys()]).toEqual(['Key', 'Role', 'Function', 'Alarm']);
    expect(stack.resources.get('Function')).toMatchObject({
      type: 'Test::Function',
      physicalId: 'Demo-Function-SUFFIX000003',
    });
    expect(stack.outputs).toEqual({
      FunctionName: 'Demo-Function-SUFFIX000003',
      RoleArn: `arn:aws:test:${REGION}:${ACCOUNT}:Test::Role/Demo-Role-SUFFIX000002`,
    });
    expect(log).toEqual([
      'CREATE_IN_PROGRESS Demo AWS::CloudFormation::Stack',
      'SKIPPED ProdAlarm Test::Alarm (condition IsProd is false)',
      'CREATE_COMPLETE Key Test::Key',
      'CREATE_COMPLETE Role Test::Role',
      'CREATE_COMPLETE Function Test::Function',
      'CREATE_COMPLETE Alarm Test::Alarm',
      'SKIPPED CDKMetadata AWS::CDK::Metadata (CDK metadata is not deployed locally)',
      'CREATE_COMPLETE Demo AWS::CloudFormation::Stack',
    ]);
  });

  it('creates conditional resources and outputs when their condition holds', async () => {
    const { created, handlers } = recorder();
    const stack = await deploy(handlers, { parameters: { BootstrapVersion: '30', Env: 'prod' } });
    expect(created.map((c) => c.logicalId)).toContain('ProdAlarm');
    expect(created.find((c) => c.logicalId === 'Function')?.properties.Tracing).toBe('Active');
    expect(stack.outputs.ProdOnly).toBe('x');
  });

  it('lists every resource type without a handler, before creating anything', async () => {
    const { created, handlers } = recorder();
    const partial = Object.fromEntries(
      Object.entries(handlers).filter(([type]) => type !== 'Test::Role' && type !== 'Test::Alarm'),
    );
    await expect(deploy(partial)).rejects.toThrow(
      'No resource handler for 2 resource type(s): Test::Alarm (Alarm), Test::Role (Role)',
    );
    expect(created).toEqual([]);
  });

  it('rolls back what it created, in reverse order, when a handler fails', async () => {
    const { created, deleted, handlers } = recorder({ failOn: 'Alarm' });
    const log: string[] = [];
    const failure = deploy(handlers, {}, log);
    await expect(failure).rejects.toThrow(StackDeployError);
    await expect(failure).rejects.toThrow(
      'CREATE_FAILED Alarm (Test::Alarm): Resource handler returned message: "boom"',
    );
    expect(created.map((c) => c.logicalId)).toEqual(['Key', 'Role', 'Function']);
    expect(deleted).toEqual(['Function', 'Role', 'Key']);
    expect(log.slice(-6)).toEqual([
      'CREATE_FAILED Alarm (Test::Alarm): Resource handler returned message: "boom"',
      'ROLLBACK_IN_PROGRESS Demo AWS::CloudFormation::Stack',
      'DELETE_COMPLETE Function Test::Function',
      'DELETE_COMPLETE Role Test::Role',
      'DELETE_COMPLETE Key Test::Key',
      'ROLLBACK_COMPLETE Demo AWS::CloudFormation::Stack',
    ]);
  });

  it('reports what the rollback could not delete, and skips handlers without delete', async () => {
    const { deleted, handlers } = recorder({
      failOn: 'Alarm',
      noDelete: ['Test::Key'],
      failDelete: ['Role'],
    });
    const log: string[] = [];
    const error: unknown = await deploy(handlers, {}, log).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackDeployError);
    const failure = error as StackDeployError;
    expect(failure.message).toBe(
      'CREATE_FAILED Alarm (Test::Alarm): Resource handler returned message: "boom"; rollback failed to delete [Role]',
    );
    expect(failure.rollback).toEqual({
      deleted: ['Function'],
      skipped: ['Key'],
      failed: [{ logicalId: 'Role', message: 'still in use' }],
    });
    expect(deleted).toEqual(['Function']);
    expect(log).toContain('DELETE_SKIPPED Key Test::Key (its handler has no delete)');
    expect(log).toContain('DELETE_FAILED Role Test::Role: still in use');
    expect(log.at(-1)).toBe('ROLLBACK_FAILED Demo AWS::CloudFormation::Stack');
  });

  it('fails the resource whose properties cannot be resolved, and rolls back', async () => {
    const { deleted, handlers } = recorder();
    handlers['Test::Role'] = {
      create: () => Promise.resolve({ physicalId: 'role', attributes: {} }),
      delete: () => {
        deleted.push('Role');
        return Promise.resolve();
      },
    };
    await expect(deploy(handlers)).rejects.toThrow(
      'CREATE_FAILED Function (Test::Function): Template error: resource Role does not support attribute type Arn in Fn::GetAtt (its handler returns: none) (at Resources.Function.Properties.Role.Fn::GetAtt)',
    );
    expect(deleted).toEqual(['Role', 'Key']);
  });

  it('fails on a false rule assertion before creating anything', async () => {
    const { created, handlers } = recorder();
    await expect(deploy(handlers, { parameters: { BootstrapVersion: '5' } })).rejects.toThrow(
      'Rule CheckBootstrapVersion failed: CDK bootstrap stack version 6 required.',
    );
    expect(created).toEqual([]);
  });

  it('needs the SSM-typed BootstrapVersion supplied', async () => {
    const { handlers } = recorder();
    await expect(deploy(handlers, { parameters: {} })).rejects.toThrow(
      'supply the value of BootstrapVersion',
    );
  });

  it('fails on unsupported functions before creating anything, listing them all', async () => {
    const { created, handlers } = recorder();
    const bad: CloudFormationTemplate = {
      Resources: {
        Key: { Type: 'Test::Key', Properties: { A: { 'Fn::FindInMap': ['M', 'a', 'b'] } } },
        Role: { Type: 'Test::Role', Properties: { B: { 'Fn::ImportValue': 'Shared' } } },
      },
    };
    await expect(deploy(handlers, { template: bad })).rejects.toThrow(
      /Fn::FindInMap .*\(at Resources\.Key\.Properties\.A\.Fn::FindInMap\)\n {2}Fn::ImportValue is not emulated \(at Resources\.Role\.Properties\.B\.Fn::ImportValue\)/,
    );
    expect(created).toEqual([]);
  });

  it('rejects a handler answer without a physical id', async () => {
    const { handlers } = recorder();
    handlers['Test::Key'] = {
      create: () => Promise.resolve({ physicalId: '', attributes: {} }),
    };
    await expect(deploy(handlers)).rejects.toThrow(
      'CREATE_FAILED Key (Test::Key): the handler returned no physicalId',
    );
  });
});

describe('deleteStack', () => {
  it('deletes in reverse creation order', async () => {
    const { deleted, handlers } = recorder();
    const stack = await deploy(handlers);
    const log: string[] = [];
    await deleteStack({ stack, handlers, log: (line) => log.push(line) });
    expect(deleted).toEqual(['Alarm', 'Function', 'Role', 'Key']);
    expect(log.at(-1)).toBe('DELETE_COMPLETE Demo AWS::CloudFormation::Stack');
  });
});

describe('generatePhysicalName', () => {
  it('is <stack>-<logicalId>-<suffix>', () => {
    expect(generatePhysicalName('ApiKeyRotator', 'RotationFunction4CFF70D7')).toMatch(
      /^ApiKeyRotator-RotationFunction4CFF70D7-[A-Z0-9]{12}$/,
    );
  });

  it('keeps the suffix and shortens the longer part first to fit the limit', () => {
    const name = generatePhysicalName(
      'AVeryLongStackNameForTheRotatorInProduction',
      'RotationFunctionServiceRoleDefaultPolicy1234ABCD',
      { suffix: 'ABCDEFGHIJKL' },
    );
    expect(name).toHaveLength(64);
    expect(name).toBe('AVeryLongStackNameForTheR-RotationFunctionServiceRo-ABCDEFGHIJKL');
    expect(generatePhysicalName('S', 'L', { suffix: 'X', maxLength: 5 })).toBe('S-L-X');
  });
});
