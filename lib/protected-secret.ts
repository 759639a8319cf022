import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RotationKey } from './rotation-key';
import { secretResourcePolicy } from './secret-policy';

/** Properties of a {@link ProtectedSecret}. */
export interface ProtectedSecretProps {
  /** The secret's name. */
  readonly secretName: string;

  /** The key that encrypts the secret; the secret is added to those its policy allows. */
  readonly rotationKey: RotationKey;

  /**
   * The value the secret is created with. It must hold no credential (the real value is put
   * after deployment, so it never appears in the template) and must never change: a changed
   * value would make CloudFormation overwrite the live key.
   */
  readonly placeholder: Readonly<Record<string, string>>;

  /** ARNs of the roles that may read the value; every other principal is denied. */
  readonly readerArns: readonly string[];

  /**
   * Whether the readers may read only the `AWSCURRENT` version, and only by naming that stage
   * (`secretsmanager:VersionStage`): for a secret nobody needs an older or pending version of.
   * @default false
   */
  readonly currentVersionOnly?: boolean;

  /**
   * A description shown in the console.
   * @default - none
   */
  readonly description?: string;

  /**
   * Tags of the secret.
   * @default - none
   */
  readonly tags?: Readonly<Record<string, string>>;

  /**
   * What happens to the secret when it leaves the stack.
   * @default RemovalPolicy.RETAIN - a deleted live key would break every reader
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A secret encrypted with the rotation key whose resource policy lets only named roles read
 * its value and blocks any policy that would make it public.
 *
 * Built from the L1 resources because the L2 `Secret` grants the whole account use of its key
 * through Secrets Manager, which the key policy deliberately withholds.
 */
export class ProtectedSecret extends Construct {
  /** The secret. */
  readonly secret: secretsmanager.CfnSecret;
  /** The secret's resource policy. */
  readonly resourcePolicy: secretsmanager.CfnResourcePolicy;
  /** The complete ARN of the secret. */
  readonly secretArn: string;
  /** The secret's name. */
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: ProtectedSecretProps) {
    super(scope, id);
    this.secretName = props.secretName;
    props.rotationKey.encryptSecret(props.secretName);
    this.secret = new secretsmanager.CfnSecret(this, 'Secret', {
      name: props.secretName,
      description: props.description,
      kmsKeyId: props.rotationKey.key.keyArn,
      secretString: JSON.stringify(props.placeholder),
      // Set on the resource rather than by a Tags aspect, which would visit every construct of a fleet.
      tags: Object.entries(props.tags ?? {}).map(([key, value]) => ({ key, value })),
    });
    this.secret.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.secretArn = this.secret.ref;

    this.resourcePolicy = new secretsmanager.CfnResourcePolicy(this, 'Policy', {
      secretId: this.secret.ref,
      blockPublicPolicy: true,
      resourcePolicy: secretResourcePolicy(props.readerArns, {
        currentVersionOnly: props.currentVersionOnly,
      }),
    });
  }
}
