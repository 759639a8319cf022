/**
 * What the local world cannot deploy it refuses by name: a resource type it does not emulate, or a
 * property of an emulated type it cannot honour, never skipped in silence.
 */
import { startAwsEmulator, type AwsEmulator } from '../../../local/aws';
import { roleSession } from '../../../local/aws/authorization';
import { deployStack, validateTemplate } from '../../../local/cloudformation';
import { localResourceHandlers } from '../../../local/cloudformation/resources';

let emulator: AwsEmulator;
let deployer: ReturnType<typeof roleSession>;

beforeAll(async () => {
  emulator = await startAwsEmulator();
  const role = emulator.iam.createRole({
    name: 'deployer',
    assumeRolePolicy: { Version: '2012-10-17', Statement: [] },
    managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
  });
  deployer = roleSession(role.arn, 'AWSCloudFormation');
});
afterAll(() => emulator.close());

function deploy(resources: Record<string, unknown>): Promise<unknown> {
  return deployStack({
    template: validateTemplate({ Resources: resources }),
    stackName: 'Probe',
    accountId: emulator.accountId,
    region: emulator.region,
    handlers: localResourceHandlers({ emulator, deployer, assets: new Map() }),
  });
}

it('lists every resource type it does not emulate, before creating anything', async () => {
  await expect(
    deploy({
      Bucket: { Type: 'AWS::S3::Bucket' },
      Queue: { Type: 'AWS::SQS::Queue' },
      Key: { Type: 'AWS::KMS::Key' },
    }),
  ).rejects.toThrow(/AWS::S3::Bucket.*AWS::SQS::Queue|AWS::SQS::Queue.*AWS::S3::Bucket/s);
  expect(emulator.kms.listAliases()).toEqual([]);
});

it('fails on a property it cannot honour, naming the logical id and the property', async () => {
  await expect(
    deploy({
      Generated: {
        Type: 'AWS::SecretsManager::Secret',
        Properties: { Name: 'probe/generated', GenerateSecretString: { PasswordLength: 32 } },
      },
    }),
  ).rejects.toThrow(
    'CREATE_FAILED Generated (AWS::SecretsManager::Secret): the local world does not emulate GenerateSecretString',
  );
});

it('fails on a Lambda runtime it cannot run', async () => {
  await expect(
    deploy({
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Runtime: 'python3.12',
          Handler: 'index.handler',
          Role: 'arn:aws:iam::000000000000:role/deployer',
          Code: { S3Bucket: 'b', S3Key: 'k.zip' },
        },
      },
    }),
  ).rejects.toThrow('Runtime python3.12 is not a Node.js runtime');
});
