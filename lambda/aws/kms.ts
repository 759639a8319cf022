import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { FunctionEnv } from '../shared/contracts';
import { RotatorError } from '../shared/errors';

/** The secret's KMS key cannot decrypt it, so every read of the secret would fail. */
export class KmsKeyUnusableError extends RotatorError {
  constructor(
    readonly keyId: string,
    readonly keyState: string,
  ) {
    super(
      `The secret's KMS key ${keyId} is ${keyState}: Secrets Manager cannot encrypt or decrypt with it. Re-enable the key (or cancel its deletion) before rotating.`,
    );
  }
}

/** The function requires a customer-managed key and the secret uses an AWS managed one. */
export class CustomerManagedKeyRequiredError extends RotatorError {
  constructor(readonly keyId: string) {
    super(
      `The secret is encrypted with the AWS managed key ${keyId}, but this function requires a customer-managed KMS key (${FunctionEnv.RequireCustomerManagedKey}=true). Update the secret's KmsKeyId to the stack's key.`,
    );
  }
}

const AWS_MANAGED_SECRETS_KEY = 'aws/secretsmanager';

/**
 * Fails with a message that names the problem when the secret's key is disabled, pending
 * deletion or (when required) not customer-managed, instead of an opaque AccessDenied later.
 */
export async function assertKmsKeyUsable(
  kms: Pick<KMSClient, 'send'>,
  kmsKeyId: string | undefined,
  requireCustomerManagedKey: boolean,
): Promise<void> {
  if (kmsKeyId === undefined) {
    if (requireCustomerManagedKey)
      throw new CustomerManagedKeyRequiredError(AWS_MANAGED_SECRETS_KEY);
    return;
  }
  const { KeyMetadata: key } = await kms.send(new DescribeKeyCommand({ KeyId: kmsKeyId }));
  const keyState = key?.KeyState ?? 'Unknown';
  if (keyState !== 'Enabled') throw new KmsKeyUnusableError(kmsKeyId, keyState);
  if (requireCustomerManagedKey && key?.KeyManager !== 'CUSTOMER') {
    throw new CustomerManagedKeyRequiredError(kmsKeyId);
  }
}
