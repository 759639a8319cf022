/**
 * The fleet's attribute-based access, in the deployed local world with IAM authorization on:
 * the rotation function reaches a secret only under the stack's name prefix AND tagged managed;
 * Secrets Manager may invoke it only for names under the prefix; the stack's key encrypts only
 * secrets under the prefix; and the enrollment policy tags only the rotator's own tag keys, only
 * under the prefix. Each refusal is paired with the allowed case beside it, so the test fails if
 * the condition that refused is loosened.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { MANAGED_TAG } from '../../../lambda/shared/contracts';
import type { StepRecord } from '../../../local/aws/rotation';
import { createEnrollerRole } from '../../../local/stack/deploy';
import { startCliWorld, type CliWorld, type SignedClients } from '../../cli/support/cli-world';

let cli: CliWorld;
let rotationRole: SignedClients;
let enroller: SignedClients;

beforeAll(async () => {
  cli = await startCliWorld();
  rotationRole = cli.clientsAs(cli.stack.rotationRoleArn, 'abac-test-function');
  enroller = cli.clientsAs(createEnrollerRole(cli.world.aws, cli.stack), 'abac-test-enroller');
}, 300_000);

afterAll(async () => {
  await cli?.close();
});

const managed = [{ Key: MANAGED_TAG, Value: 'true' }];

async function create(name: string, tags: { Key: string; Value: string }[] = []): Promise<string> {
  const created = await cli.admin.secrets.send(
    new CreateSecretCommand({ Name: name, SecretString: '{"provider":"poelis"}', Tags: tags }),
  );
  return created.ARN ?? '';
}

function read(client: SecretsManagerClient, arn: string): Promise<unknown> {
  return client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }));
}

describe('attribute-based access to the fleet', () => {
  it('lets the function read a secret only under the prefix and with the managed tag', async () => {
    const outside = await create('elsewhere/tagged', managed);
    const untagged = await create('cli/untagged');
    const both = await create('cli/tagged', managed);
    // Tagging a secret outside the prefix gives the function nothing (the Resource pattern).
    await expect(read(rotationRole.secrets, outside)).rejects.toThrow(
      /not authorized to perform: secretsmanager:GetSecretValue .*because no identity-based policy allows/,
    );
    // Under the prefix without the tag: nothing either (aws:ResourceTag/api-key-rotator:managed).
    await expect(read(rotationRole.secrets, untagged)).rejects.toThrow(
      /because no identity-based policy allows the secretsmanager:GetSecretValue action/,
    );
    // Both: allowed, so the two refusals above are the prefix's and the tag's.
    await expect(read(rotationRole.secrets, both)).resolves.toMatchObject({
      SecretString: '{"provider":"poelis"}',
    });
  });

  it('lets Secrets Manager invoke the function only for secrets under the prefix', async () => {
    /** Configures rotation (RotateSecret runs testSecret) and returns how that step ended. */
    const configure = async (arn: string): Promise<StepRecord | undefined> => {
      await cli.admin.secrets.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotationLambdaARN: cli.stack.rotationFunctionArn,
          RotationRules: { ScheduleExpression: 'rate(30 days)' },
          RotateImmediately: false,
        }),
      );
      await cli.world.aws.waitForRotations(arn);
      return cli.world.aws.rotationHistory(arn).at(-1)?.steps.at(-1);
    };
    // The function policy's aws:SourceArn (ArnLike the prefix) refuses the invoke.
    const outside = await configure(await create('elsewhere/rotate-me', managed));
    expect(outside).toMatchObject({ step: 'testSecret', ok: false });
    expect(outside?.errorMessage).toMatch(
      /Secrets Manager cannot invoke the specified Lambda function/,
    );
    // Under the prefix, on the stack's key: invoked, and the placeholder passes testSecret.
    const created = await cli.admin.secrets.send(
      new CreateSecretCommand({
        Name: 'cli/rotate-me',
        KmsKeyId: cli.stack.kmsKeyArn,
        SecretString: '{"provider":"poelis"}',
        Tags: managed,
      }),
    );
    expect(await configure(created.ARN ?? '')).toMatchObject({ step: 'testSecret', ok: true });
  });

  it("encrypts only secrets under the prefix with the stack's key (kms:EncryptionContext:SecretARN)", async () => {
    const withKey = (name: string): Promise<unknown> =>
      cli.admin.secrets.send(
        new CreateSecretCommand({
          Name: name,
          KmsKeyId: cli.stack.kmsKeyArn,
          SecretString: '{"provider":"poelis"}',
        }),
      );
    await expect(withKey('elsewhere/on-the-stack-key')).rejects.toThrow(
      'Access to KMS is not allowed',
    );
    await expect(withKey('cli/on-the-stack-key')).resolves.toMatchObject({
      Name: 'cli/on-the-stack-key',
    });
  });

  it("lets the enroller tag only the rotator's tag keys, only under the prefix (aws:TagKeys)", async () => {
    const inside = await create('cli/tag-me');
    const outside = await create('elsewhere/tag-me');
    const tag = (arn: string, key: string): Promise<unknown> =>
      enroller.secrets.send(
        new TagResourceCommand({ SecretId: arn, Tags: [{ Key: key, Value: 'true' }] }),
      );
    await expect(tag(outside, MANAGED_TAG)).rejects.toThrow(
      /not authorized to perform: secretsmanager:TagResource/,
    );
    await expect(tag(inside, 'owner')).rejects.toThrow(
      /not authorized to perform: secretsmanager:TagResource/,
    );
    await expect(tag(inside, MANAGED_TAG)).resolves.toBeDefined();
    // The operator's policy tags nothing: enrolling is the enroller's alone.
    await expect(
      cli.operator.secrets.send(
        new TagResourceCommand({ SecretId: inside, Tags: [{ Key: MANAGED_TAG, Value: 'true' }] }),
      ),
    ).rejects.toThrow(/not authorized to perform: secretsmanager:TagResource/);
  });
});
