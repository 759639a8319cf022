/**
 * The IAM evaluator behind the local world, including the patch that makes it read context keys
 * whose variable follows a colon (kms:EncryptionContext:SecretARN).
 */
import { Authorizer, roleSession, type PolicyDocument } from '../../../local/aws/authorization';

const ACCOUNT = '000000000000';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0b1e5c4e-0000-4000-8000-000000000001`;
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:app/prod-AbCdEf`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/admin`;

const adminPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

/** A key policy that lets the account use the key only through Secrets Manager for one secret. */
const keyPolicy = (secretPattern: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ThroughSecretsManager',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:GenerateDataKey',
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
        StringLike: { 'kms:EncryptionContext:SecretARN': secretPattern },
      },
    },
  ],
});

describe('Authorizer', () => {
  const lines: string[] = [];
  const authorizer = new Authorizer(
    {
      identityPolicies: (roleArn) =>
        roleArn === ADMIN ? [{ name: 'admin', policy: adminPolicy }] : [],
    },
    { log: (line) => lines.push(line) },
  );
  const generateDataKey = (secretArn: string, pattern: string): Promise<void> =>
    authorizer.authorize({
      principal: roleSession(ADMIN, 'test'),
      action: 'kms:GenerateDataKey',
      resource: KEY,
      resourcePolicy: keyPolicy(pattern),
      context: {
        'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
        'kms:EncryptionContext:SecretARN': secretArn,
      },
    });

  it('matches a kms:EncryptionContext:<key> condition on the secret it names', async () => {
    await expect(
      generateDataKey(SECRET, `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:app/prod-??????`),
    ).resolves.toBeUndefined();
  });

  it('refuses the same condition for another secret, naming what decided', async () => {
    const other = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:app/other-AbCdEf`;
    await expect(
      generateDataKey(other, `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:app/prod-??????`),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/admin/test is not authorized to perform: kms:GenerateDataKey on resource: ${KEY} because no resource-based policy allows the kms:GenerateDataKey action`,
    });
    expect(lines.at(-1)).toContain('no statement in the resource-based policy allows it');
  });

  it('names the statement of an explicit deny', async () => {
    const policy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Readers', Effect: 'Allow', Principal: { AWS: ADMIN }, Action: '*', Resource: '*' },
        {
          Sid: 'NobodyElseReadsValue',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
          Condition: {
            StringNotEquals: { 'aws:PrincipalArn': [`arn:aws:iam::${ACCOUNT}:role/app`] },
          },
        },
      ],
    };
    await expect(
      authorizer.authorize({
        principal: roleSession(ADMIN),
        action: 'secretsmanager:GetSecretValue',
        resource: SECRET,
        resourcePolicy: policy,
      }),
    ).rejects.toThrow('with an explicit deny in a resource-based policy');
    expect(lines.at(-1)).toContain(
      'statement NobodyElseReadsValue of the resource-based policy denies it',
    );
  });

  it('lets a service principal through only with the source its permission names', async () => {
    const functionPolicy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'secretsmanager.amazonaws.com' },
          Action: 'lambda:InvokeFunction',
          Resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:rotate`,
          Condition: {
            StringEquals: { 'AWS:SourceAccount': ACCOUNT },
            ArnLike: { 'AWS:SourceArn': SECRET },
          },
        },
      ],
    };
    const invoke = (sourceArn: string): Promise<{ allowed: boolean }> =>
      authorizer.decide({
        principal: { kind: 'service', service: 'secretsmanager.amazonaws.com' },
        action: 'lambda:InvokeFunction',
        resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:rotate`,
        resourcePolicy: functionPolicy,
        context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT },
      });
    expect((await invoke(SECRET)).allowed).toBe(true);
    expect((await invoke(`${SECRET}x`)).allowed).toBe(false);
  });

  it('answers a repeated request from its cache, and a changed policy anew', () => {
    const request = {
      principal: roleSession(ADMIN),
      action: 'kms:DescribeKey',
      resource: KEY,
      resourcePolicy: keyPolicy('*'),
    };
    const first = authorizer.decide(request);
    expect(authorizer.decide(request)).toBe(first);
    const changed = authorizer.decide({ ...request, resourcePolicy: keyPolicy('x') });
    expect(changed).not.toBe(first);
  });
});
