/**
 * IAM roles and the credentials of their sessions. A role has a trust policy, inline policies and
 * attached AWS managed policies; a session's access key id names the role on every request, as
 * temporary credentials do on AWS. Roles of any account can be held, so a reader role in another
 * account can be modelled.
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from './errors';
import {
  roleSession,
  type Authorizer,
  type IdentityPolicySource,
  type PolicyDocument,
  type Principal,
} from './authorization';

export interface RoleState {
  arn: string;
  name: string;
  description?: string;
  assumeRolePolicy: PolicyDocument;
  inlinePolicies: Record<string, PolicyDocument>;
  managedPolicyArns: string[];
}

export interface AccessKeyState {
  accessKeyId: string;
  roleArn: string;
  sessionName: string;
}

export interface IamState {
  roles: RoleState[];
  accessKeys: AccessKeyState[];
}

/** Temporary credentials, as STS and Lambda hand them out. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/**
 * The AWS managed policies a template or the local world may name, with the documents AWS
 * publishes for them (IAM "AWS managed policies" reference).
 */
const AWS_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  'arn:aws:iam::aws:policy/AdministratorAccess': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
};

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

export class IamService implements IdentityPolicySource {
  constructor(
    private readonly state: IamState,
    private readonly accountId: string,
  ) {}

  /** Creates a role in this account, or in `accountId` for a role of another account. */
  createRole(input: {
    name: string;
    assumeRolePolicy: PolicyDocument;
    description?: string;
    managedPolicyArns?: readonly string[];
    accountId?: string;
  }): RoleState {
    if (!ROLE_NAME.test(input.name)) {
      throw new AwsError('ValidationError', `The specified value for roleName is invalid.`);
    }
    const arn = `arn:aws:iam::${input.accountId ?? this.accountId}:role/${input.name}`;
    if (this.state.roles.some((role) => role.arn === arn)) {
      throw new AwsError(
        'EntityAlreadyExists',
        `Role with name ${input.name} already exists.`,
        409,
      );
    }
    const role: RoleState = {
      arn,
      name: input.name,
      description: input.description,
      assumeRolePolicy: input.assumeRolePolicy,
      inlinePolicies: {},
      managedPolicyArns: [],
    };
    this.state.roles.push(role);
    for (const policyArn of input.managedPolicyArns ?? []) this.attachRolePolicy(arn, policyArn);
    return role;
  }

  /** A role by ARN or (in this account) by name. */
  role(arnOrName: string): RoleState | undefined {
    return this.state.roles.find(
      (role) =>
        role.arn === arnOrName ||
        (role.name === arnOrName && role.arn.startsWith(`arn:aws:iam::${this.accountId}:`)),
    );
  }

  private requiredRole(arnOrName: string): RoleState {
    const role = this.role(arnOrName);
    if (!role) {
      throw new AwsError('NoSuchEntity', `The role with name ${arnOrName} cannot be found.`, 404);
    }
    return role;
  }

  putRolePolicy(roleArnOrName: string, policyName: string, document: PolicyDocument): void {
    this.requiredRole(roleArnOrName).inlinePolicies[policyName] = document;
  }

  deleteRolePolicy(roleArnOrName: string, policyName: string): void {
    delete this.requiredRole(roleArnOrName).inlinePolicies[policyName];
  }

  attachRolePolicy(roleArnOrName: string, policyArn: string): void {
    if (!Object.hasOwn(AWS_MANAGED_POLICIES, policyArn)) {
      throw new AwsError(
        'NoSuchEntity',
        `Policy ${policyArn} does not exist or is not attachable.`,
        404,
      );
    }
    const role = this.requiredRole(roleArnOrName);
    if (!role.managedPolicyArns.includes(policyArn)) role.managedPolicyArns.push(policyArn);
  }

  identityPolicies(roleArn: string): readonly { name: string; policy: PolicyDocument }[] {
    const role = this.role(roleArn);
    if (!role) return [];
    return [
      ...Object.entries(role.inlinePolicies).map(([name, policy]) => ({ name, policy })),
      ...role.managedPolicyArns.map((arn) => ({ name: arn, policy: AWS_MANAGED_POLICIES[arn] })),
    ];
  }

  /**
   * Credentials for a session of the role, as Lambda gives a function or STS gives a caller.
   * The trust policy is not consulted: use `assumeRole` where a principal assumes it.
   */
  issueCredentials(roleArn: string, sessionName: string): SessionCredentials {
    this.requiredRole(roleArn);
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    this.state.accessKeys.push({ accessKeyId, roleArn, sessionName });
    return {
      accessKeyId,
      secretAccessKey: randomBytes(20).toString('base64'),
      sessionToken: randomBytes(32).toString('base64'),
    };
  }

  /** The principal an access key id belongs to, if it is one this world issued. */
  principalOf(accessKeyId: string | undefined): Principal | undefined {
    if (accessKeyId === undefined) return undefined;
    const key = this.state.accessKeys.find((candidate) => candidate.accessKeyId === accessKeyId);
    return key ? roleSession(key.roleArn, key.sessionName) : undefined;
  }

  /**
   * `sts:AssumeRole` by `principal` (a service such as `scheduler.amazonaws.com`, or a role
   * session), allowed only by the role's trust policy.
   */
  async assumeRole(
    authorizer: Authorizer,
    principal: Principal,
    roleArn: string,
    sessionName: string,
    context: Readonly<Record<string, string>> = {},
  ): Promise<SessionCredentials> {
    const role = this.requiredRole(roleArn);
    await authorizer.authorize({
      principal,
      action: 'sts:AssumeRole',
      resource: role.arn,
      resourcePolicy: role.assumeRolePolicy,
      context,
    });
    return this.issueCredentials(role.arn, sessionName);
  }
}
