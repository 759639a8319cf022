import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TemplateFormatError,
  lambdaCodeFile,
  loadCloudAssembly,
  validateTemplate,
} from '../../../local/cloudformation';

const HASH = 'fd0ddb5f934f73737186bd91e191beeeaad97eda86effa3de0fe39711f4dfcab';
const KEY = `${HASH}.zip`;
const BUCKET = 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}';

const stackTemplate = {
  Resources: {
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Code: { S3Bucket: { 'Fn::Sub': BUCKET }, S3Key: KEY },
        Handler: 'index.handler',
      },
    },
  },
};

/** A cloud assembly laid out as `cdk synth` writes it. */
function writeAssembly(dir: string, stacks: string[] = ['Demo']): void {
  const artifacts: Record<string, unknown> = {};
  for (const stack of stacks) {
    artifacts[`${stack}.assets`] = {
      type: 'cdk:asset-manifest',
      properties: { file: `${stack}.assets.json` },
    };
    artifacts[stack] = {
      type: 'aws:cloudformation:stack',
      environment: 'aws://unknown-account/unknown-region',
      properties: { templateFile: `${stack}.template.json` },
      dependencies: [`${stack}.assets`],
    };
    writeFileSync(join(dir, `${stack}.template.json`), JSON.stringify(stackTemplate));
    writeFileSync(
      join(dir, `${stack}.assets.json`),
      JSON.stringify({
        version: '55.0.0',
        files: {
          [HASH]: {
            displayName: 'Fn/Code',
            source: { path: `asset.${HASH}`, packaging: 'zip' },
            destinations: {
              'current_account-current_region-1': { bucketName: BUCKET, objectKey: KEY },
            },
          },
          tmpl: {
            source: { path: `${stack}.template.json`, packaging: 'file' },
            destinations: { d: { bucketName: BUCKET, objectKey: 'tmpl.json' } },
          },
        },
        dockerImages: {},
      }),
    );
  }
  artifacts.Tree = { type: 'cdk:tree', properties: { file: 'tree.json' } };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts }));
  mkdirSync(join(dir, `asset.${HASH}`));
  writeFileSync(join(dir, `asset.${HASH}`, 'index.js'), 'exports.handler = async () => 1;');
}

describe('validateTemplate', () => {
  it('accepts a template and names the logical id of what is wrong', () => {
    expect(validateTemplate(stackTemplate)).toBe(stackTemplate);
    expect(() => validateTemplate({ Resources: { Bad: { Properties: {} } } })).toThrow(
      'Template format error: [/Resources/Bad] Every Resources object must contain a Type member.',
    );
    expect(() => validateTemplate({ Resources: { Bad: { Type: 7 } } })).toThrow('[/Resources/Bad]');
    expect(() => validateTemplate({ Resources: { Bad: { Type: 'T', Properties: [] } } })).toThrow(
      '[/Resources/Bad/Properties] Properties must be an object',
    );
    expect(() => validateTemplate({ Resources: { Bad: { Type: 'T', DependsOn: [1] } } })).toThrow(
      '[/Resources/Bad/DependsOn]',
    );
    expect(() => validateTemplate({ Resources: { 'Not-Alnum': { Type: 'T' } } })).toThrow(
      'Resource name Not-Alnum is non alphanumeric.',
    );
  });

  it('rejects what is not a template', () => {
    expect(() => validateTemplate([])).toThrow(TemplateFormatError);
    expect(() => validateTemplate({})).toThrow('At least one Resources member must be defined.');
    expect(() => validateTemplate({ Resources: { A: { Type: 'T' } }, Resource: {} })).toThrow(
      'Invalid template property or properties [Resource]',
    );
    expect(() =>
      validateTemplate({
        Transform: 'AWS::Serverless-2016-10-31',
        Resources: { A: { Type: 'T' } },
      }),
    ).toThrow('Transform "AWS::Serverless-2016-10-31" is not emulated');
  });
});

describe('loadCloudAssembly and lambdaCodeFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfn-assembly-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the stack, its template and its assets by object key', () => {
    writeAssembly(dir);
    const stack = loadCloudAssembly(dir);
    expect(stack.stackName).toBe('Demo');
    expect(stack.templateFile).toBe(join(dir, 'Demo.template.json'));
    expect(stack.template).toEqual(stackTemplate);
    expect(stack.assets.get(KEY)).toEqual({
      id: HASH,
      path: join(dir, `asset.${HASH}`),
      packaging: 'zip',
      bucketName: BUCKET,
      objectKey: KEY,
      displayName: 'Fn/Code',
    });
    expect(stack.assets.get('tmpl.json')?.packaging).toBe('file');
  });

  it('finds the handler file by S3Key, and names a key that is not an asset', () => {
    writeAssembly(dir);
    const { assets } = loadCloudAssembly(dir);
    const bucket = 'cdk-hnb659fds-assets-111122223333-us-east-1';
    expect(lambdaCodeFile({ S3Bucket: bucket, S3Key: KEY }, assets, 'index.handler')).toBe(
      join(dir, `asset.${HASH}`, 'index.js'),
    );
    expect(() => lambdaCodeFile({ S3Bucket: bucket, S3Key: 'other.zip' }, assets)).toThrow(
      `Lambda code object key other.zip is not an asset of the cloud assembly (assets: ${KEY}, tmpl.json)`,
    );
    expect(() => lambdaCodeFile({ S3Bucket: 'somebody-else', S3Key: KEY }, assets)).toThrow(
      `is in bucket somebody-else, but the asset is published to ${BUCKET}`,
    );
    expect(() => lambdaCodeFile({ S3Bucket: bucket, S3Key: KEY }, assets, 'app.handler')).toThrow(
      `Lambda Handler app.handler: no ${join(dir, `asset.${HASH}`, 'app')}.js`,
    );
    expect(() => lambdaCodeFile({ S3Bucket: bucket, S3Key: KEY }, assets, 'handler')).toThrow(
      'must be <module>.<function>',
    );
    expect(() => lambdaCodeFile({ ZipFile: 'exports.handler=1' }, assets)).toThrow(
      'only S3Bucket/S3Key code is supported',
    );
    expect(() => lambdaCodeFile({ S3Bucket: bucket, S3Key: 'tmpl.json' }, assets)).toThrow(
      'is not a directory',
    );
  });

  it('picks a stack by name when the assembly has several', () => {
    writeAssembly(dir, ['One', 'Two']);
    expect(() => loadCloudAssembly(dir)).toThrow('has several stacks (One, Two)');
    expect(loadCloudAssembly(dir, 'Two').stackName).toBe('Two');
    expect(() => loadCloudAssembly(dir, 'Three')).toThrow('has no stack Three (stacks: One, Two)');
  });

  it('fails clearly without a manifest', () => {
    expect(() => loadCloudAssembly(dir)).toThrow(
      `Cloud assembly manifest not found: ${join(dir, 'manifest.json')}`,
    );
  });
});
