import { Aws, ArnFormat, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { prefixOf, secretArnPatterns } from './secret-scope';

/** Properties of a {@link RotationKey}. */
export interface RotationKeyProps {
  /**
   * Alias of the key, without the `alias/` prefix.
   * @default 'api-key-rotator'
   */
  readonly aliasName?: string;

  /**
   * The name prefixes of the secrets the key encrypts (`api-key-rotator/`): its policy names these
   * prefixes, never one secret, so it does not grow with the number of secrets.
   */
  readonly secretNamePrefixes: readonly string[];

  /**
   * What happens to the key when it leaves the stack.
   * @default RemovalPolicy.RETAIN - the secrets' old versions stay decryptable
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The `SecretVersionId` Secrets Manager's key-validation calls carry in their encryption context. */
const VALIDATE_KEY_ACCESS_VERSION = 'RequestToValidateKeyAccess';

/**
 * KMS actions that administer a key without using it for cryptography, named one by one: the
 * console's `kms:Create*` includes `kms:CreateGrant`, and a grant is used without the key
 * policy's `kms:ViaService` and encryption-context conditions.
 */
export const KEY_ADMINISTRATION_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/**
 * The key policy statement that lets the account's IAM policies administer a key (not use it).
 *
 * @example
 * new iam.PolicyDocument({ statements: [accountAdministersKey(), …] });
 */
export function accountAdministersKey(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'AccountAdministersKey',
    principals: [new iam.AccountRootPrincipal()],
    actions: KEY_ADMINISTRATION_ACTIONS,
    resources: ['*'],
  });
}

/**
 * The customer-managed key of the managed secrets.
 *
 * Its policy lets the account administer the key, lets anyone the account allows write secret
 * values (CloudFormation creates the placeholders, operators put the first key), and lets only
 * the principals named with {@link allowSecretsManagerUse} decrypt, each only through Secrets
 * Manager and only for secrets under the stack's name prefixes (and the names added with
 * {@link encryptSecret} outside them), by the `kms:EncryptionContext:SecretARN` condition.
 */
export class RotationKey extends Construct {
  /** The KMS key. */
  readonly key: kms.Key;

  /** The name prefixes of the secrets the key encrypts. */
  readonly secretNamePrefixes: readonly string[];

  /** Names of secrets outside the prefixes the key encrypts (an imported partner key's name). */
  private readonly secretNames: string[] = [];

  constructor(scope: Construct, id: string, props: RotationKeyProps) {
    super(scope, id);
    this.secretNamePrefixes = [...props.secretNamePrefixes];

    const account = new iam.AccountRootPrincipal();
    const policy = new iam.PolicyDocument({
      statements: [
        accountAdministersKey(),
        new iam.PolicyStatement({
          sid: 'AccountWritesSecretsThroughSecretsManager',
          principals: [account],
          actions: ['kms:GenerateDataKey'],
          resources: ['*'],
          conditions: this.throughSecretsManager(),
        }),
        // Setting a secret's key (CloudFormation's CreateSecret) makes Secrets Manager validate
        // it with GenerateDataKey and Decrypt as the caller ("Secret encryption and decryption"):
        // only that validation Decrypt is granted, never one of a stored value.
        new iam.PolicyStatement({
          sid: 'AccountValidatesKeyThroughSecretsManager',
          principals: [account],
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: this.throughSecretsManager(undefined, {
            'kms:EncryptionContext:SecretVersionId': VALIDATE_KEY_ACCESS_VERSION,
          }),
        }),
      ],
    });

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the API keys rotated by api-key-rotator',
      enableKeyRotation: true,
      alias: `alias/${props.aliasName ?? 'api-key-rotator'}`,
      policy,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /**
   * Adds a secret to those the key encrypts; one under the prefixes already is. Use through
   * Secrets Manager is limited to these secrets by the `kms:EncryptionContext:SecretARN` condition.
   */
  encryptSecret(secretName: string): void {
    if (prefixOf(secretName, this.secretNamePrefixes) !== undefined) return;
    if (!this.secretNames.includes(secretName)) this.secretNames.push(secretName);
  }

  /**
   * Lets `principals` run the given KMS actions, only through Secrets Manager and only for
   * `secretNames`; for `'managed'`, the secrets under the prefixes only; when omitted, every
   * secret the key encrypts (its prefixes and the names added outside them).
   */
  allowSecretsManagerUse(
    id: string,
    principals: readonly iam.IPrincipal[],
    actions: readonly string[],
    secretNames?: readonly string[] | 'managed',
  ): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: id,
        principals: [...principals],
        actions: [...actions],
        resources: ['*'],
        conditions: this.throughSecretsManager(secretNames),
      }),
    );
  }

  /** Lets `principal` read the key's metadata directly (the function checks the key is customer-managed). */
  allowDescribe(id: string, principal: iam.IPrincipal): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: id,
        principals: [principal],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
      }),
    );
  }

  private throughSecretsManager(
    secretNames?: readonly string[] | 'managed',
    equals: Record<string, string> = {},
  ): Record<string, Record<string, unknown>> {
    const stack = Stack.of(this);
    // Secrets Manager puts the secret ARN (name plus a 6-character suffix) in the encryption context.
    const named = (names: readonly string[]): string[] =>
      names.map((name) =>
        stack.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          resourceName: `${name}-??????`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
    const managed = secretArnPatterns({
      partition: Aws.PARTITION,
      region: stack.region,
      account: stack.account,
      prefixes: this.secretNamePrefixes,
    });
    const scoped = (): string[] => [...managed, ...named(this.secretNames)];
    return {
      StringEquals: {
        'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com`,
        ...equals,
      },
      StringLike: {
        'kms:EncryptionContext:SecretARN':
          secretNames === undefined
            ? // A partner key outside the prefixes is added after the grants: read at synthesis.
              Lazy.list({ produce: () => scoped() })
            : secretNames === 'managed'
              ? managed
              : named(secretNames),
      },
    };
  }
}
