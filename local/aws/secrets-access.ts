/**
 * Who may call Secrets Manager, and Secrets Manager's own KMS calls made as the caller.
 *
 * - A request is allowed by the caller's identity policies and the secret's resource policy
 *   ("Authentication and access control for AWS Secrets Manager"); the secret's tags are the
 *   `aws:ResourceTag/…` condition keys.
 * - "Secret encryption and decryption" → "Permissions for the KMS key": Secrets Manager acts on
 *   behalf of the caller: GenerateDataKey for every new value, Decrypt for every read (and for the
 *   idempotency comparison of PutSecretValue), both with `kms:ViaService` =
 *   `secretsmanager.<region>.amazonaws.com` and the encryption context {SecretARN, SecretVersionId};
 *   when a secret's key is set it validates access with both calls and
 *   SecretVersionId = `RequestToValidateKeyAccess`.
 * - A KMS denial surfaces as `AccessDeniedException: Access to KMS is not allowed`, the answer
 *   CloudFormation reports for a secret whose key the deployer cannot use (aws/aws-cdk#7677).
 */
import type { JsonObject } from './input';
import type { KmsAccess } from './kms-access';
import type { SecretsStore, StoredSecret } from './secrets';
import { parsePolicyText, type Authorizer, type Principal } from './authorization';
import { SECRETS_MANAGER_ALIAS } from './kms';
import { AwsError, isAwsError } from './errors';

/** The encryption-context version id Secrets Manager uses to validate access to a key. */
export const VALIDATE_KEY_ACCESS = 'RequestToValidateKeyAccess';

/** Operations that name no secret; IAM evaluates them against `*`. */
const ACCOUNT_OPERATIONS = new Set(['ListSecrets', 'GetRandomPassword', 'BatchGetSecretValue']);

export interface SecretsAccessOptions {
  readonly store: SecretsStore;
  readonly authorizer: Authorizer;
  readonly keys: KmsAccess;
  readonly region: string;
  readonly accountId: string;
  /** The function policy of a Lambda function, when Lambda knows it. */
  readonly functionPolicy?: (functionArn: string) => Record<string, unknown> | undefined;
}

/** The `[{Key, Value}]` tags of a request, ignoring malformed entries (validation reports them). */
function tagsOf(value: unknown): { Key: string; Value: string }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((tag: unknown) => {
    const { Key, Value } = (tag ?? {}) as { Key?: unknown; Value?: unknown };
    return typeof Key === 'string' && typeof Value === 'string' ? [{ Key, Value }] : [];
  });
}

/** The strings of a request's string list. */
function stringsOf(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

export class SecretsAccess {
  constructor(private readonly options: SecretsAccessOptions) {}

  private get viaService(): string {
    return `secretsmanager.${this.options.region}.amazonaws.com`;
  }

  /**
   * Authorizes `secretsmanager:<operation>`. CreateSecret is authorized by the operation itself
   * (`authorizeOnSecret`), once the new secret's ARN exists.
   */
  async authorizeRequest(
    operation: string,
    input: JsonObject,
    principal: Principal,
  ): Promise<void> {
    if (operation === 'CreateSecret') return;
    const { store, region, accountId } = this.options;
    if (ACCOUNT_OPERATIONS.has(operation)) {
      await this.options.authorizer.authorize({
        principal,
        action: `secretsmanager:${operation}`,
        resource: '*',
        resourceAccount: accountId,
      });
      return;
    }
    const secretId = typeof input.SecretId === 'string' ? input.SecretId : undefined;
    if (secretId === undefined) return; // the operation's validation error says what is missing
    const secret = store.lookup(secretId);
    if (secret) {
      await this.authorizeOnSecret(operation, secret, principal, input);
      return;
    }
    // An unknown secret is authorized on the ARN the caller could mean, as IAM does.
    await this.options.authorizer.authorize({
      principal,
      action: `secretsmanager:${operation}`,
      resource: secretId.startsWith('arn:')
        ? secretId
        : `arn:aws:secretsmanager:${region}:${accountId}:secret:${secretId}`,
      resourceAccount: accountId,
    });
  }

  /**
   * Authorizes an operation on an existing (or just created) secret, with the condition keys the
   * Service Authorization Reference lists for Secrets Manager ("Actions, resources, and condition
   * keys for AWS Secrets Manager"): the secret's tags as `aws:ResourceTag/…` and
   * `secretsmanager:ResourceTag/…` (none on CreateSecret, whose tags are the request's); the
   * request's tags as `aws:RequestTag/…` and their keys, with UntagResource's `TagKeys`, as
   * `aws:TagKeys`; the request's `VersionStage` as `secretsmanager:VersionStage`, present only
   * when the request names a stage.
   */
  async authorizeOnSecret(
    operation: string,
    secret: StoredSecret,
    principal: Principal,
    input: JsonObject = {},
  ): Promise<void> {
    const context: Record<string, string | string[]> = {};
    // CreateSecret's tags are the request's; the secret has none yet.
    if (operation !== 'CreateSecret') {
      for (const tag of secret.tags) {
        context[`aws:ResourceTag/${tag.Key}`] = tag.Value;
        context[`secretsmanager:ResourceTag/${tag.Key}`] = tag.Value;
      }
    }
    const requestTags = operation === 'CreateSecret' ? secret.tags : tagsOf(input.Tags);
    for (const tag of requestTags) context[`aws:RequestTag/${tag.Key}`] = tag.Value;
    const tagKeys = [...requestTags.map((tag) => tag.Key), ...stringsOf(input.TagKeys)];
    if (tagKeys.length > 0) context['aws:TagKeys'] = tagKeys;
    if (typeof input.VersionStage === 'string') {
      context['secretsmanager:VersionStage'] = input.VersionStage;
    }
    await this.options.authorizer.authorize({
      principal,
      action: `secretsmanager:${operation}`,
      resource: secret.arn,
      resourceAccount: this.options.accountId,
      resourcePolicy:
        secret.resourcePolicy === undefined ? undefined : parsePolicyText(secret.resourcePolicy),
      context,
    });
  }

  /** Secrets Manager's KMS call for one version of a secret, made as the caller. */
  async useKey(
    principal: Principal,
    action: 'kms:GenerateDataKey' | 'kms:Decrypt',
    secret: StoredSecret,
    versionId: string,
    kmsKeyId: string | undefined = secret.kmsKeyId,
  ): Promise<void> {
    try {
      await this.options.keys.authorizeUse(principal, kmsKeyId ?? SECRETS_MANAGER_ALIAS, action, {
        viaService: this.viaService,
        encryptionContext: { SecretARN: secret.arn, SecretVersionId: versionId },
      });
    } catch (error) {
      if (isAwsError(error) && error.type === 'AccessDeniedException') {
        throw new AwsError('AccessDeniedException', 'Access to KMS is not allowed');
      }
      // A missing or unusable key is the cipher's EncryptionFailure/DecryptionFailure to report.
      if (isAwsError(error)) return;
      throw error;
    }
  }

  /**
   * RotateSecret's second permission: the caller's `lambda:InvokeFunction` on the rotation
   * function (RotateSecret API reference, "Required permissions").
   */
  async authorizeRotationFunction(principal: Principal, functionArn: string): Promise<void> {
    const unqualified = functionArn.replace(/:\$LATEST$/, '');
    await this.options.authorizer.authorize({
      principal,
      action: 'lambda:InvokeFunction',
      resource: unqualified,
      resourcePolicy: this.options.functionPolicy?.(unqualified),
    });
  }

  /** The pair of calls that validates the caller may use a secret's new key. */
  async validateKeyAccess(
    principal: Principal,
    secret: StoredSecret,
    kmsKeyId: string,
  ): Promise<void> {
    await this.useKey(principal, 'kms:GenerateDataKey', secret, VALIDATE_KEY_ACCESS, kmsKeyId);
    await this.useKey(principal, 'kms:Decrypt', secret, VALIDATE_KEY_ACCESS, kmsKeyId);
  }
}
