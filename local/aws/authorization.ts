/**
 * Authorization as AWS performs it: every request carries a principal, and the emulator evaluates
 * the principal's identity policies together with the resource's policy (key policy, secret
 * policy, topic policy, function policy, trust policy) with a maintained IAM evaluator,
 * @cloud-copilot/iam-simulate. That package is AGPL-3.0: it is a development dependency of the
 * local world only and never reaches `dist/`.
 *
 * Decisions are cached per principal, action, resource, context and policies, so the same call
 * evaluated again costs a map lookup.
 */
import { getDenialReasons, runSimulation, type RequestDenial } from '@cloud-copilot/iam-simulate';
import { AwsError } from './errors';

/** An IAM policy document as JSON. */
export type PolicyDocument = Readonly<Record<string, unknown>>;

/** Who makes a request. */
export type Principal =
  /** A role session: a function's execution role, the deploy role, an operator's or an app's role. */
  | {
      readonly kind: 'role';
      /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, as AWS names the caller. */
      readonly arn: string;
      /** `arn:aws:iam::<account>:role/<role>`, the value of `aws:PrincipalArn`. */
      readonly roleArn: string;
      readonly accountId: string;
    }
  /** An AWS service acting on its own behalf, e.g. `events.amazonaws.com`. */
  | { readonly kind: 'service'; readonly service: string };

/** The name AWS puts in a denial message for a principal. */
export function principalName(principal: Principal): string {
  return principal.kind === 'role' ? principal.arn : principal.service;
}

/** A role session for `roleArn`; the session name defaults to the role's name. */
export function roleSession(roleArn: string, sessionName?: string): Principal {
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (!match) throw new Error(`Not an IAM role ARN: ${roleArn}`);
  const [, accountId, roleName] = match;
  return {
    kind: 'role',
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName ?? roleName}`,
    roleArn,
    accountId,
  };
}

export interface AuthorizationRequest {
  readonly principal: Principal;
  /** The IAM action, e.g. `kms:Decrypt`. */
  readonly action: string;
  /** The resource's ARN (or `*` for actions that take none). */
  readonly resource: string;
  /** The account that owns the resource. @default the account in the resource's ARN */
  readonly resourceAccount?: string;
  /** The resource's policy, if it has one: key, secret, topic, function or trust policy. */
  readonly resourcePolicy?: PolicyDocument;
  /**
   * Request context keys besides the ones derived from the principal (`aws:PrincipalArn`,
   * `aws:PrincipalAccount`, `aws:SecureTransport`), e.g. `kms:ViaService`, `aws:SourceArn`.
   */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export type AuthorizationResult = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface AuthorizationDecision {
  readonly allowed: boolean;
  readonly result: AuthorizationResult;
  /** What decided, for the world's log: the denying statement, or the policy that lacked an allow. */
  readonly reason: string;
  /** The kinds of policy that denied (`identity`, `resource`, …), explicit denials first. */
  readonly deniedBy: readonly string[];
}

/** Where the evaluator finds a principal's identity policies. */
export interface IdentityPolicySource {
  /** The named identity policies (inline and managed) of a role; empty for unknown roles. */
  identityPolicies(roleArn: string): readonly { name: string; policy: PolicyDocument }[];
}

export interface AuthorizerOptions {
  /** Receives one line per denial, naming the statement (or its absence) that decided. */
  readonly log?: (line: string) => void;
}

/**
 * AWS's words for why a request was denied ("Troubleshoot access denied error messages"): the
 * kind of policy with the explicit deny, or, for an implicit deny, the identity policy when the
 * caller's own account could have allowed it, else the resource policy.
 */
function denialWording(decision: AuthorizationDecision, request: AuthorizationRequest): string {
  const first = decision.deniedBy[0];
  if (decision.result === 'ExplicitlyDenied') {
    return first === 'resource'
      ? 'with an explicit deny in a resource-based policy'
      : 'with an explicit deny in an identity-based policy';
  }
  const { principal } = request;
  const sameAccount =
    principal.kind === 'role' &&
    principal.accountId === (request.resourceAccount ?? accountOfArn(request.resource));
  return sameAccount && decision.deniedBy.includes('identity')
    ? `because no identity-based policy allows the ${request.action} action`
    : `because no resource-based policy allows the ${request.action} action`;
}

const parsedPolicies = new Map<string, PolicyDocument>();

/**
 * A policy document parsed from its text, the same object for the same text, so the authorizer
 * can key its cache by identity (a world holds a few dozen distinct policies).
 */
export function parsePolicyText(text: string): PolicyDocument {
  let policy = parsedPolicies.get(text);
  if (policy === undefined) {
    policy = JSON.parse(text) as PolicyDocument;
    if (parsedPolicies.size > 10_000) parsedPolicies.clear();
    parsedPolicies.set(text, policy);
  }
  return policy;
}

/**
 * Evaluates requests with the IAM evaluator.
 *
 * @example
 * const authorizer = new Authorizer(iam);
 * await authorizer.authorize({ principal, action: 'kms:Decrypt', resource: keyArn, resourcePolicy: keyPolicy });
 */
export class Authorizer {
  private readonly cache = new Map<string, Promise<AuthorizationDecision>>();
  /** Each policy object's text (lower case, for referencedContext) and a short id for cache keys. */
  private readonly policyInfo = new WeakMap<object, { id: number; lowerText: string }>();
  private readonly policyIds = new Map<string, number>();

  constructor(
    private readonly identities: IdentityPolicySource,
    private readonly options: AuthorizerOptions = {},
  ) {}

  /** A policy's text and id, computed once per policy object (and once per distinct text). */
  private infoOf(policy: PolicyDocument): { id: number; lowerText: string } {
    let info = this.policyInfo.get(policy);
    if (info === undefined) {
      const text = JSON.stringify(policy);
      let id = this.policyIds.get(text);
      if (id === undefined) {
        id = this.policyIds.size + 1;
        this.policyIds.set(text, id);
      }
      info = { id, lowerText: text.toLowerCase() };
      this.policyInfo.set(policy, info);
    }
    return info;
  }

  /** Forgets every cached decision; call it whenever a policy changes. */
  invalidate(): void {
    this.cache.clear();
  }

  /** Evaluates a request without throwing. */
  decide(request: AuthorizationRequest): Promise<AuthorizationDecision> {
    const identityPolicies =
      request.principal.kind === 'role'
        ? this.identities.identityPolicies(request.principal.roleArn)
        : [];
    const policies = [request.resourcePolicy, ...identityPolicies.map(({ policy }) => policy)].map(
      (policy) => (policy === undefined ? undefined : this.infoOf(policy)),
    );
    const relevant = { ...request, context: referencedContext(request.context, policies) };
    const principal =
      request.principal.kind === 'role' ? request.principal.arn : request.principal.service;
    const key = JSON.stringify([
      principal,
      request.action,
      request.resource,
      request.resourceAccount,
      relevant.context,
      identityPolicies.map(({ name }) => name),
      policies.map((info) => info?.id),
    ]);
    let decision = this.cache.get(key);
    if (decision === undefined) {
      decision = this.evaluate(relevant, identityPolicies);
      this.cache.set(key, decision);
    }
    return decision;
  }

  /**
   * Throws `AccessDeniedException` (or `errorType`) worded as AWS words it when the request is
   * not allowed.
   */
  async authorize(
    request: AuthorizationRequest,
    errorType = 'AccessDeniedException',
  ): Promise<void> {
    const decision = await this.decide(request);
    if (decision.allowed) return;
    const who = principalName(request.principal);
    this.options.log?.(
      `denied ${request.action} to ${who} on ${request.resource}: ${decision.result} (${decision.reason})`,
    );
    throw new AwsError(
      errorType,
      `User: ${who} is not authorized to perform: ${request.action} on resource: ${request.resource} ${denialWording(decision, request)}`,
    );
  }

  private async evaluate(
    request: AuthorizationRequest,
    identityPolicies: readonly { name: string; policy: PolicyDocument }[],
  ): Promise<AuthorizationDecision> {
    const { principal } = request;
    const resourceAccount = request.resourceAccount ?? accountOfArn(request.resource);
    const context: Record<string, string | string[]> = {
      // The emulator stands in for AWS's TLS endpoints: loopback HTTP counts as TLS (EMULATOR.md).
      'aws:SecureTransport': 'true',
      ...(principal.kind === 'role'
        ? { 'aws:PrincipalArn': principal.roleArn, 'aws:PrincipalAccount': principal.accountId }
        : {}),
    };
    for (const [name, value] of Object.entries(request.context ?? {})) {
      context[name] = typeof value === 'string' ? value : [...value];
    }
    const result = await runSimulation(
      {
        request: {
          principal: principal.kind === 'role' ? principal.arn : principal.service,
          action: request.action,
          resource: { resource: request.resource, accountId: resourceAccount ?? '' },
          contextVariables: context,
        },
        identityPolicies: identityPolicies.map(({ name, policy }) => ({ name, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: request.resourcePolicy,
      },
      {},
    );
    if (result.resultType === 'error') {
      return {
        allowed: false,
        result: 'ImplicitlyDenied',
        reason: `the policies could not be evaluated: ${result.errors.message}`,
        deniedBy: [],
      };
    }
    const overall = result.overallResult;
    if (overall === 'Allowed') {
      return { allowed: true, result: 'Allowed', reason: 'allowed', deniedBy: [] };
    }
    const reasons = result.resultType === 'single' ? getDenialReasons(result.result.analysis) : [];
    const ordered = [
      ...reasons.filter((reason) => reason.denialType === 'Explicit'),
      ...reasons.filter((reason) => reason.denialType === 'Implicit'),
    ];
    return {
      allowed: false,
      result: overall === 'ExplicitlyDenied' ? 'ExplicitlyDenied' : 'ImplicitlyDenied',
      reason: ordered.length > 0 ? describeDenial(ordered) : String(overall),
      deniedBy: ordered.map((reason) => String(reason.policyType)),
    };
  }
}

/**
 * The request's context keys that some policy mentions. A condition key no policy names cannot
 * change the decision, so leaving it out keeps the cache hitting across secret versions (each has
 * its own `kms:EncryptionContext:SecretVersionId`). Policies with variables (`${aws:…}`) keep all.
 */
function referencedContext(
  context: AuthorizationRequest['context'],
  policies: readonly ({ lowerText: string } | undefined)[],
): Readonly<Record<string, string | readonly string[]>> {
  if (context === undefined) return {};
  const texts = policies.flatMap((info) => (info === undefined ? [] : [info.lowerText]));
  if (texts.some((text) => text.includes('${'))) return context;
  return Object.fromEntries(
    Object.entries(context).filter(([name]) => {
      const quoted = `"${name.toLowerCase()}"`;
      return texts.some((text) => text.includes(quoted));
    }),
  );
}

/** Names the policy type and statement that denied, from the evaluator's denial reasons. */
function describeDenial(reasons: readonly RequestDenial[]): string {
  return reasons
    .map((reason) => {
      const policy = POLICY_TYPE_NAMES[reason.policyType] ?? `${reason.policyType} policy`;
      if (reason.denialType === 'Implicit') return `no statement in the ${policy} allows it`;
      const statement = reason.statementId ?? `#${reason.statementIndex}`;
      return `statement ${statement} of the ${policy} denies it`;
    })
    .join('; ');
}

const POLICY_TYPE_NAMES: Readonly<Record<string, string>> = {
  identity: 'identity-based policy',
  resource: 'resource-based policy',
  pb: 'permissions boundary',
  scp: 'service control policy',
  rcp: 'resource control policy',
  vpce: 'VPC endpoint policy',
};

/** The account id in an ARN (`arn:aws:svc:region:account:…`), if it has one. */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}
