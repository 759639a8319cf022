import { randomBytes } from 'node:crypto';
import type { Clock } from './types';
import type { EncryptedValue, SecretCipher, SecretValue } from './secret-values';
import type { RotationRules, RotationWindow } from './schedule';
import type { StagedVersion } from './staging';
import { sameValue } from './secret-values';
import {
  AWSCURRENT,
  assertLabelQuota,
  attachLabels,
  findByLabel,
  pruneDeprecated,
} from './staging';
import { AwsError } from './errors';
import { DAY_MS, startOfUtcDay } from './time';

export interface Tag {
  Key: string;
  Value: string;
}

export interface StoredVersion extends StagedVersion {
  lastAccessedDate?: number;
  /** Absent for the version RotateSecret creates until the function stores a value. */
  value?: EncryptedValue;
}

export interface StoredSecret {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Tag[];
  createdDate: number;
  lastChangedDate: number;
  lastAccessedDate?: number;
  lastRotatedDate?: number;
  /** When the secret is scheduled to be deleted; set while it awaits deletion. */
  deletedDate?: number;
  rotationEnabled?: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRules;
  nextRotation?: RotationWindow;
  resourcePolicy?: string;
  /** RotationTokens issued to this secret's rotations, newest last. */
  rotationTokens: string[];
  versions: StoredVersion[];
}

export interface SecretsState {
  secrets: StoredSecret[];
}

const KEPT_ROTATION_TOKENS = 10;
const ARN_SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export interface NewVersion {
  versionId: string;
  value: SecretValue;
  /** The labels to attach; AWSCURRENT when the caller names none. */
  stages?: string[];
}

export const DELETED_MESSAGE =
  "You can't perform this operation on the secret because it was marked for deletion.";

/** Secrets, their versions and their encrypted values. */
export class SecretsStore {
  constructor(
    private readonly state: SecretsState,
    private readonly cipher: SecretCipher,
    private readonly region: string,
    private readonly accountId: string,
    private readonly clock: Clock,
  ) {}

  now(): number {
    return this.clock.now();
  }

  all(): StoredSecret[] {
    this.purgeExpired();
    return this.state.secrets;
  }

  /** Resolves a name, full ARN or partial ARN (without the random suffix), deleted or not. */
  lookup(secretId: string): StoredSecret | undefined {
    return this.all().find(
      (candidate) =>
        candidate.arn === secretId ||
        candidate.name === secretId ||
        (secretId.startsWith('arn:') &&
          candidate.arn.length === secretId.length + 7 &&
          candidate.arn.startsWith(`${secretId}-`)),
    );
  }

  /** Like `lookup`, failing as Secrets Manager does for an unknown secret. */
  find(secretId: string): StoredSecret {
    const secret = this.lookup(secretId);
    if (!secret)
      throw new AwsError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    return secret;
  }

  /** Like `find`, refusing secrets scheduled for deletion as most operations do. */
  findActive(secretId: string): StoredSecret {
    const secret = this.find(secretId);
    if (secret.deletedDate !== undefined)
      throw new AwsError('InvalidRequestException', DELETED_MESSAGE);
    return secret;
  }

  private purgeExpired(): void {
    const now = this.clock.now();
    this.state.secrets = this.state.secrets.filter(
      (secret) => secret.deletedDate === undefined || secret.deletedDate > now,
    );
  }

  create(input: {
    name: string;
    description?: string;
    kmsKeyId?: string;
    tags: Tag[];
  }): StoredSecret {
    const existing = this.all().find((secret) => secret.name === input.name);
    if (existing?.deletedDate !== undefined) {
      throw new AwsError(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing)
      throw new AwsError(
        'ResourceExistsException',
        `The operation failed because the secret ${input.name} already exists.`,
      );
    const suffix = [...randomBytes(6)]
      .map((byte) => ARN_SUFFIX_CHARS[byte % ARN_SUFFIX_CHARS.length])
      .join('');
    const now = this.clock.now();
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${input.name}-${suffix}`,
      name: input.name,
      description: input.description,
      kmsKeyId: input.kmsKeyId,
      tags: input.tags,
      createdDate: now,
      lastChangedDate: now,
      rotationTokens: [],
      versions: [],
    };
    this.state.secrets.push(secret);
    return secret;
  }

  touch(secret: StoredSecret): void {
    secret.lastChangedDate = this.clock.now();
  }

  version(secret: StoredSecret, versionId: string): StoredVersion | undefined {
    return secret.versions.find((version) => version.versionId === versionId);
  }

  /**
   * PutSecretValue's rules: a new token makes a version; the same token and value is a no-op;
   * the same token with another value is refused; a value-less version (rotation) gets its value.
   */
  putValue(secret: StoredSecret, input: NewVersion): { version: StoredVersion; created: boolean } {
    const existing = this.version(secret, input.versionId);
    if (existing?.value) {
      const stored = this.cipher.decrypt(secret.arn, existing.versionId, existing.value);
      if (!sameValue(stored, input.value)) {
        throw new AwsError(
          'ResourceExistsException',
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      return { version: existing, created: false };
    }
    // The first version of a secret always becomes AWSCURRENT.
    const requested = input.stages ?? [AWSCURRENT];
    const stages = findByLabel(secret.versions, AWSCURRENT)
      ? requested
      : [...new Set([...requested, AWSCURRENT])];
    assertLabelQuota(secret.versions, stages);
    const value = this.cipher.encrypt(secret.kmsKeyId, secret.arn, input.versionId, input.value);
    const version: StoredVersion = existing ?? {
      versionId: input.versionId,
      stages: [],
      createdDate: this.clock.now(),
    };
    version.value = value;
    if (!existing) secret.versions.push(version);
    attachLabels(secret.versions, version, stages);
    this.prune(secret);
    this.touch(secret);
    return { version, created: true };
  }

  /** Adds the value-less version RotateSecret creates for the function to fill. */
  addPendingVersion(secret: StoredSecret, versionId: string, label: string): StoredVersion {
    const version: StoredVersion = { versionId, stages: [], createdDate: this.clock.now() };
    secret.versions.push(version);
    attachLabels(secret.versions, version, [label]);
    this.prune(secret);
    return version;
  }

  removeVersion(secret: StoredSecret, versionId: string): void {
    secret.versions = secret.versions.filter((version) => version.versionId !== versionId);
  }

  prune(secret: StoredSecret): void {
    secret.versions = pruneDeprecated(secret.versions, this.clock.now());
  }

  /** Picks the version GetSecretValue names, with the errors Secrets Manager gives. */
  selectVersion(
    secret: StoredSecret,
    versionId: string | undefined,
    versionStage: string | undefined,
  ): StoredVersion {
    if (versionId !== undefined) {
      const version = this.version(secret, versionId);
      if (!version) {
        throw new AwsError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
        );
      }
      if (versionStage !== undefined && !version.stages.includes(versionStage)) {
        throw new AwsError(
          'InvalidRequestException',
          'You provided a VersionStage that is not associated to the provided VersionId.',
        );
      }
      return version;
    }
    const stage = versionStage ?? AWSCURRENT;
    const version = findByLabel(secret.versions, stage);
    if (!version) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      );
    }
    return version;
  }

  /** Decrypts a version's value and records the access (by day, as Secrets Manager does). */
  readValue(secret: StoredSecret, version: StoredVersion, label: string): SecretValue {
    if (!version.value) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for ${label}`,
      );
    }
    const value = this.cipher.decrypt(secret.arn, version.versionId, version.value);
    const today = startOfUtcDay(this.clock.now());
    secret.lastAccessedDate = today;
    version.lastAccessedDate = today;
    return value;
  }

  issueRotationToken(secret: StoredSecret, token: string): void {
    secret.rotationTokens = [...secret.rotationTokens, token].slice(-KEPT_ROTATION_TOKENS);
  }

  scheduleDeletion(
    secret: StoredSecret,
    recoveryWindowInDays: number | undefined,
    force: boolean,
  ): number {
    const now = this.clock.now();
    if (force) {
      this.state.secrets = this.state.secrets.filter((candidate) => candidate !== secret);
      return now;
    }
    if (secret.deletedDate !== undefined)
      throw new AwsError('InvalidRequestException', DELETED_MESSAGE);
    secret.deletedDate = now + (recoveryWindowInDays ?? 30) * DAY_MS;
    this.touch(secret);
    return secret.deletedDate;
  }

  /** Removes a secret whose creation failed part way. */
  discard(secret: StoredSecret): void {
    this.state.secrets = this.state.secrets.filter((candidate) => candidate !== secret);
  }

  /** UpdateSecret with a new KmsKeyId: the labelled versions are re-encrypted with the new key. */
  changeKey(secret: StoredSecret, kmsKeyId: string): void {
    const reencrypted = secret.versions
      .filter((version) => version.value && version.stages.length > 0)
      .map((version) => {
        const value = this.cipher.decrypt(
          secret.arn,
          version.versionId,
          version.value as EncryptedValue,
        );
        return {
          version,
          value: this.cipher.encrypt(kmsKeyId, secret.arn, version.versionId, value),
        };
      });
    for (const { version, value } of reencrypted) version.value = value;
    secret.kmsKeyId = kmsKeyId;
  }

  restore(secret: StoredSecret): void {
    delete secret.deletedDate;
    this.touch(secret);
  }
}
