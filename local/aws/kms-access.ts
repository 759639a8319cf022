/**
 * Who may use a KMS key. Every KMS call, whether a principal makes it directly or a service such as
 * Secrets Manager makes it on the principal's behalf, is evaluated against the key policy and the
 * principal's IAM policies ("Key policies in AWS KMS", "kms:ViaService", "kms:EncryptionContext:").
 */
import type { JsonObject } from './input';
import type { KmsKeyState, KmsService } from './kms';
import type { Authorizer, PolicyDocument, Principal } from './authorization';
import { AwsError, isAwsError } from './errors';

/** What a service passes when it uses a key for a caller. */
export interface KeyUseContext {
  /** `secretsmanager.<region>.amazonaws.com` when the call comes through that service. */
  readonly viaService?: string;
  readonly encryptionContext?: Readonly<Record<string, string>>;
  /** Further condition keys the service sets (SNS: `aws:SourceArn`, `kms:EncryptionContext:…`). */
  readonly conditionKeys?: Readonly<Record<string, string>>;
}

export interface KmsAccessOptions {
  readonly kms: KmsService;
  readonly authorizer: Authorizer;
  readonly region: string;
  readonly accountId: string;
  /** Whether an IAM principal named in a key policy exists (KMS refuses policies naming unknown ones). */
  readonly principalExists: (arn: string) => boolean;
}

const MALFORMED = 'MalformedPolicyDocumentException';

function stringOf(input: JsonObject, field: string): string | undefined {
  const value = input[field];
  return typeof value === 'string' ? value : undefined;
}

function encryptionContextOf(input: JsonObject): Record<string, string> | undefined {
  const value = input.EncryptionContext;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.fromEntries(
    Object.entries(value).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

/** The `kms:EncryptionContext:<key>` and `kms:EncryptionContextKeys` condition keys of a request. */
function encryptionContextKeys(
  context: Readonly<Record<string, string>> | undefined,
): Record<string, string | string[]> {
  if (context === undefined) return {};
  const keys: Record<string, string | string[]> = {
    'kms:EncryptionContextKeys': Object.keys(context),
  };
  for (const [name, value] of Object.entries(context))
    keys[`kms:EncryptionContext:${name}`] = value;
  return keys;
}

/** Every `AWS` principal a policy names. */
function awsPrincipals(policy: PolicyDocument): string[] {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  return statements.flatMap((statement: unknown) => {
    const principal = (statement as { Principal?: unknown } | undefined)?.Principal;
    if (typeof principal !== 'object' || principal === null) return [];
    const aws = (principal as { AWS?: unknown }).AWS;
    return (Array.isArray(aws) ? aws : [aws]).filter(
      (value): value is string => typeof value === 'string',
    );
  });
}

export class KmsAccess {
  constructor(private readonly options: KmsAccessOptions) {}

  /** The key a request names (or, for Decrypt, the key its ciphertext names), if it exists. */
  private keyOf(operation: string, input: JsonObject): KmsKeyState | undefined {
    const { kms } = this.options;
    try {
      const keyRef = stringOf(input, operation === 'CreateAlias' ? 'TargetKeyId' : 'KeyId');
      if (keyRef !== undefined) return kms.resolveKey(keyRef);
      const blob = stringOf(input, 'CiphertextBlob');
      return blob === undefined ? undefined : kms.keyOfCiphertext(Buffer.from(blob, 'base64'));
    } catch (error) {
      // A key that does not exist is the operation's NotFoundException to report, not a denial.
      if (isAwsError(error)) return undefined;
      throw error;
    }
  }

  /** Authorizes a KMS API request that `principal` sends directly. */
  async authorizeRequest(
    operation: string,
    input: JsonObject,
    principal: Principal,
  ): Promise<void> {
    const { kms, authorizer, accountId } = this.options;
    const action = `kms:${operation}`;
    const callerAccount: Record<string, string> =
      principal.kind === 'role' ? { 'kms:CallerAccount': principal.accountId } : {};
    if (operation === 'CreateKey' || operation === 'ListAliases' || operation === 'ListKeys') {
      await authorizer.authorize({ principal, action, resource: '*', resourceAccount: accountId });
      if (operation === 'CreateKey') {
        const policy = stringOf(input, 'Policy');
        if (policy !== undefined) await this.validatePolicy(policy, principal, input);
      }
      return;
    }
    if (operation === 'CreateAlias') {
      // CreateAlias needs permission on the alias (IAM only) and on the key (key policy).
      const aliasName = stringOf(input, 'AliasName') ?? '';
      await authorizer.authorize({
        principal,
        action,
        resource: kms.aliasArn(aliasName),
        resourceAccount: accountId,
      });
    }
    const key = this.keyOf(operation, input);
    if (key === undefined) return;
    if (operation === 'PutKeyPolicy') {
      await this.validatePolicy(stringOf(input, 'Policy') ?? '', principal, input);
    }
    await authorizer.authorize({
      principal,
      action,
      resource: key.arn,
      resourcePolicy: kms.keyPolicy(key),
      context: { ...callerAccount, ...encryptionContextKeys(encryptionContextOf(input)) },
    });
  }

  /**
   * Authorizes a key use a service makes for `principal` (Secrets Manager calls GenerateDataKey
   * and Decrypt "as the caller"); returns the key.
   */
  async authorizeUse(
    principal: Principal,
    keyRef: string,
    action: 'kms:GenerateDataKey' | 'kms:Decrypt',
    use: KeyUseContext,
  ): Promise<KmsKeyState> {
    const { kms, authorizer } = this.options;
    const key = kms.resolveKey(keyRef);
    await authorizer.authorize({
      principal,
      action,
      resource: key.arn,
      resourcePolicy: kms.keyPolicy(key),
      context: {
        ...(principal.kind === 'role' ? { 'kms:CallerAccount': principal.accountId } : {}),
        ...(use.viaService === undefined ? {} : { 'kms:ViaService': use.viaService }),
        ...encryptionContextKeys(use.encryptionContext),
        ...use.conditionKeys,
      },
    });
    return key;
  }

  /**
   * KMS's checks on a new key policy (PutKeyPolicy/CreateKey): well-formed JSON, principals that
   * exist, and the policy lockout safety check unless the request bypasses it.
   */
  private async validatePolicy(
    text: string,
    principal: Principal,
    input: JsonObject,
  ): Promise<void> {
    let policy: PolicyDocument;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
      policy = parsed as PolicyDocument;
    } catch {
      throw new AwsError(MALFORMED, 'The policy is not valid JSON.');
    }
    for (const arn of awsPrincipals(policy)) {
      if (arn.startsWith('arn:') && !arn.endsWith(':root') && !this.options.principalExists(arn)) {
        throw new AwsError(
          MALFORMED,
          'Policy contains a statement with one or more invalid principals.',
        );
      }
    }
    if (input.BypassPolicyLockoutSafetyCheck === true) return;
    const { accountId, region, authorizer } = this.options;
    const decision = await authorizer.decide({
      principal,
      action: 'kms:PutKeyPolicy',
      resource: `arn:aws:kms:${region}:${accountId}:key/policy-lockout-check`,
      resourcePolicy: policy,
    });
    if (!decision.allowed) {
      throw new AwsError(
        MALFORMED,
        'The new key policy will not allow you to update the key policy in the future.',
      );
    }
  }
}
