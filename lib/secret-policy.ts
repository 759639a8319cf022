/**
 * The resource policy of a managed secret, as JSON: the stack's secrets and the ones `adopt`
 * enrolls get the same document. Pure (no CDK), so the CLI builds it without the CDK.
 */

/** An IAM policy document. */
export interface SecretPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Readonly<Record<string, unknown>>[];
}

/** Options of {@link secretResourcePolicy}. */
export interface SecretPolicyOptions {
  /**
   * Whether the readers may read only `AWSCURRENT`, and only by naming that stage
   * (`secretsmanager:VersionStage`).
   * @default false
   */
  readonly currentVersionOnly?: boolean;
}

/**
 * A secret policy that lets `readerArns` read the value and denies `GetSecretValue` to every other
 * principal. Only reading is denied: administrators keep describe, tag, policy, rotate and delete.
 *
 * @example
 * secretResourcePolicy(['arn:aws:iam::111122223333:role/app']);
 * // { Version: '2012-10-17', Statement: [ {Sid: 'ReadersReadValue', …}, {Sid: 'NobodyElseReadsValue', Effect: 'Deny', …} ] }
 */
export function secretResourcePolicy(
  readerArns: readonly string[],
  options: SecretPolicyOptions = {},
): SecretPolicyDocument {
  const readers = [...new Set(readerArns)];
  const principal = { AWS: readers.length === 1 ? readers[0] : readers };
  const reads =
    options.currentVersionOnly === true
      ? [
          {
            Sid: 'ReadersDescribe',
            Effect: 'Allow',
            Principal: principal,
            Action: 'secretsmanager:DescribeSecret',
            Resource: '*',
          },
          {
            Sid: 'ReadersReadCurrentValue',
            Effect: 'Allow',
            Principal: principal,
            Action: 'secretsmanager:GetSecretValue',
            Resource: '*',
            Condition: { StringEquals: { 'secretsmanager:VersionStage': 'AWSCURRENT' } },
          },
        ]
      : [
          {
            Sid: 'ReadersReadValue',
            Effect: 'Allow',
            Principal: principal,
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: '*',
          },
        ];
  return {
    Version: '2012-10-17',
    Statement: [
      ...reads,
      {
        Sid: 'NobodyElseReadsValue',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:PrincipalArn': readers } },
      },
    ],
  };
}
