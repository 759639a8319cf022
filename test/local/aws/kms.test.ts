import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListAliasesCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { startAwsEmulator, type AwsEmulator } from '../../../local/aws';
import { API_BEHAVIOUR_SUITE, clientsFor, errorName, rejection, type Clients } from './helpers';

describe('KMS emulator', () => {
  let emulator: AwsEmulator;
  let clients: Clients;

  beforeAll(async () => {
    emulator = await startAwsEmulator({ administratorForUnknownKeys: API_BEHAVIOUR_SUITE });
    clients = clientsFor(emulator);
  });
  afterAll(async () => {
    clients.destroy();
    await emulator.close();
  });

  async function createKey(): Promise<{ keyId: string; arn: string }> {
    const { KeyMetadata } = await clients.kms.send(
      new CreateKeyCommand({ Description: 'test key' }),
    );
    return { keyId: KeyMetadata?.KeyId as string, arn: KeyMetadata?.Arn as string };
  }

  it('creates a customer managed key with the metadata AWS returns', async () => {
    const { KeyMetadata } = await clients.kms.send(new CreateKeyCommand({ Description: 'mine' }));
    expect(KeyMetadata).toMatchObject({
      AWSAccountId: '000000000000',
      Arn: `arn:aws:kms:us-east-1:000000000000:key/${KeyMetadata?.KeyId}`,
      Enabled: true,
      KeyState: 'Enabled',
      KeyManager: 'CUSTOMER',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      Description: 'mine',
    });
    expect(KeyMetadata?.CreationDate).toBeInstanceOf(Date);
  });

  it('encrypts and decrypts, and a different encryption context is InvalidCiphertextException', async () => {
    const { keyId, arn } = await createKey();
    const context = { purpose: 'test' };
    const encrypted = await clients.kms.send(
      new EncryptCommand({
        KeyId: keyId,
        Plaintext: Buffer.from('hello'),
        EncryptionContext: context,
      }),
    );
    expect(encrypted.KeyId).toBe(arn);
    const decrypted = await clients.kms.send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }),
    );
    expect(Buffer.from(decrypted.Plaintext as Uint8Array).toString()).toBe('hello');
    const wrong = clients.kms.send(
      new DecryptCommand({
        CiphertextBlob: encrypted.CiphertextBlob,
        EncryptionContext: { purpose: 'other' },
      }),
    );
    expect(await errorName(wrong)).toBe('InvalidCiphertextException');
    expect(
      await errorName(
        clients.kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })),
      ),
    ).toBe('InvalidCiphertextException');
    expect(
      await errorName(
        clients.kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from('garbage') })),
      ),
    ).toBe('InvalidCiphertextException');
  });

  it('GenerateDataKey returns a plaintext key and its ciphertext', async () => {
    const { keyId } = await createKey();
    const dataKey = await clients.kms.send(
      new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }),
    );
    expect(dataKey.Plaintext).toHaveLength(32);
    const decrypted = await clients.kms.send(
      new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }),
    );
    expect(Buffer.from(decrypted.Plaintext as Uint8Array)).toEqual(
      Buffer.from(dataKey.Plaintext as Uint8Array),
    );
  });

  it('a disabled key refuses Encrypt with DisabledException until enabled again', async () => {
    const { keyId } = await createKey();
    await clients.kms.send(new DisableKeyCommand({ KeyId: keyId }));
    expect(
      (await clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata,
    ).toMatchObject({ Enabled: false, KeyState: 'Disabled' });
    expect(
      await errorName(
        clients.kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
      ),
    ).toBe('DisabledException');
    await clients.kms.send(new EnableKeyCommand({ KeyId: keyId }));
    await clients.kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
  });

  it('a key pending deletion is KMSInvalidStateException; cancelling leaves it disabled', async () => {
    const { keyId } = await createKey();
    const scheduled = await clients.kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }),
    );
    expect(scheduled.KeyState).toBe('PendingDeletion');
    const described = (await clients.kms.send(new DescribeKeyCommand({ KeyId: keyId })))
      .KeyMetadata;
    expect(described?.DeletionDate).toEqual(scheduled.DeletionDate);
    expect(
      await errorName(
        clients.kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
      ),
    ).toBe('KMSInvalidStateException');
    expect(await errorName(clients.kms.send(new EnableKeyCommand({ KeyId: keyId })))).toBe(
      'KMSInvalidStateException',
    );
    await clients.kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect(
      (await clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState,
    ).toBe('Disabled');
    expect(await errorName(clients.kms.send(new CancelKeyDeletionCommand({ KeyId: keyId })))).toBe(
      'KMSInvalidStateException',
    );
  });

  it('creates and lists aliases; a taken alias is AlreadyExistsException; an unknown one NotFoundException', async () => {
    const { keyId, arn } = await createKey();
    await clients.kms.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: keyId }));
    expect(
      (await clients.kms.send(new DescribeKeyCommand({ KeyId: 'alias/app' }))).KeyMetadata?.Arn,
    ).toBe(arn);
    expect(
      await errorName(
        clients.kms.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: keyId })),
      ),
    ).toBe('AlreadyExistsException');
    const { Aliases } = await clients.kms.send(new ListAliasesCommand({ KeyId: keyId }));
    expect(Aliases).toEqual([
      expect.objectContaining({
        AliasName: 'alias/app',
        AliasArn: 'arn:aws:kms:us-east-1:000000000000:alias/app',
        TargetKeyId: keyId,
      }),
    ]);
    expect(await errorName(clients.kms.send(new DescribeKeyCommand({ KeyId: 'alias/none' })))).toBe(
      'NotFoundException',
    );
    expect(
      await errorName(
        clients.kms.send(new DescribeKeyCommand({ KeyId: '11111111-2222-3333-4444-555555555555' })),
      ),
    ).toBe('NotFoundException');
  });

  it('the aws/secretsmanager key exists implicitly as an AWS managed key', async () => {
    const { KeyMetadata } = await clients.kms.send(
      new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' }),
    );
    expect(KeyMetadata).toMatchObject({ KeyManager: 'AWS', KeyState: 'Enabled' });
    const again = await clients.kms.send(
      new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' }),
    );
    expect(again.KeyMetadata?.KeyId).toBe(KeyMetadata?.KeyId);
  });

  describe('secrets encrypted with a customer managed key', () => {
    it('shows KmsKeyId, records the key per version, and fails with DecryptionFailure / EncryptionFailure while the key is disabled', async () => {
      const { keyId, arn } = await createKey();
      await clients.sm.send(
        new CreateSecretCommand({ Name: 'cmk', KmsKeyId: keyId, SecretString: 'top' }),
      );
      expect((await clients.sm.send(new DescribeSecretCommand({ SecretId: 'cmk' }))).KmsKeyId).toBe(
        keyId,
      );
      const versions = await clients.sm.send(new ListSecretVersionIdsCommand({ SecretId: 'cmk' }));
      expect(versions.Versions?.[0].KmsKeyIds).toEqual([arn]);
      await clients.kms.send(new DisableKeyCommand({ KeyId: keyId }));
      const read = await rejection(clients.sm.send(new GetSecretValueCommand({ SecretId: 'cmk' })));
      expect(read.name).toBe('DecryptionFailure');
      expect(read.message).not.toContain('top');
      expect(
        await errorName(
          clients.sm.send(new PutSecretValueCommand({ SecretId: 'cmk', SecretString: 'next' })),
        ),
      ).toBe('EncryptionFailure');
      expect(
        await errorName(
          clients.sm.send(
            new CreateSecretCommand({ Name: 'cmk-2', KmsKeyId: keyId, SecretString: 'x' }),
          ),
        ),
      ).toBe('EncryptionFailure');
      expect(
        await errorName(clients.sm.send(new DescribeSecretCommand({ SecretId: 'cmk-2' }))),
      ).toBe('ResourceNotFoundException');
      await clients.kms.send(new EnableKeyCommand({ KeyId: keyId }));
      expect(
        (await clients.sm.send(new GetSecretValueCommand({ SecretId: 'cmk' }))).SecretString,
      ).toBe('top');
    });

    it('a key pending deletion fails reads with DecryptionFailure', async () => {
      const { keyId } = await createKey();
      await clients.sm.send(
        new CreateSecretCommand({ Name: 'cmk-deleting', KmsKeyId: keyId, SecretString: 'v' }),
      );
      await clients.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
      expect(
        await errorName(clients.sm.send(new GetSecretValueCommand({ SecretId: 'cmk-deleting' }))),
      ).toBe('DecryptionFailure');
    });

    it('UpdateSecret with a new KmsKeyId re-encrypts the labelled versions with it', async () => {
      const first = await createKey();
      const second = await createKey();
      await clients.sm.send(
        new CreateSecretCommand({ Name: 'rekey', KmsKeyId: first.keyId, SecretString: 'v' }),
      );
      await clients.sm.send(new UpdateSecretCommand({ SecretId: 'rekey', KmsKeyId: second.arn }));
      await clients.kms.send(new DisableKeyCommand({ KeyId: first.keyId }));
      expect(
        (await clients.sm.send(new GetSecretValueCommand({ SecretId: 'rekey' }))).SecretString,
      ).toBe('v');
      expect(
        (await clients.sm.send(new DescribeSecretCommand({ SecretId: 'rekey' }))).KmsKeyId,
      ).toBe(second.arn);
    });

    it('the default key is the AWS managed aws/secretsmanager key, created on first use', async () => {
      await clients.sm.send(new CreateSecretCommand({ Name: 'default-key', SecretString: 'v' }));
      const managed = await clients.kms.send(
        new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' }),
      );
      const versions = await clients.sm.send(
        new ListSecretVersionIdsCommand({ SecretId: 'default-key' }),
      );
      expect(versions.Versions?.[0].KmsKeyIds).toEqual([managed.KeyMetadata?.Arn]);
      // Its key policy (Secrets Manager guide) lets nobody change it: the denial comes first.
      expect(
        await errorName(
          clients.kms.send(new DisableKeyCommand({ KeyId: 'alias/aws/secretsmanager' })),
        ),
      ).toBe('AccessDeniedException');
    });
  });
});
