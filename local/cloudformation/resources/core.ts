/**
 * KMS, Secrets Manager and IAM resources. Each is created through the emulator's own operations as
 * the CloudFormation execution role, so the deploy is authorized exactly as CloudFormation's calls
 * are ("AWS CloudFormation service role": CloudFormation calls each service with the role's
 * credentials).
 */
import type { AwsEmulator } from '../../aws';
import type { Principal } from '../../aws/authorization';
import { ResourceProperties } from './properties';
import type { ResourceHandlerMap } from './types';

interface CoreDependencies {
  readonly emulator: AwsEmulator;
  /** The CloudFormation execution role's session. */
  readonly deployer: Principal;
}

function stringField(output: unknown, field: string): string {
  const value = (output as Record<string, unknown> | undefined)?.[field];
  if (typeof value !== 'string') throw new Error(`The emulator's answer has no ${field}`);
  return value;
}

export function coreResourceHandlers({ emulator, deployer }: CoreDependencies): ResourceHandlerMap {
  const call = (target: string, input: Record<string, unknown>): Promise<unknown> =>
    emulator.callAs(deployer, target, input);
  const authorizeIam = (action: string, resource: string): Promise<void> =>
    emulator.authorizer.authorize({ principal: deployer, action, resource });

  return {
    // AWS::KMS::Key: Ref is the key id; Fn::GetAtt Arn and KeyId (CloudFormation resource reference).
    'AWS::KMS::Key': {
      async create({ properties }) {
        const props = new ResourceProperties(
          properties,
          ['Description', 'KeyPolicy', 'BypassPolicyLockoutSafetyCheck', 'KeyUsage', 'KeySpec'],
          // Key material rotation and tags change nothing a local caller can observe.
          ['EnableKeyRotation', 'Enabled', 'PendingWindowInDays', 'Tags', 'MultiRegion'],
        );
        const output = await call('TrentService.CreateKey', {
          Description: props.optionalString('Description'),
          Policy: props.has('KeyPolicy') ? JSON.stringify(props.object('KeyPolicy')) : undefined,
          BypassPolicyLockoutSafetyCheck: props.optionalBoolean('BypassPolicyLockoutSafetyCheck'),
          KeyUsage: props.optionalString('KeyUsage'),
        });
        const metadata = (output as { KeyMetadata?: Record<string, unknown> }).KeyMetadata;
        const keyId = stringField(metadata, 'KeyId');
        return {
          physicalId: keyId,
          attributes: { Arn: stringField(metadata, 'Arn'), KeyId: keyId },
        };
      },
      async delete({ physicalId }) {
        await call('TrentService.ScheduleKeyDeletion', {
          KeyId: physicalId,
          PendingWindowInDays: 7,
        });
      },
    },

    // AWS::KMS::Alias: Ref is the alias name.
    'AWS::KMS::Alias': {
      async create({ properties }) {
        const props = new ResourceProperties(properties, ['AliasName', 'TargetKeyId']);
        const aliasName = props.string('AliasName');
        await call('TrentService.CreateAlias', {
          AliasName: aliasName,
          TargetKeyId: props.string('TargetKeyId'),
        });
        return { physicalId: aliasName, attributes: {} };
      },
    },

    // AWS::SecretsManager::Secret: Ref is the secret's ARN; Fn::GetAtt Id is the ARN too.
    'AWS::SecretsManager::Secret': {
      async create({ properties, physicalNameHint }) {
        const props = new ResourceProperties(properties, [
          'Name',
          'Description',
          'KmsKeyId',
          'SecretString',
          'Tags',
        ]);
        const output = await call('secretsmanager.CreateSecret', {
          Name: props.optionalString('Name') ?? physicalNameHint,
          Description: props.optionalString('Description'),
          KmsKeyId: props.optionalString('KmsKeyId'),
          SecretString: props.optionalString('SecretString'),
          Tags: props.has('Tags') ? props.tags() : undefined,
        });
        const arn = stringField(output, 'ARN');
        return { physicalId: arn, attributes: { Id: arn } };
      },
      async delete({ physicalId }) {
        await call('secretsmanager.DeleteSecret', {
          SecretId: physicalId,
          ForceDeleteWithoutRecovery: true,
        });
      },
    },

    // AWS::SecretsManager::ResourcePolicy: PutResourcePolicy; Ref is the secret's ARN.
    'AWS::SecretsManager::ResourcePolicy': {
      async create({ properties }) {
        const props = new ResourceProperties(properties, [
          'SecretId',
          'ResourcePolicy',
          'BlockPublicPolicy',
        ]);
        const secretId = props.string('SecretId');
        await call('secretsmanager.PutResourcePolicy', {
          SecretId: secretId,
          ResourcePolicy: JSON.stringify(props.object('ResourcePolicy')),
          BlockPublicPolicy: props.optionalBoolean('BlockPublicPolicy'),
        });
        return { physicalId: secretId, attributes: { Id: secretId } };
      },
    },

    // AWS::SecretsManager::RotationSchedule: RotateSecret; RotateImmediatelyOnUpdate defaults to true.
    'AWS::SecretsManager::RotationSchedule': {
      async create({ properties }) {
        const props = new ResourceProperties(properties, [
          'SecretId',
          'RotationLambdaARN',
          'RotationRules',
          'RotateImmediatelyOnUpdate',
        ]);
        const rules = props.optionalObject('RotationRules');
        if (rules) {
          props.onlyKeys('RotationRules', rules, [
            'AutomaticallyAfterDays',
            'Duration',
            'ScheduleExpression',
          ]);
        }
        const secretId = props.string('SecretId');
        await call('secretsmanager.RotateSecret', {
          SecretId: secretId,
          RotationLambdaARN: props.optionalString('RotationLambdaARN'),
          RotationRules: rules && {
            ...rules,
            AutomaticallyAfterDays:
              rules.AutomaticallyAfterDays === undefined
                ? undefined
                : Number(rules.AutomaticallyAfterDays),
          },
          RotateImmediately: props.optionalBoolean('RotateImmediatelyOnUpdate') ?? true,
        });
        // CloudFormation waits for the configuration test (or first rotation) to settle.
        await emulator.waitForRotations(secretId);
        return { physicalId: secretId, attributes: {} };
      },
    },

    // AWS::IAM::Role: Ref is the role name; Fn::GetAtt Arn and RoleId.
    'AWS::IAM::Role': {
      async create({ properties, physicalNameHint }) {
        const props = new ResourceProperties(
          properties,
          ['AssumeRolePolicyDocument', 'Description', 'ManagedPolicyArns', 'Policies', 'RoleName'],
          ['MaxSessionDuration', 'Tags', 'Path'],
        );
        const name = props.optionalString('RoleName') ?? physicalNameHint.slice(0, 64);
        await authorizeIam('iam:CreateRole', `arn:aws:iam::${emulator.accountId}:role/${name}`);
        const role = emulator.iam.createRole({
          name,
          description: props.optionalString('Description'),
          assumeRolePolicy: props.object('AssumeRolePolicyDocument'),
          managedPolicyArns: props.stringList('ManagedPolicyArns'),
        });
        for (const policy of props.optionalList('Policies') ?? []) {
          const { PolicyName, PolicyDocument } = policy as Record<string, unknown>;
          if (
            typeof PolicyName !== 'string' ||
            typeof PolicyDocument !== 'object' ||
            PolicyDocument === null
          ) {
            throw new Error(`Policies need PolicyName and PolicyDocument`);
          }
          emulator.iam.putRolePolicy(
            role.arn,
            PolicyName,
            PolicyDocument as Record<string, unknown>,
          );
        }
        return { physicalId: name, attributes: { Arn: role.arn, RoleId: `AROA${name.length}` } };
      },
    },

    // AWS::IAM::Policy: an inline policy on each role; Ref is the policy's physical id.
    'AWS::IAM::Policy': {
      async create({ properties }) {
        const props = new ResourceProperties(properties, ['PolicyName', 'PolicyDocument', 'Roles']);
        const policyName = props.string('PolicyName');
        for (const roleName of props.stringList('Roles')) {
          await authorizeIam(
            'iam:PutRolePolicy',
            `arn:aws:iam::${emulator.accountId}:role/${roleName}`,
          );
          emulator.iam.putRolePolicy(roleName, policyName, props.object('PolicyDocument'));
        }
        return { physicalId: policyName, attributes: {} };
      },
    },
  };
}
