import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { RotatorError } from '../shared/errors';
import { SecretFormatError } from '../shared/secret';
import { readSecretMetadata, type SecretMetadata } from './secret-metadata';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/** Selects one version of a secret, by id or by staging label. */
export type VersionSelector = { readonly versionId: string } | { readonly versionStage: string };

/** A version the rotation needs has no value (e.g. AWSCURRENT of a secret never set). */
export class SecretVersionMissingError extends RotatorError {
  constructor(secretId: string, selector: VersionSelector) {
    super(
      `Secret ${secretId} has no value for ${describeSelector(selector)}. Store a value for it (see the README) and rotate again.`,
    );
  }
}

/** The few Secrets Manager calls the rotator makes. */
export class SecretsStore {
  /** A real client, as readSecretMetadata takes: the SDK's paginators accept nothing else. */
  constructor(private readonly client: SecretsManagerClient) {}

  /** The secret's metadata with its labelled versions: one DescribeSecret, as before every step. */
  describe(secretId: string): Promise<SecretMetadata> {
    return readSecretMetadata(this.client, secretId);
  }

  /** A version's value, or undefined when that version has no value yet. */
  async findValue(secretId: string, selector: VersionSelector): Promise<string | undefined> {
    try {
      const output = await this.client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          VersionId: 'versionId' in selector ? selector.versionId : undefined,
          VersionStage: 'versionStage' in selector ? selector.versionStage : undefined,
        }),
      );
      if (output.SecretString === undefined && output.SecretBinary !== undefined) {
        throw new SecretFormatError('SecretString', 'is missing: the version holds a binary value');
      }
      return output.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  async getValue(secretId: string, selector: VersionSelector): Promise<string> {
    const value = await this.findValue(secretId, selector);
    if (value === undefined) throw new SecretVersionMissingError(secretId, selector);
    return value;
  }

  /** Stores the new version under AWSPENDING; idempotent for the same token and value. */
  async putPending(
    secretId: string,
    token: string,
    value: string,
    rotationToken: string | undefined,
  ): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        SecretString: value,
        VersionStages: [AWSPENDING],
        RotationToken: rotationToken,
      }),
    );
  }

  /** Moves a label to a version, taking it off `fromVersionId`. */
  async moveLabel(
    secretId: string,
    label: string,
    toVersionId: string,
    fromVersionId: string | undefined,
  ): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: label,
        MoveToVersionId: toVersionId,
        RemoveFromVersionId: fromVersionId,
      }),
    );
  }

  async removeLabel(secretId: string, label: string, fromVersionId: string): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: label,
        RemoveFromVersionId: fromVersionId,
      }),
    );
  }
}

function describeSelector(selector: VersionSelector): string {
  return 'versionId' in selector
    ? `version ${selector.versionId}`
    : `label ${selector.versionStage}`;
}
