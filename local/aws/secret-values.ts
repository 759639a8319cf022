import type { KmsService } from './kms';
import { SECRETS_MANAGER_ALIAS } from './kms';
import { AwsError, isAwsError } from './errors';
import { contextBytes, open, seal } from './envelope';

/** A secret version's value as the caller sees it. */
export type SecretValue = { kind: 'string'; text: string } | { kind: 'binary'; bytes: Buffer };

/** A value at rest: a KMS-wrapped data key and the value sealed with it. */
export interface EncryptedValue {
  kind: 'string' | 'binary';
  /** Base64 of the KMS ciphertext blob of the data key. */
  dataKey: string;
  /** Base64 of the AES-256-GCM sealed value. */
  sealed: string;
  /** The ARN of the KMS key that wrapped the data key. */
  keyArn: string;
}

/** The encryption context Secrets Manager passes to KMS for a secret version. */
function encryptionContext(secretArn: string, versionId: string): Record<string, string> {
  return { SecretARN: secretArn, SecretVersionId: versionId };
}

/** Envelope encryption of secret values with the secret's KMS key. */
export class SecretCipher {
  constructor(private readonly kms: KmsService) {}

  encrypt(
    kmsKeyId: string | undefined,
    secretArn: string,
    versionId: string,
    value: SecretValue,
  ): EncryptedValue {
    const context = encryptionContext(secretArn, versionId);
    try {
      const dataKey = this.kms.generateDataKey(kmsKeyId ?? SECRETS_MANAGER_ALIAS, 32, context);
      const plaintext = value.kind === 'string' ? Buffer.from(value.text, 'utf8') : value.bytes;
      const sealed = seal(dataKey.plaintext, plaintext, contextBytes(context));
      return {
        kind: value.kind,
        dataKey: dataKey.ciphertextBlob.toString('base64'),
        sealed: sealed.toString('base64'),
        keyArn: dataKey.keyArn,
      };
    } catch (error) {
      if (!isAwsError(error)) throw error;
      throw new AwsError(
        'EncryptionFailure',
        `Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state. (${error.type})`,
      );
    }
  }

  decrypt(secretArn: string, versionId: string, encrypted: EncryptedValue): SecretValue {
    const context = encryptionContext(secretArn, versionId);
    let plaintext: Buffer | undefined;
    try {
      const dataKey = this.kms.decrypt(Buffer.from(encrypted.dataKey, 'base64'), context).plaintext;
      plaintext = open(dataKey, Buffer.from(encrypted.sealed, 'base64'), contextBytes(context));
    } catch (error) {
      if (!isAwsError(error)) throw error;
      throw new AwsError(
        'DecryptionFailure',
        `Secrets Manager can't decrypt the protected secret text using the provided KMS key. (${error.type})`,
      );
    }
    if (!plaintext) {
      throw new AwsError(
        'DecryptionFailure',
        "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
      );
    }
    return encrypted.kind === 'string'
      ? { kind: 'string', text: plaintext.toString('utf8') }
      : { kind: 'binary', bytes: plaintext };
  }
}

export function sameValue(a: SecretValue, b: SecretValue): boolean {
  if (a.kind === 'string' && b.kind === 'string') return a.text === b.text;
  if (a.kind === 'binary' && b.kind === 'binary') return a.bytes.equals(b.bytes);
  return false;
}
