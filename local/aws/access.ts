import { AwsError } from './errors';

/** A test rule: calls matching it fail with AccessDeniedException. */
export interface AccessRule {
  /** `secretsmanager:GetSecretValue`, `kms:Decrypt`, `secretsmanager:*`, `*`, or a bare operation name. */
  action: string;
  accessKeyId?: string;
  /** A secret's name or ARN (full or as the caller passes it). */
  secretId?: string;
}

export interface AccessRequest {
  /** The IAM action, e.g. `secretsmanager:GetSecretValue`. */
  action: string;
  accessKeyId?: string;
  /** Every identifier the request's resource is known by (as given, name, ARN). */
  resourceIds: string[];
  /** The resource as IAM would name it in the message. */
  resource: string;
}

function actionMatches(ruleAction: string, action: string): boolean {
  const [service, operation] = action.split(':');
  return (
    ruleAction === '*' ||
    ruleAction === action ||
    ruleAction === operation ||
    ruleAction === `${service}:*`
  );
}

/** Explicit denies installed by tests; everything not denied is allowed. */
export class AccessPolicy {
  private rules: AccessRule[] = [];
  constructor(private readonly accountId: string) {}

  deny(rule: AccessRule): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  check(request: AccessRequest): void {
    const denied = this.rules.some(
      (rule) =>
        actionMatches(rule.action, request.action) &&
        (rule.accessKeyId === undefined || rule.accessKeyId === request.accessKeyId) &&
        (rule.secretId === undefined || request.resourceIds.includes(rule.secretId)),
    );
    if (denied) {
      const user = `arn:aws:iam::${this.accountId}:user/${request.accessKeyId ?? 'anonymous'}`;
      throw new AwsError(
        'AccessDeniedException',
        `User: ${user} is not authorized to perform: ${request.action} on resource: ${request.resource} with an explicit deny in an identity-based policy`,
      );
    }
  }
}
