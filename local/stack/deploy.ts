/**
 * Deploys a synthesized api-key-rotator stack into the local world as CloudFormation would: the
 * identities that exist before a deploy (CloudFormation's execution role from `cdk bootstrap`, the
 * config's reader roles, the operator), then every resource of the template, created and
 * authorized as the execution role.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsEmulator } from '../aws';
import { roleSession, type PolicyDocument, type Principal } from '../aws/authorization';
import type { SessionCredentials } from '../aws/iam';
import { deployStack, loadCloudAssembly, type DeployedStack } from '../cloudformation';
import { localResourceHandlers } from '../cloudformation/resources';
import type { RotatorConfig } from '../../lib/config';

/** The CDK bootstrap version the local world's account reports (SSM `/cdk-bootstrap/…/version`). */
const BOOTSTRAP_VERSION = '30';

/** The operator role the local world creates with the README's documented operator policy. */
export const OPERATOR_ROLE_NAME = 'api-key-rotator-operator';

/** The role that runs `adopt` with the README's documented enrollment policy. */
export const ENROLLER_ROLE_NAME = 'api-key-rotator-enroller';

/** The name prefix the README's enrollment policy is written for (the example config's). */
const DOCUMENTED_PREFIX = 'api-key-rotator/';

/** The role of the person who deploys and puts first keys (an account administrator). */
export const ADMINISTRATOR_ROLE_NAME = 'Administrator';

const README = join(__dirname, '..', '..', 'README.md');

/**
 * The operator policy exactly as the README documents it: the JSON block after "Operator IAM" in
 * the "Operator CLI" section.
 */
export function documentedOperatorPolicy(readme = readFileSync(README, 'utf8')): PolicyDocument {
  const section = readme.indexOf('### Operator CLI');
  const end = section === -1 ? -1 : readme.indexOf('\n### ', section + 1);
  const text = section === -1 ? '' : readme.slice(section, end === -1 ? undefined : end);
  const anchor = text.indexOf('Operator IAM');
  const block = anchor === -1 ? null : /```json\n([\s\S]*?)\n```/.exec(text.slice(anchor));
  const policy = block ? (JSON.parse(block[1]) as PolicyDocument) : undefined;
  if (!policy || !Array.isArray(policy.Statement)) {
    throw new Error(
      'README.md has no policy (```json with a Statement) under "Operator IAM" in "### Operator CLI"',
    );
  }
  return policy;
}

/**
 * The enrollment policy as the README documents it (the JSON block after "Enrollment IAM" in
 * "## Deploy"), written for the prefix `api-key-rotator/`: each resource naming that prefix is
 * repeated for each of `prefixes`, as the README tells a reader with other prefixes to do.
 */
export function documentedEnrollerPolicy(
  prefixes: readonly string[],
  readme = readFileSync(README, 'utf8'),
): PolicyDocument {
  const section = readme.indexOf('## Deploy');
  const end = section === -1 ? -1 : readme.indexOf('\n## ', section + 1);
  const text = section === -1 ? '' : readme.slice(section, end === -1 ? undefined : end);
  const anchor = text.indexOf('Enrollment IAM');
  const block = anchor === -1 ? null : /```json\n([\s\S]*?)\n```/.exec(text.slice(anchor));
  const policy = block ? (JSON.parse(block[1]) as PolicyDocument) : undefined;
  if (!policy || !Array.isArray(policy.Statement)) {
    throw new Error(
      'README.md has no policy (```json with a Statement) under "Enrollment IAM" in "## Deploy"',
    );
  }
  const statements = (policy.Statement as Record<string, unknown>[]).map((statement) => {
    const resource = statement.Resource;
    if (typeof resource !== 'string' || !resource.includes(`:secret:${DOCUMENTED_PREFIX}`)) {
      return statement;
    }
    return {
      ...statement,
      Resource: prefixes.map((prefix) => resource.replace(DOCUMENTED_PREFIX, prefix)),
    };
  });
  return { ...policy, Statement: statements };
}

/**
 * Creates the enroller role (trusted by the account) with the README's enrollment policy for the
 * deployed stack's prefixes; returns its ARN.
 *
 * @example
 * const enroller = createEnrollerRole(world.aws, stack);
 */
export function createEnrollerRole(emulator: AwsEmulator, stack: LocalStack): string {
  const arn = `arn:aws:iam::${emulator.accountId}:role/${ENROLLER_ROLE_NAME}`;
  ensureRole(emulator, {
    arn,
    trust: trustedBy({ AWS: `arn:aws:iam::${emulator.accountId}:root` }),
    policy: documentedEnrollerPolicy(stack.config.secretNamePrefixes),
  });
  return arn;
}

/**
 * What an application's role holds in its own account to read a managed secret (README "Reading
 * the key from an application"): the secret's resource policy and the key policy grant the rest.
 */
export const APP_READER_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', 'kms:Decrypt'],
      Resource: '*',
    },
  ],
};

/** The deployed stack and the identities around it. */
export interface LocalStack {
  readonly stackName: string;
  readonly deployed: DeployedStack;
  readonly outputs: Readonly<Record<string, string>>;
  /** The config the template was synthesized from. */
  readonly config: RotatorConfig;
  readonly kmsKeyArn: string;
  /** The key's alias as deployed (`alias/<stack name prefix>`). */
  readonly kmsAliasName: string;
  readonly topicArn: string;
  readonly rotationFunctionArn: string;
  readonly auditFunctionArn: string;
  readonly rotationRoleArn: string;
  readonly auditRoleArn: string;
  /** The managed secrets' ARNs by name (the partner key is `partnerKeySecretArn`). */
  readonly secretArns: Readonly<Record<string, string>>;
  readonly partnerKeySecretArn?: string;
  readonly operatorRoleArn: string;
  readonly administratorRoleArn: string;
  /** Credentials of a new session of `roleArn`, as STS would hand them out. */
  credentialsFor(roleArn: string, sessionName?: string): SessionCredentials;
}

export interface DeployLocalStackOptions {
  /** The cloud assembly directory. */
  readonly assemblyDir: string;
  readonly config: RotatorConfig;
  /** Receives CloudFormation-style events, one line per resource. */
  readonly log?: (line: string) => void;
}

function ensureRole(
  emulator: AwsEmulator,
  input: { arn: string; trust: PolicyDocument; policy?: PolicyDocument; managed?: string[] },
): void {
  if (emulator.iam.role(input.arn)) return;
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(input.arn);
  if (!match) throw new Error(`Not a role ARN: ${input.arn}`);
  emulator.iam.createRole({
    name: match[2],
    accountId: match[1],
    assumeRolePolicy: input.trust,
    managedPolicyArns: input.managed,
  });
  if (input.policy) emulator.iam.putRolePolicy(input.arn, 'policy', input.policy);
}

function trustedBy(principal: Record<string, string>): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
  };
}

/**
 * Deploys the assembly's stack into the world's emulator.
 *
 * @example
 * const { assemblyDir, config } = await synthesizeForLocalWorld();
 * const stack = await deployLocalStack(world.aws, { assemblyDir, config });
 */
export async function deployLocalStack(
  emulator: AwsEmulator,
  options: DeployLocalStackOptions,
): Promise<LocalStack> {
  const { accountId, region } = emulator;
  const assembly = loadCloudAssembly(options.assemblyDir, options.config.stackName);
  const account = `arn:aws:iam::${accountId}:root`;

  // What `cdk bootstrap` leaves: the execution role CloudFormation deploys with.
  const executionRoleArn = `arn:aws:iam::${accountId}:role/cdk-hnb659fds-cfn-exec-role-${accountId}-${region}`;
  ensureRole(emulator, {
    arn: executionRoleArn,
    trust: trustedBy({ Service: 'cloudformation.amazonaws.com' }),
    managed: ['arn:aws:iam::aws:policy/AdministratorAccess'],
  });
  const administratorRoleArn = `arn:aws:iam::${accountId}:role/${ADMINISTRATOR_ROLE_NAME}`;
  ensureRole(emulator, {
    arn: administratorRoleArn,
    trust: trustedBy({ AWS: account }),
    managed: ['arn:aws:iam::aws:policy/AdministratorAccess'],
  });
  const operatorRoleArn = `arn:aws:iam::${accountId}:role/${OPERATOR_ROLE_NAME}`;
  ensureRole(emulator, {
    arn: operatorRoleArn,
    trust: trustedBy({ AWS: account }),
    policy: documentedOperatorPolicy(),
  });
  // The apps' roles exist before the deploy (KMS refuses a key policy naming unknown ones).
  const partnerReaders =
    options.config.partnerKey.kind === 'created'
      ? (options.config.partnerKey.readerRoleArns ?? [])
      : [];
  for (const readerArn of new Set([
    ...options.config.secrets.flatMap((s) => s.readerRoleArns),
    ...partnerReaders,
  ])) {
    ensureRole(emulator, {
      arn: readerArn,
      trust: trustedBy({ AWS: `arn:aws:iam::${readerArn.split(':')[4]}:root` }),
      policy: APP_READER_POLICY,
    });
  }

  const deployer: Principal = roleSession(executionRoleArn, 'AWSCloudFormation');
  const kept = emulator.stacks[assembly.stackName];
  let deployed: DeployedStack;
  if (kept) {
    // A world restarted from its state file still has the stack: CloudFormation would see no change.
    options.log?.(`${assembly.stackName} is already deployed (state file): no changes`);
    deployed = {
      stackId: kept.stackId,
      stackName: assembly.stackName,
      resources: new Map(kept.resources),
      outputs: kept.outputs,
    };
  } else {
    deployed = await deployStack({
      template: assembly.template,
      stackName: assembly.stackName,
      accountId,
      region,
      parameters: { BootstrapVersion: BOOTSTRAP_VERSION },
      handlers: localResourceHandlers({ emulator, deployer, assets: assembly.assets }),
      log: options.log,
    });
    emulator.stacks[assembly.stackName] = {
      stackId: deployed.stackId,
      resources: [...deployed.resources].map(([id, resource]) => [
        id,
        {
          type: resource.type,
          physicalId: resource.physicalId,
          attributes: { ...resource.attributes },
        },
      ]),
      outputs: { ...deployed.outputs },
    };
  }

  const byType = (
    type: string,
    logicalPrefix: string,
  ): { physicalId: string; attributes: Readonly<Record<string, unknown>> } => {
    for (const [logicalId, resource] of deployed.resources) {
      if (resource.type === type && logicalId.startsWith(logicalPrefix)) return resource;
    }
    throw new Error(`The deployed stack has no ${type} ${logicalPrefix}…`);
  };
  const arnOf = (resource: { attributes: Readonly<Record<string, unknown>> }): string => {
    const arn = resource.attributes.Arn;
    if (typeof arn !== 'string') throw new Error('A deployed resource has no Arn');
    return arn;
  };
  const secretArns: Record<string, string> = {};
  const secretNames = new Set(options.config.secrets.map((secret) => secret.name));
  let partnerKeySecretArn: string | undefined;
  for (const resource of deployed.resources.values()) {
    if (resource.type !== 'AWS::SecretsManager::Secret') continue;
    const name = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(resource.physicalId)?.[1] ?? '';
    if (secretNames.has(name)) secretArns[name] = resource.physicalId;
    else partnerKeySecretArn = resource.physicalId;
  }

  return {
    stackName: deployed.stackName,
    deployed,
    outputs: deployed.outputs,
    config: options.config,
    kmsKeyArn: arnOf(byType('AWS::KMS::Key', 'RotationKey')),
    kmsAliasName: byType('AWS::KMS::Alias', 'RotationKey').physicalId,
    topicArn: byType('AWS::SNS::Topic', 'NotificationsTopic').physicalId,
    rotationFunctionArn: arnOf(byType('AWS::Lambda::Function', 'RotationFunction')),
    auditFunctionArn: arnOf(byType('AWS::Lambda::Function', 'AuditFunction')),
    rotationRoleArn: arnOf(byType('AWS::IAM::Role', 'RotationFunctionRole')),
    auditRoleArn: arnOf(byType('AWS::IAM::Role', 'AuditFunctionRole')),
    secretArns,
    partnerKeySecretArn,
    operatorRoleArn,
    administratorRoleArn,
    credentialsFor: (roleArn, sessionName) =>
      emulator.iam.issueCredentials(roleArn, sessionName ?? 'local-session'),
  };
}
