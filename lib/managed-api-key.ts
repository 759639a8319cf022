import { Duration } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import {
  MANAGED_TAG,
  MANAGED_TAG_VALUE,
  PROVIDER_TAG,
  REVOKE_POLICY_TAG,
} from '../lambda/shared/contracts';
import type { AuditFunction } from './audit-function';
import { rotationRuleProblems, type Provider, type RevokePolicy } from './config';
import { ProtectedSecret } from './protected-secret';
import type { RotationFunction } from './rotation-function';
import type { RotationKey } from './rotation-key';

// The functions read these tags, so lambda/shared/contracts defines them; the stack writes them.
export {
  MANAGED_TAG,
  MANAGED_TAG_VALUE,
  PROVIDER_TAG,
  REVOKE_POLICY_TAG,
} from '../lambda/shared/contracts';

/** Properties of a {@link ManagedApiKey}. */
export interface ManagedApiKeyProps {
  /** The secret's name. */
  readonly secretName: string;

  /** The vendor that issues the key. */
  readonly provider: Provider;

  /** The function that rotates the key. */
  readonly rotationFunction: RotationFunction;

  /**
   * The function's invoke permissions for Secrets Manager (`allowRotationOfScope`): Secrets
   * Manager checks it may invoke the function when the schedule is created.
   */
  readonly invokePermissions: readonly IDependable[];

  /** The key that encrypts the secret. */
  readonly rotationKey: RotationKey;

  /**
   * The audit function, named among the secret's readers: its identity policy reads every managed
   * secret of the stack's scope, and the secret's policy must not deny it.
   * @default - the secret's policy denies the audit its value
   */
  readonly auditFunction?: AuditFunction;

  /**
   * When Secrets Manager starts a rotation: `rate(N days)`, `rate(N hours)` or `cron(...)`.
   * @default 'rate(30 days)'
   */
  readonly schedule?: string;

  /**
   * How long a scheduled rotation may take, in whole hours.
   * @default Duration.hours(4)
   */
  readonly rotationWindow?: Duration;

  /**
   * When the previous key is revoked. Recorded as a tag only: the placeholder must never
   * change, so the value put after deployment carries `revokePrevious` itself.
   * @default 'on-finish'
   */
  readonly revokePolicy?: RevokePolicy;

  /**
   * ARNs of the roles (applications, operators) that may read the current key. The key policy
   * must let them decrypt: the stack names every config reader once (`SecretReadersDecrypt`).
   * @default - only the rotation function
   */
  readonly readerRoleArns?: readonly string[];
}

/**
 * A vendor API key in Secrets Manager, encrypted with the rotation key, readable only by the
 * rotation function and the listed roles, and rotated on a schedule by the rotation function.
 * It adds three resources and no policy statement anywhere else: the function, the audit and the
 * key reach it by its name prefix and managed tag.
 *
 * The secret starts as a placeholder naming its provider; put the first key after deployment.
 * Its schedule does not rotate on creation, since a placeholder has no key to rotate.
 */
export class ManagedApiKey extends Construct {
  /** The protected secret holding the key. */
  readonly protectedSecret: ProtectedSecret;
  /** The secret's rotation schedule. */
  readonly rotationSchedule: secretsmanager.CfnRotationSchedule;
  /** The complete ARN of the secret. */
  readonly secretArn: string;
  /** The secret's name. */
  readonly secretName: string;
  /** The vendor that issues the key. */
  readonly provider: Provider;

  constructor(scope: Construct, id: string, props: ManagedApiKeyProps) {
    super(scope, id);
    const schedule = props.schedule ?? 'rate(30 days)';
    const rotationWindow = props.rotationWindow ?? Duration.hours(4);
    const problems = Object.values(rotationRuleProblems(schedule, rotationWindow)).filter(
      (problem): problem is string => problem !== undefined,
    );
    if (problems.length > 0) {
      throw new Error(`ManagedApiKey ${props.secretName}: ${problems.join('; ')}`);
    }
    const fn = props.rotationFunction;
    this.provider = props.provider;
    this.secretName = props.secretName;
    const revokePolicy = props.revokePolicy ?? 'on-finish';
    this.protectedSecret = new ProtectedSecret(this, 'Protected', {
      secretName: props.secretName,
      description: `${props.provider} API key rotated by api-key-rotator`,
      rotationKey: props.rotationKey,
      // Only the provider, which never changes for a secret: see ProtectedSecretProps.placeholder.
      placeholder: { provider: props.provider },
      readerArns: [
        fn.role.roleArn,
        ...(props.auditFunction ? [props.auditFunction.role.roleArn] : []),
        ...(props.readerRoleArns ?? []),
      ],
      tags: {
        [MANAGED_TAG]: MANAGED_TAG_VALUE,
        [PROVIDER_TAG]: props.provider,
        [REVOKE_POLICY_TAG]: revokePolicy,
      },
    });
    this.secretArn = this.protectedSecret.secretArn;

    // The L1 schedule takes a schedule expression, which the L2 RotationSchedule cannot, and
    // keeps the grants to the ones above (the L2 adds GetRandomPassword on `*`).
    this.rotationSchedule = new secretsmanager.CfnRotationSchedule(this, 'Schedule', {
      secretId: this.protectedSecret.secret.ref,
      rotationLambdaArn: fn.function.functionArn,
      rotateImmediatelyOnUpdate: false,
      rotationRules: {
        scheduleExpression: schedule,
        duration: `${rotationWindow.toHours()}h`,
      },
    });
    this.rotationSchedule.node.addDependency(...props.invokePermissions);
  }
}
