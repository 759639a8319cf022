import { DescribeKeyCommand, NotFoundException, type KMSClient } from '@aws-sdk/client-kms';
import type { SecretMetadata } from '../aws/secret-metadata';
import { checkNotCompleted, finding, type AuditFinding, type AuditSubject } from './findings';

const AWS_MANAGED_SECRETS_KEY = 'aws/secretsmanager';

/**
 * encryption-key-ok: the secret's KMS key is enabled (else nothing can read the secret) and,
 * when `expectedKmsKeyArn` is set, is that customer-managed key.
 */
export async function checkEncryptionKey(
  subject: AuditSubject,
  snapshot: SecretMetadata,
  kms: Pick<KMSClient, 'send'>,
  expectedKmsKeyArn: string | undefined,
): Promise<AuditFinding> {
  const check = 'encryption-key-ok';
  const keyId = snapshot.kmsKeyId;
  if (keyId === undefined) {
    return expectedKmsKeyArn === undefined
      ? finding(
          subject,
          check,
          'pass',
          `Encrypted with the AWS managed key ${AWS_MANAGED_SECRETS_KEY} (no expected key is configured).`,
        )
      : finding(
          subject,
          check,
          'fail',
          `Encrypted with the AWS managed key ${AWS_MANAGED_SECRETS_KEY}, not the expected customer-managed key ${expectedKmsKeyArn}. Set the secret's KmsKeyId to that key (UpdateSecret), then store the value again.`,
        );
  }
  let arn: string;
  let state: string;
  try {
    const { KeyMetadata: key } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    arn = key?.Arn ?? keyId;
    state = key?.KeyState ?? 'Unknown';
  } catch (error) {
    if (error instanceof NotFoundException) {
      return finding(
        subject,
        check,
        'fail',
        `The secret's KMS key ${keyId} does not exist: Secrets Manager cannot decrypt the secret. Restore access to the key or re-create the secret with the stack's key.`,
      );
    }
    return checkNotCompleted(subject, check, `describe the secret's KMS key ${keyId}`, error);
  }
  if (state !== 'Enabled') {
    return finding(
      subject,
      check,
      'fail',
      `The secret's KMS key ${arn} is ${state}: Secrets Manager cannot encrypt or decrypt the secret, so applications and rotations fail. Re-enable the key (EnableKey) or cancel its deletion (CancelKeyDeletion).`,
    );
  }
  if (expectedKmsKeyArn !== undefined && !(await isSameKey(kms, arn, keyId, expectedKmsKeyArn))) {
    return finding(
      subject,
      check,
      'fail',
      `Encrypted with KMS key ${arn}, not the expected key ${expectedKmsKeyArn}. Set the secret's KmsKeyId to the expected key (UpdateSecret), then store the value again.`,
    );
  }
  return finding(subject, check, 'pass', `Encrypted with KMS key ${arn}, which is Enabled.`);
}

/** The expected key may be named by ARN, id or alias; only an alias needs a second look-up. */
async function isSameKey(
  kms: Pick<KMSClient, 'send'>,
  arn: string,
  keyId: string,
  expected: string,
): Promise<boolean> {
  if (expected === arn || expected === keyId || arn.endsWith(`/${expected}`)) return true;
  if (!expected.includes('alias/')) return false;
  const { KeyMetadata: key } = await kms.send(new DescribeKeyCommand({ KeyId: expected }));
  return key?.Arn === arn;
}
