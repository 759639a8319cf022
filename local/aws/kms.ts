import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from './types';
import { AwsError } from './errors';
import { contextBytes, open, seal } from './envelope';
import { DAY_MS } from './time';
import { parsePolicyText } from './authorization';

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export interface KmsKeyState {
  keyId: string;
  arn: string;
  description: string;
  keyManager: 'AWS' | 'CUSTOMER';
  keyState: KeyState;
  creationDate: number;
  deletionDate?: number;
  /** Base64 of the 256-bit key material; it never leaves the emulator. */
  material: string;
  /** The key policy as JSON text; keys stored before key policies existed get the default one. */
  policy?: string;
}

export interface KmsAliasState {
  aliasName: string;
  targetKeyId: string;
  creationDate: number;
}

export interface KmsState {
  keys: KmsKeyState[];
  aliases: KmsAliasState[];
}

/** The alias of the AWS managed key Secrets Manager uses when a secret names no key. */
export const SECRETS_MANAGER_ALIAS = 'alias/aws/secretsmanager';

const BLOB_VERSION = 1;

export interface DataKey {
  plaintext: Buffer;
  ciphertextBlob: Buffer;
  keyArn: string;
}

/** KMS keys, aliases and symmetric cryptography. */
export class KmsService {
  constructor(
    private readonly state: KmsState,
    private readonly region: string,
    private readonly accountId: string,
    private readonly clock: Clock,
  ) {}

  private arnPrefix(): string {
    return `arn:aws:kms:${this.region}:${this.accountId}`;
  }

  aliasArn(aliasName: string): string {
    return `${this.arnPrefix()}:${aliasName}`;
  }

  /**
   * Creates a key. Without a policy it gets KMS's default key policy ("Default key policy" in the
   * KMS developer guide): the account's root has `kms:*`, so IAM policies decide.
   */
  createKey(
    description: string,
    keyManager: 'AWS' | 'CUSTOMER' = 'CUSTOMER',
    policy?: string,
  ): KmsKeyState {
    const keyId = randomUUID();
    const key: KmsKeyState = {
      keyId,
      arn: `${this.arnPrefix()}:key/${keyId}`,
      description,
      keyManager,
      keyState: 'Enabled',
      creationDate: this.clock.now(),
      material: randomBytes(32).toString('base64'),
      policy: policy ?? JSON.stringify(this.defaultKeyPolicy()),
    };
    this.state.keys.push(key);
    return key;
  }

  /** KMS's default key policy: "Allows access to the AWS account and enables IAM policies". */
  defaultKeyPolicy(): Record<string, unknown> {
    return {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${this.accountId}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
  }

  /**
   * The key policy of the AWS managed key `aws/secretsmanager`, as the Secrets Manager guide
   * ("Secret encryption and decryption") shows it: principals of the account may use it only
   * through Secrets Manager.
   */
  private secretsManagerKeyPolicy(): Record<string, unknown> {
    return {
      Version: '2012-10-17',
      Id: 'auto-secretsmanager-1',
      Statement: [
        {
          Sid: 'Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: [
            'kms:Decrypt',
            'kms:ReEncrypt*',
            'kms:GenerateDataKey*',
            'kms:CreateGrant',
            'kms:DescribeKey',
          ],
          Resource: '*',
          Condition: {
            StringEquals: {
              'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com`,
              'kms:CallerAccount': this.accountId,
            },
          },
        },
        {
          Sid: 'Allow direct access to key metadata to the account',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${this.accountId}:root` },
          Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
          Resource: '*',
        },
      ],
    };
  }

  /** The key policy document of a key. */
  keyPolicy(key: KmsKeyState): Record<string, unknown> {
    if (key.policy !== undefined) return parsePolicyText(key.policy);
    return key.keyManager === 'AWS' ? this.secretsManagerKeyPolicy() : this.defaultKeyPolicy();
  }

  /** The key a ciphertext blob was encrypted under, as Decrypt finds it. */
  keyOfCiphertext(blob: Buffer): KmsKeyState {
    return this.resolveKey(this.parseBlob(blob).keyId);
  }

  /** Replaces a customer managed key's policy (PutKeyPolicy). */
  putKeyPolicy(keyRef: string, policy: string): void {
    this.customerKey(keyRef).policy = policy;
  }

  /** Drops keys whose deletion date has passed, as KMS does when the waiting period ends. */
  private purgeDeletedKeys(): void {
    const now = this.clock.now();
    const gone = new Set(
      this.state.keys
        .filter((key) => key.deletionDate !== undefined && key.deletionDate <= now)
        .map((key) => key.keyId),
    );
    if (gone.size === 0) return;
    this.state.keys = this.state.keys.filter((key) => !gone.has(key.keyId));
    this.state.aliases = this.state.aliases.filter((alias) => !gone.has(alias.targetKeyId));
  }

  /** Resolves a key id, key ARN, alias name or alias ARN; creates the managed key on first use. */
  resolveKey(keyRef: string): KmsKeyState {
    this.purgeDeletedKeys();
    const aliasName = this.aliasNameOf(keyRef);
    if (aliasName !== undefined) {
      const alias = this.state.aliases.find((candidate) => candidate.aliasName === aliasName);
      if (alias) return this.keyById(alias.targetKeyId, keyRef);
      if (aliasName === SECRETS_MANAGER_ALIAS) return this.createManagedKey();
      throw new AwsError('NotFoundException', `Alias ${this.aliasArn(aliasName)} is not found.`);
    }
    const keyId = keyRef.startsWith(`${this.arnPrefix()}:key/`)
      ? keyRef.slice(keyRef.lastIndexOf('/') + 1)
      : keyRef;
    return this.keyById(keyId, keyRef);
  }

  private aliasNameOf(keyRef: string): string | undefined {
    if (keyRef.startsWith('alias/')) return keyRef;
    const prefix = `${this.arnPrefix()}:alias/`;
    return keyRef.startsWith(prefix) ? keyRef.slice(this.arnPrefix().length + 1) : undefined;
  }

  private keyById(keyId: string, keyRef: string): KmsKeyState {
    const key = this.state.keys.find((candidate) => candidate.keyId === keyId);
    if (!key) {
      const shown = keyRef.startsWith('arn:') ? keyRef : `${this.arnPrefix()}:key/${keyRef}`;
      throw new AwsError('NotFoundException', `Key '${shown}' does not exist`);
    }
    return key;
  }

  private createManagedKey(): KmsKeyState {
    const key = this.createKey(
      'Default key that protects my Secrets Manager data when no other key is defined',
      'AWS',
      JSON.stringify(this.secretsManagerKeyPolicy()),
    );
    this.state.aliases.push({
      aliasName: SECRETS_MANAGER_ALIAS,
      targetKeyId: key.keyId,
      creationDate: this.clock.now(),
    });
    return key;
  }

  private usableKey(keyRef: string): KmsKeyState {
    const key = this.resolveKey(keyRef);
    if (key.keyState === 'Disabled')
      throw new AwsError('DisabledException', `${key.arn} is disabled.`);
    if (key.keyState === 'PendingDeletion') {
      throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    return key;
  }

  private customerKey(keyRef: string): KmsKeyState {
    const key = this.resolveKey(keyRef);
    if (key.keyManager === 'AWS') {
      throw new AwsError(
        'UnsupportedOperationException',
        `${key.arn} is an AWS managed key and cannot be modified.`,
      );
    }
    return key;
  }

  enableKey(keyRef: string): void {
    const key = this.customerKey(keyRef);
    if (key.keyState === 'PendingDeletion') {
      throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    key.keyState = 'Enabled';
  }

  disableKey(keyRef: string): void {
    const key = this.customerKey(keyRef);
    if (key.keyState === 'PendingDeletion') {
      throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    key.keyState = 'Disabled';
  }

  scheduleKeyDeletion(keyRef: string, pendingWindowInDays: number): KmsKeyState {
    const key = this.customerKey(keyRef);
    if (key.keyState === 'PendingDeletion') {
      throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    key.keyState = 'PendingDeletion';
    key.deletionDate = this.clock.now() + pendingWindowInDays * DAY_MS;
    return key;
  }

  cancelKeyDeletion(keyRef: string): KmsKeyState {
    const key = this.customerKey(keyRef);
    if (key.keyState !== 'PendingDeletion') {
      throw new AwsError('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
    }
    // KMS leaves a key whose deletion was cancelled disabled.
    key.keyState = 'Disabled';
    delete key.deletionDate;
    return key;
  }

  createAlias(aliasName: string, targetKeyRef: string): void {
    if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(aliasName)) {
      throw new AwsError(
        'ValidationException',
        `Alias must start with the prefix "alias/" and contain only alphanumeric characters, '/', '_', or '-'.`,
      );
    }
    if (aliasName.startsWith('alias/aws/')) {
      throw new AwsError('NotAuthorizedException', "Cannot create alias with prefix 'alias/aws/'");
    }
    this.purgeDeletedKeys();
    if (this.state.aliases.some((alias) => alias.aliasName === aliasName)) {
      throw new AwsError(
        'AlreadyExistsException',
        `An alias with the name ${this.aliasArn(aliasName)} already exists`,
      );
    }
    const key = this.customerKey(targetKeyRef);
    if (key.keyState === 'PendingDeletion') {
      throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    this.state.aliases.push({ aliasName, targetKeyId: key.keyId, creationDate: this.clock.now() });
  }

  listAliases(keyRef?: string): KmsAliasState[] {
    this.purgeDeletedKeys();
    const keyId = keyRef === undefined ? undefined : this.resolveKey(keyRef).keyId;
    return this.state.aliases.filter((alias) => keyId === undefined || alias.targetKeyId === keyId);
  }

  encrypt(
    keyRef: string,
    plaintext: Buffer,
    context?: Record<string, string>,
  ): { ciphertextBlob: Buffer; keyArn: string } {
    const key = this.usableKey(keyRef);
    const keyIdBytes = Buffer.from(key.keyId, 'utf8');
    const sealed = seal(
      Buffer.from(key.material, 'base64'),
      plaintext,
      this.aad(key.keyId, context),
    );
    return {
      ciphertextBlob: Buffer.concat([
        Buffer.from([BLOB_VERSION, keyIdBytes.length]),
        keyIdBytes,
        sealed,
      ]),
      keyArn: key.arn,
    };
  }

  decrypt(
    ciphertextBlob: Buffer,
    context?: Record<string, string>,
    expectedKeyRef?: string,
  ): { plaintext: Buffer; keyArn: string } {
    const parsed = this.parseBlob(ciphertextBlob);
    const key = this.usableKey(parsed.keyId);
    if (expectedKeyRef !== undefined && this.resolveKey(expectedKeyRef).keyId !== key.keyId) {
      throw new AwsError(
        'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.',
      );
    }
    const plaintext = open(
      Buffer.from(key.material, 'base64'),
      parsed.sealed,
      this.aad(key.keyId, context),
    );
    if (!plaintext) throw new AwsError('InvalidCiphertextException', '');
    return { plaintext, keyArn: key.arn };
  }

  generateDataKey(
    keyRef: string,
    numberOfBytes: number,
    context?: Record<string, string>,
  ): DataKey {
    const plaintext = randomBytes(numberOfBytes);
    const { ciphertextBlob, keyArn } = this.encrypt(keyRef, plaintext, context);
    return { plaintext, ciphertextBlob, keyArn };
  }

  private aad(keyId: string, context?: Record<string, string>): Buffer {
    return Buffer.concat([Buffer.from(`${keyId}\n`, 'utf8'), contextBytes(context)]);
  }

  private parseBlob(blob: Buffer): { keyId: string; sealed: Buffer } {
    if (blob.length < 2 || blob[0] !== BLOB_VERSION || blob.length < 2 + blob[1]) {
      throw new AwsError('InvalidCiphertextException', '');
    }
    return {
      keyId: blob.subarray(2, 2 + blob[1]).toString('utf8'),
      sealed: blob.subarray(2 + blob[1]),
    };
  }

  keyMetadata(key: KmsKeyState): Record<string, unknown> {
    return {
      AWSAccountId: this.accountId,
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: key.creationDate / 1000,
      Enabled: key.keyState === 'Enabled',
      Description: key.description,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: key.keyState,
      DeletionDate: key.deletionDate === undefined ? undefined : key.deletionDate / 1000,
      Origin: 'AWS_KMS',
      KeyManager: key.keyManager,
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    };
  }
}
