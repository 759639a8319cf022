/**
 * Deploys a template into the local emulator as CloudFormation would: checks it whole first
 * (functions, parameters, rules, references, handlers), then creates its resources in dependency
 * order, resolving each one's properties just before creating it, and rolls back on failure.
 *
 * What creating a resource *means* is up to the per-type {@link ResourceHandler}s.
 */
import { randomInt } from 'node:crypto';
import { buildDependencyGraph } from './dependencies';
import type { IntrinsicContext, ParameterValue } from './intrinsics';
import {
  IntrinsicError,
  checkRules,
  evaluateConditions,
  findUnsupportedFunctions,
  pseudoParameters,
  resolveParameters,
  resolveValue,
} from './intrinsics';
import type { CloudFormationTemplate } from './template';
import { TemplateFormatError, isJsonObject, validateTemplate } from './template';

/** What a handler is given to create one resource. */
export interface ResourceCreateInput {
  readonly logicalId: string;
  /** The resource's `Properties`, every intrinsic function resolved. */
  readonly properties: Record<string, unknown>;
  readonly stackName: string;
  /** The name CloudFormation would generate for it: `<stack>-<logicalId>-<SUFFIX>`, at most 64 chars. */
  readonly physicalNameHint: string;
}

/** What a handler returns for a created resource. */
export interface ResourceCreateResult {
  /** What `Ref` returns for it. */
  readonly physicalId: string;
  /** What `Fn::GetAtt` returns for it, by attribute name. */
  readonly attributes: Record<string, unknown>;
}

/** Creates (and deletes, on rollback) the resources of one type in the local emulator. */
export interface ResourceHandler {
  create(input: ResourceCreateInput): Promise<ResourceCreateResult>;
  delete?(input: { logicalId: string; physicalId: string }): Promise<void>;
}

/** A resource the deploy created. */
export interface DeployedResource {
  readonly type: string;
  readonly physicalId: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** A deployed stack. */
export interface DeployedStack {
  readonly stackId: string;
  readonly stackName: string;
  /** The created resources, by logical id, in creation order. */
  readonly resources: ReadonlyMap<string, DeployedResource>;
  /** The `Outputs` whose condition holds, resolved. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** Options of {@link deployStack}. */
export interface DeployStackOptions {
  readonly template: CloudFormationTemplate;
  readonly stackName: string;
  readonly accountId: string;
  readonly region: string;
  /**
   * Parameter values by name. `AWS::SSM::Parameter::Value<…>` parameters (CDK's
   * `BootstrapVersion`) need one: the value the SSM parameter would hold, e.g. `'30'`.
   */
  readonly parameters?: Readonly<Record<string, ParameterValue>>;
  /** Resource handlers by resource type (`AWS::SNS::Topic`). */
  readonly handlers: Readonly<Record<string, ResourceHandler>>;
  /** One line per stack event, e.g. `CREATE_COMPLETE RotationKey56E79F42 AWS::KMS::Key`. */
  readonly log?: (line: string) => void;
  /** The stack id; generated as CloudFormation's (`arn:…:stack/<name>/<uuid>`) when absent. */
  readonly stackId?: string;
  /** The random part of generated names (12 characters of `A-Z0-9` when absent). */
  readonly randomSuffix?: () => string;
}

/** What a rollback did. */
export interface RollbackReport {
  /** Logical ids deleted, in deletion order. */
  readonly deleted: readonly string[];
  /** Logical ids left in place because their handler has no `delete`. */
  readonly skipped: readonly string[];
  readonly failed: readonly { readonly logicalId: string; readonly message: string }[];
}

/** A deploy that failed after it started creating resources; what it created is rolled back. */
export class StackDeployError extends Error {
  override readonly name = 'StackDeployError';
  constructor(
    readonly logicalId: string,
    readonly resourceType: string,
    readonly reason: string,
    readonly rollback: RollbackReport,
    options?: { cause?: unknown },
  ) {
    const leftovers =
      rollback.failed.length > 0
        ? `; rollback failed to delete [${rollback.failed.map((f) => f.logicalId).join(', ')}]`
        : '';
    super(`CREATE_FAILED ${logicalId} (${resourceType}): ${reason}${leftovers}`, options);
  }
}

/** Resource types CloudFormation accepts but that deploy nothing locally: skipped, and logged. */
export const METADATA_RESOURCE_TYPES: readonly string[] = ['AWS::CDK::Metadata', 'CDK::Metadata'];

const STACK_TYPE = 'AWS::CloudFormation::Stack';
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * 12 random characters of `A-Z0-9`: the unique part of a generated name.
 *
 * @example
 * ```ts
 * randomNameSuffix(); // e.g. '1TQ2Y1JS3VZB'
 * ```
 */
export function randomNameSuffix(): string {
  return Array.from({ length: 12 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join(
    '',
  );
}

/**
 * The name CloudFormation generates for a resource without an explicit name (CloudFormation
 * docs, "Name type"): `<stackName>-<logicalId>-<suffix>`. When that is longer than `maxLength`
 * (64 by default, the limit of Lambda function and IAM role names), the suffix is kept whole and
 * the longer of the stack name and logical id is shortened first.
 *
 * @example
 * ```ts
 * generatePhysicalName('ApiKeyRotator', 'RotationFunction4CFF70D7', { suffix: 'ABCDEF123456' });
 * // 'ApiKeyRotator-RotationFunction4CFF70D7-ABCDEF123456'
 * ```
 */
export function generatePhysicalName(
  stackName: string,
  logicalId: string,
  options: { maxLength?: number; suffix?: string } = {},
): string {
  const suffix = options.suffix ?? randomNameSuffix();
  const budget = (options.maxLength ?? 64) - suffix.length - 2;
  let stack = stackName;
  let logical = logicalId;
  while (stack.length + logical.length > budget && stack.length + logical.length > 0) {
    if (stack.length >= logical.length) stack = stack.slice(0, -1);
    else logical = logical.slice(0, -1);
  }
  return `${stack}-${logical}-${suffix}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Deletes `resources` in reverse creation order, logging each, never throwing. */
async function deleteResources(
  resources: ReadonlyMap<string, DeployedResource>,
  handlers: Readonly<Record<string, ResourceHandler>>,
  log: (line: string) => void,
): Promise<RollbackReport> {
  const deleted: string[] = [];
  const skipped: string[] = [];
  const failed: { logicalId: string; message: string }[] = [];
  for (const [logicalId, resource] of [...resources].reverse()) {
    const handler = handlers[resource.type] as ResourceHandler | undefined;
    if (handler?.delete === undefined) {
      skipped.push(logicalId);
      log(`DELETE_SKIPPED ${logicalId} ${resource.type} (its handler has no delete)`);
      continue;
    }
    try {
      await handler.delete({ logicalId, physicalId: resource.physicalId });
      deleted.push(logicalId);
      log(`DELETE_COMPLETE ${logicalId} ${resource.type}`);
    } catch (error) {
      failed.push({ logicalId, message: messageOf(error) });
      log(`DELETE_FAILED ${logicalId} ${resource.type}: ${messageOf(error)}`);
    }
  }
  return { deleted, skipped, failed };
}

/** The resource types of `order` that have no handler, each with its logical ids. */
function missingHandlers(
  template: CloudFormationTemplate,
  order: readonly string[],
  handlers: Readonly<Record<string, ResourceHandler>>,
): string[] {
  const missing = new Map<string, string[]>();
  for (const id of order) {
    const type = template.Resources[id].Type;
    if (METADATA_RESOURCE_TYPES.includes(type)) continue;
    if (Object.prototype.hasOwnProperty.call(handlers, type)) continue;
    missing.set(type, [...(missing.get(type) ?? []), id]);
  }
  return [...missing]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, ids]) => `${type} (${ids.join(', ')})`);
}

function checkCreateResult(result: unknown): ResourceCreateResult {
  if (!isJsonObject(result) || typeof result.physicalId !== 'string' || result.physicalId === '') {
    throw new Error('the handler returned no physicalId');
  }
  if (!isJsonObject(result.attributes)) {
    throw new Error('the handler returned no attributes object');
  }
  return { physicalId: result.physicalId, attributes: result.attributes };
}

/**
 * Deploys `template` as stack `stackName` through `handlers`, as CloudFormation's CreateStack
 * would.
 *
 * Before creating anything it fails on: an unsupported intrinsic function (all listed, with
 * paths), parameters CloudFormation would reject, a reference to an unknown logical id, a
 * dependency cycle, a false rule assertion (its `AssertDescription`), and resource types without
 * a handler (all listed). `AWS::CDK::Metadata` resources are skipped and logged.
 *
 * Then it creates each resource after its dependencies, its properties resolved just before. A
 * failing handler (or property) fails the deploy with a {@link StackDeployError}
 * (`CREATE_FAILED <logicalId> (<type>): <message>`) after deleting what was created, in reverse
 * order, as CloudFormation's rollback does. Outputs are resolved last.
 *
 * @example
 * ```ts
 * const { template, stackName } = loadCloudAssembly('cdk.out');
 * const stack = await deployStack({
 *   template, stackName, accountId: '000000000000', region: 'us-east-1',
 *   parameters: { BootstrapVersion: '30' },
 *   handlers: { 'AWS::SNS::Topic': topicHandler, ... },
 *   log: console.log,
 * });
 * stack.outputs.NotificationTopicArn; // 'arn:aws:sns:us-east-1:000000000000:ApiKeyRotator-…'
 * ```
 */
export async function deployStack(options: DeployStackOptions): Promise<DeployedStack> {
  const { stackName, handlers } = options;
  const log = options.log ?? ((): void => undefined);
  const template = validateTemplate(options.template);

  const unsupported = findUnsupportedFunctions(template);
  if (unsupported.length > 0) {
    throw new TemplateFormatError(
      `Template uses what the local engine does not resolve:\n  ${unsupported.join('\n  ')}`,
    );
  }
  const pseudo = pseudoParameters({
    accountId: options.accountId,
    region: options.region,
    stackName,
    ...(options.stackId === undefined ? {} : { stackId: options.stackId }),
  });
  const parameters = resolveParameters(template.Parameters, options.parameters);
  const conditions = evaluateConditions(template, { pseudo, parameters });
  const graph = buildDependencyGraph(template, { conditions });
  checkRules(template, { pseudo, parameters, conditions });
  const missing = missingHandlers(template, graph.order, handlers);
  if (missing.length > 0) {
    throw new TemplateFormatError(
      `No resource handler for ${missing.length} resource type(s): ${missing.join(', ')}`,
    );
  }

  const deployed = new Map<string, DeployedResource>();
  const notDeployed = (id: string): Error => {
    const resource = template.Resources[id] as (typeof template.Resources)[string] | undefined;
    if (resource === undefined) {
      return new Error(
        `Template format error: Unresolved resource dependencies [${id}] in the Resources block of the template`,
      );
    }
    if (METADATA_RESOURCE_TYPES.includes(resource.Type)) {
      return new Error(`${id} (${resource.Type}) is not deployed locally and cannot be referenced`);
    }
    return new Error(`Resource ${id} is not created (yet)`);
  };
  const ctx: IntrinsicContext = {
    pseudo,
    parameters,
    conditions,
    section: 'Resources',
    ref: (id) => {
      const resource = deployed.get(id);
      if (resource === undefined) throw notDeployed(id);
      return resource.physicalId;
    },
    getAtt: (id, attribute) => {
      const resource = deployed.get(id);
      if (resource === undefined) throw notDeployed(id);
      if (!Object.prototype.hasOwnProperty.call(resource.attributes, attribute)) {
        const known = Object.keys(resource.attributes).join(', ') || 'none';
        throw new Error(
          `Template error: resource ${id} does not support attribute type ${attribute} in Fn::GetAtt (its handler returns: ${known})`,
        );
      }
      return resource.attributes[attribute];
    },
  };

  const fail = async (
    logicalId: string,
    type: string,
    error: unknown,
  ): Promise<StackDeployError> => {
    log(`CREATE_FAILED ${logicalId} (${type}): ${messageOf(error)}`);
    log(`ROLLBACK_IN_PROGRESS ${stackName} ${STACK_TYPE}`);
    const rollback = await deleteResources(deployed, handlers, log);
    log(
      `${rollback.failed.length > 0 ? 'ROLLBACK_FAILED' : 'ROLLBACK_COMPLETE'} ${stackName} ${STACK_TYPE}`,
    );
    return new StackDeployError(logicalId, type, messageOf(error), rollback, { cause: error });
  };

  log(`CREATE_IN_PROGRESS ${stackName} ${STACK_TYPE}`);
  for (const id of graph.excluded) {
    const resource = template.Resources[id];
    log(`SKIPPED ${id} ${resource.Type} (condition ${resource.Condition ?? '?'} is false)`);
  }
  const randomSuffix = options.randomSuffix ?? randomNameSuffix;
  for (const logicalId of graph.order) {
    const resource = template.Resources[logicalId];
    if (METADATA_RESOURCE_TYPES.includes(resource.Type)) {
      log(`SKIPPED ${logicalId} ${resource.Type} (CDK metadata is not deployed locally)`);
      continue;
    }
    try {
      const properties = resolveValue(
        resource.Properties ?? {},
        ctx,
        `Resources.${logicalId}.Properties`,
      );
      const result = checkCreateResult(
        await handlers[resource.Type].create({
          logicalId,
          properties: isJsonObject(properties) ? properties : {},
          stackName,
          physicalNameHint: generatePhysicalName(stackName, logicalId, { suffix: randomSuffix() }),
        }),
      );
      deployed.set(logicalId, { type: resource.Type, ...result });
      log(`CREATE_COMPLETE ${logicalId} ${resource.Type}`);
    } catch (error) {
      throw await fail(logicalId, resource.Type, error);
    }
  }

  const outputs: Record<string, string> = {};
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition !== undefined && !conditions[output.Condition]) continue;
    try {
      const value = resolveValue(
        output.Value,
        { ...ctx, section: 'Outputs' },
        `Outputs.${name}.Value`,
      );
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new IntrinsicError(
          `Template format error: The Value field of every Outputs member must evaluate to a String, got ${JSON.stringify(value)}`,
          `Outputs.${name}.Value`,
        );
      }
      outputs[name] = String(value);
    } catch (error) {
      throw await fail(stackName, STACK_TYPE, error);
    }
  }
  log(`CREATE_COMPLETE ${stackName} ${STACK_TYPE}`);
  return { stackId: pseudo.stackId, stackName, resources: deployed, outputs };
}

/**
 * Deletes a deployed stack's resources in reverse creation order, as CloudFormation's
 * DeleteStack does; resources whose handler has no `delete` are left (and logged). Fails after
 * trying them all when any deletion failed.
 *
 * @example
 * ```ts
 * const stack = await deployStack({ ... });
 * await deleteStack({ stack, handlers, log: console.log });
 * ```
 */
export async function deleteStack(options: {
  stack: DeployedStack;
  handlers: Readonly<Record<string, ResourceHandler>>;
  log?: (line: string) => void;
}): Promise<RollbackReport> {
  const log = options.log ?? ((): void => undefined);
  const { stackName } = options.stack;
  log(`DELETE_IN_PROGRESS ${stackName} ${STACK_TYPE}`);
  const report = await deleteResources(options.stack.resources, options.handlers, log);
  if (report.failed.length > 0) {
    log(`DELETE_FAILED ${stackName} ${STACK_TYPE}`);
    throw new Error(
      `DELETE_FAILED ${stackName}: ${report.failed.map((f) => `${f.logicalId}: ${f.message}`).join('; ')}`,
    );
  }
  log(`DELETE_COMPLETE ${stackName} ${STACK_TYPE}`);
  return report;
}
