import type { KmsService } from './kms';
import type { OperationTable } from './operations';
import { AwsError } from './errors';

const KEY_ID = { min: 1, max: 2048 };
/** A key policy's size limit: 32 KB ("Key policies in AWS KMS", quotas). */
const POLICY = { min: 1, max: 32768 };

function dataKeyBytes(keySpec: string | undefined, numberOfBytes: number | undefined): number {
  if (keySpec !== undefined && numberOfBytes !== undefined) {
    throw new AwsError('ValidationException', 'Please specify either number of bytes or key spec.');
  }
  if (keySpec === 'AES_256') return 32;
  if (keySpec === 'AES_128') return 16;
  if (keySpec !== undefined) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${keySpec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`,
    );
  }
  if (numberOfBytes === undefined) {
    throw new AwsError('ValidationException', 'Please specify either number of bytes or key spec.');
  }
  return numberOfBytes;
}

/** `TrentService.*` operations. */
export function kmsOperations(kms: KmsService): OperationTable {
  return {
    CreateKey: (input) => {
      const keyUsage = input.optionalString('KeyUsage');
      if (keyUsage !== undefined && keyUsage !== 'ENCRYPT_DECRYPT') {
        throw new AwsError(
          'UnsupportedOperationException',
          `The emulator supports only ENCRYPT_DECRYPT symmetric keys, not ${keyUsage}.`,
        );
      }
      const key = kms.createKey(
        input.optionalString('Description', { max: 8192 }) ?? '',
        'CUSTOMER',
        input.optionalString('Policy', POLICY),
      );
      return { KeyMetadata: kms.keyMetadata(key) };
    },
    GetKeyPolicy: (input) => {
      const policyName = input.optionalString('PolicyName', { min: 1, max: 128 }) ?? 'default';
      if (policyName !== 'default') {
        throw new AwsError('NotFoundException', `Key policy ${policyName} does not exist.`);
      }
      const key = kms.resolveKey(input.requiredString('KeyId', KEY_ID));
      return { Policy: JSON.stringify(kms.keyPolicy(key)), PolicyName: 'default' };
    },
    PutKeyPolicy: (input) => {
      kms.putKeyPolicy(
        input.requiredString('KeyId', KEY_ID),
        input.requiredString('Policy', POLICY),
      );
      return {};
    },
    DescribeKey: (input) => ({
      KeyMetadata: kms.keyMetadata(kms.resolveKey(input.requiredString('KeyId', KEY_ID))),
    }),
    EnableKey: (input) => {
      kms.enableKey(input.requiredString('KeyId', KEY_ID));
      return {};
    },
    DisableKey: (input) => {
      kms.disableKey(input.requiredString('KeyId', KEY_ID));
      return {};
    },
    ScheduleKeyDeletion: (input) => {
      const window = input.optionalInteger('PendingWindowInDays', { min: 7, max: 30 }) ?? 30;
      const key = kms.scheduleKeyDeletion(input.requiredString('KeyId', KEY_ID), window);
      return {
        KeyId: key.arn,
        DeletionDate: (key.deletionDate ?? 0) / 1000,
        KeyState: key.keyState,
        PendingWindowInDays: window,
      };
    },
    CancelKeyDeletion: (input) => ({
      KeyId: kms.cancelKeyDeletion(input.requiredString('KeyId', KEY_ID)).arn,
    }),
    CreateAlias: (input) => {
      kms.createAlias(
        input.requiredString('AliasName', { min: 1, max: 256 }),
        input.requiredString('TargetKeyId', KEY_ID),
      );
      return {};
    },
    ListAliases: (input) => {
      const aliases = kms.listAliases(input.optionalString('KeyId', KEY_ID));
      const limit = input.optionalInteger('Limit', { min: 1, max: 1000 }) ?? 100;
      const start = Number(input.optionalString('Marker') ?? '0');
      if (!Number.isInteger(start) || start < 0)
        throw new AwsError(
          'InvalidMarkerException',
          'The request was rejected because the marker that specifies where pagination should next begin is not valid.',
        );
      const page = aliases.slice(start, start + limit);
      const more = start + limit < aliases.length;
      return {
        Aliases: page.map((alias) => ({
          AliasName: alias.aliasName,
          AliasArn: kms.aliasArn(alias.aliasName),
          TargetKeyId: alias.targetKeyId,
          CreationDate: alias.creationDate / 1000,
        })),
        Truncated: more,
        NextMarker: more ? String(start + limit) : undefined,
      };
    },
    Encrypt: (input) => {
      const plaintext = input.optionalBlob('Plaintext', { min: 1, max: 4096 });
      if (!plaintext)
        throw new AwsError(
          'ValidationException',
          "1 validation error detected: Value null at 'plaintext' failed to satisfy constraint: Member must not be null",
        );
      const result = kms.encrypt(
        input.requiredString('KeyId', KEY_ID),
        plaintext,
        input.optionalStringMap('EncryptionContext'),
      );
      return {
        CiphertextBlob: result.ciphertextBlob.toString('base64'),
        KeyId: result.keyArn,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    Decrypt: (input) => {
      const blob = input.optionalBlob('CiphertextBlob', { min: 1, max: 6144 });
      if (!blob)
        throw new AwsError(
          'ValidationException',
          "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null",
        );
      const result = kms.decrypt(
        blob,
        input.optionalStringMap('EncryptionContext'),
        input.optionalString('KeyId', KEY_ID),
      );
      return {
        Plaintext: result.plaintext.toString('base64'),
        KeyId: result.keyArn,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    GenerateDataKey: (input) => {
      const bytes = dataKeyBytes(
        input.optionalString('KeySpec'),
        input.optionalInteger('NumberOfBytes', { min: 1, max: 1024 }),
      );
      const dataKey = kms.generateDataKey(
        input.requiredString('KeyId', KEY_ID),
        bytes,
        input.optionalStringMap('EncryptionContext'),
      );
      return {
        CiphertextBlob: dataKey.ciphertextBlob.toString('base64'),
        Plaintext: dataKey.plaintext.toString('base64'),
        KeyId: dataKey.keyArn,
      };
    },
  };
}
