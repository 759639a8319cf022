/**
 * Key policies and Secrets Manager's KMS calls made as the caller, through the real SDK clients,
 * with requests signed by sessions of roles the emulator issued (no administrator fallback).
 */
import {
  CreateKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startAwsEmulator, type AwsEmulator } from '../../../local/aws';
import type { PolicyDocument } from '../../../local/aws/authorization';

const ACCOUNT = '000000000000';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;

let emulator: AwsEmulator;
const denials: string[] = [];

beforeAll(async () => {
  emulator = await startAwsEmulator({ authorizationLog: (line) => denials.push(line) });
});
afterAll(() => emulator.close());

function clientsOf(
  roleName: string,
  policy: PolicyDocument,
): { kms: KMSClient; sm: SecretsManagerClient } {
  const role =
    emulator.iam.role(roleName) ??
    emulator.iam.createRole({
      name: roleName,
      assumeRolePolicy: { Version: '2012-10-17', Statement: [] },
    });
  emulator.iam.putRolePolicy(role.arn, 'policy', policy);
  const config = {
    endpoint: emulator.url,
    region: emulator.region,
    credentials: emulator.iam.issueCredentials(role.arn, roleName),
    maxAttempts: 1,
  };
  return { kms: new KMSClient(config), sm: new SecretsManagerClient(config) };
}

const allowAll: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

/** A key policy: the account administers; only GenerateDataKey is usable, through Secrets Manager. */
function writeOnlyKeyPolicy(extra: Record<string, unknown>[] = []): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Administer',
        Effect: 'Allow',
        Principal: { AWS: ROOT },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:Put*'],
        Resource: '*',
      },
      {
        Sid: 'Write',
        Effect: 'Allow',
        Principal: { AWS: ROOT },
        Action: 'kms:GenerateDataKey',
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
      },
      ...extra,
    ],
  });
}

describe('KMS key policies', () => {
  it('a new key without a policy gets the default one: the account, through IAM', async () => {
    const { kms } = clientsOf('admin', allowAll);
    const key = await kms.send(new CreateKeyCommand({ Description: 'default policy' }));
    const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyMetadata?.KeyId }));
    expect(JSON.parse(Policy ?? '{}')).toMatchObject({
      Statement: [{ Principal: { AWS: ROOT }, Action: 'kms:*', Effect: 'Allow' }],
    });
  });

  it('refuses a policy naming a principal that does not exist', async () => {
    const { kms } = clientsOf('admin', allowAll);
    const policy = writeOnlyKeyPolicy([
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/does-not-exist` },
        Action: 'kms:Decrypt',
        Resource: '*',
      },
    ]);
    await expect(kms.send(new CreateKeyCommand({ Policy: policy }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
      message: 'Policy contains a statement with one or more invalid principals.',
    });
  });

  it('refuses a policy that would lock the caller out, unless told to bypass the check', async () => {
    const { kms } = clientsOf('admin', allowAll);
    const lockout = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:Encrypt', Resource: '*' },
      ],
    });
    await expect(kms.send(new CreateKeyCommand({ Policy: lockout }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
    });
    await expect(
      kms.send(new CreateKeyCommand({ Policy: lockout, BypassPolicyLockoutSafetyCheck: true })),
    ).resolves.toHaveProperty('KeyMetadata.KeyId');
  });
});

describe("Secrets Manager's KMS calls, made as the caller", () => {
  it('validates a key set on a secret with GenerateDataKey and Decrypt, both required', async () => {
    const { kms, sm } = clientsOf('admin', allowAll);
    const key = await kms.send(new CreateKeyCommand({ Policy: writeOnlyKeyPolicy() }));
    const keyId = key.KeyMetadata?.Arn;
    // The key policy gives the account GenerateDataKey only: the validation's Decrypt is refused.
    await expect(
      sm.send(new CreateSecretCommand({ Name: 'validated', KmsKeyId: keyId, SecretString: '{}' })),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: 'Access to KMS is not allowed',
    });
    expect(denials.at(-1)).toMatch(/^denied kms:Decrypt to .*assumed-role\/admin\/admin on /);

    // Granting the validation Decrypt (and nothing else) lets the secret be created.
    await kms.send(
      new PutKeyPolicyCommand({
        KeyId: keyId,
        PolicyName: 'default',
        Policy: writeOnlyKeyPolicy([
          {
            Sid: 'Validate',
            Effect: 'Allow',
            Principal: { AWS: ROOT },
            Action: 'kms:Decrypt',
            Resource: '*',
            Condition: {
              StringEquals: {
                'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
                'kms:EncryptionContext:SecretVersionId': 'RequestToValidateKeyAccess',
              },
            },
          },
        ]),
      }),
    );
    const created = await sm.send(
      new CreateSecretCommand({ Name: 'validated', KmsKeyId: keyId, SecretString: '{"a":1}' }),
    );
    await expect(
      sm.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: '{"a":2}' })),
    ).resolves.toHaveProperty('VersionId');
    // Reading decrypts a stored value, which that statement does not allow.
    await expect(
      sm.send(new GetSecretValueCommand({ SecretId: created.ARN })),
    ).rejects.toMatchObject({
      message: 'Access to KMS is not allowed',
    });
  });

  it('lets callers of the account use aws/secretsmanager through Secrets Manager only', async () => {
    const { kms, sm } = clientsOf('app', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }],
    });
    const created = await sm.send(
      new CreateSecretCommand({ Name: 'default-key', SecretString: 'v' }),
    );
    await expect(
      sm.send(new GetSecretValueCommand({ SecretId: created.ARN })),
    ).resolves.toMatchObject({
      SecretString: 'v',
    });
    // Directly, the managed key's policy allows nothing cryptographic, and IAM gives no KMS here.
    await expect(
      kms.send(
        new GetKeyPolicyCommand({ KeyId: 'alias/aws/secretsmanager', PolicyName: 'default' }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
