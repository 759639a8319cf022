/**
 * CloudFormation intrinsic functions, pseudo parameters, parameters, conditions and rules, resolved
 * as CloudFormation does at deploy time — for the functions listed in {@link SUPPORTED_FUNCTIONS}
 * only. Anything else fails loudly, naming the function and where it is.
 */
import { randomUUID } from 'node:crypto';
import type { CloudFormationTemplate, TemplateParameter } from './template';
import { isJsonObject } from './template';

/** A resolved parameter: a string, or a list of strings for list types. */
export type ParameterValue = string | readonly string[];

/** The pseudo parameters of one stack (`AWS::AccountId`, `AWS::Region`, …). */
export interface PseudoParameters {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly urlSuffix: string;
}

/** The section a value is in: it decides which functions and references are allowed. */
export type TemplateSection = 'Resources' | 'Outputs' | 'Conditions' | 'Rules';

/** What {@link resolveValue} resolves against. */
export interface IntrinsicContext {
  readonly pseudo: PseudoParameters;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  /** Every condition of the template, evaluated (see {@link evaluateConditions}). */
  readonly conditions: Readonly<Record<string, boolean>>;
  /** The physical id of a deployed resource; throws when it is not deployed (yet). */
  ref(logicalId: string): unknown;
  /** An attribute of a deployed resource; throws when it is not deployed (yet) or has no such attribute. */
  getAtt(logicalId: string, attribute: string): unknown;
  /** Defaults to `Resources`. In `Conditions` and `Rules`, only parameters can be referenced. */
  readonly section?: TemplateSection;
}

/** A value that cannot be resolved, or a function that is not supported, with where it is. */
export class IntrinsicError extends Error {
  override readonly name = 'IntrinsicError';
  constructor(
    message: string,
    /** Where in the template, e.g. `Resources.Fn.Properties.Code.S3Bucket`. */
    readonly path: string,
  ) {
    super(path === '' ? message : `${message} (at ${path})`);
  }
}

/** A rule assertion of the template that does not hold. */
export class RuleAssertionError extends Error {
  override readonly name = 'RuleAssertionError';
  constructor(
    readonly rule: string,
    readonly assertDescription: string | undefined,
  ) {
    super(`Rule ${rule} failed: ${assertDescription ?? 'an assertion is false'}`);
  }
}

/** The intrinsic functions (and `Ref`) this engine resolves. */
export const SUPPORTED_FUNCTIONS = [
  'Ref',
  'Fn::GetAtt',
  'Fn::Join',
  'Fn::Sub',
  'Fn::Select',
  'Fn::Split',
  'Fn::If',
  'Fn::Equals',
  'Fn::Not',
  'Fn::And',
  'Fn::Or',
  'Fn::Contains',
  'Fn::Base64',
  'Fn::GetAZs',
] as const;

const SUPPORTED = new Set<string>(SUPPORTED_FUNCTIONS);

/** The pseudo parameter names resolved by `Ref` and `${...}` in `Fn::Sub`. */
export const PSEUDO_PARAMETERS = [
  'AWS::AccountId',
  'AWS::Region',
  'AWS::Partition',
  'AWS::StackName',
  'AWS::StackId',
  'AWS::URLSuffix',
  'AWS::NotificationARNs',
  'AWS::NoValue',
] as const;

/** Marks a value that `{ "Ref": "AWS::NoValue" }` removed. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');
type Resolved = unknown;

/**
 * The partition a region is in (`AWS::Partition`).
 *
 * @example
 * ```ts
 * partitionOf('cn-north-1'); // 'aws-cn'
 * ```
 */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The domain suffix of a partition (`AWS::URLSuffix`).
 *
 * @example
 * ```ts
 * urlSuffixOf('aws'); // 'amazonaws.com'
 * ```
 */
export function urlSuffixOf(partition: string): string {
  return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/**
 * The availability zones `Fn::GetAZs` returns for a region: `<region>a`, `b` and `c`.
 *
 * @example
 * ```ts
 * availabilityZones('eu-west-1'); // ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']
 * ```
 */
export function availabilityZones(region: string): string[] {
  return ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
}

/**
 * The pseudo parameters of a stack; the stack id is generated as CloudFormation's
 * (`arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>`) unless given.
 *
 * @example
 * ```ts
 * const pseudo = pseudoParameters({ accountId: '111122223333', region: 'us-east-1', stackName: 'S' });
 * pseudo.partition; // 'aws'
 * ```
 */
export function pseudoParameters(input: {
  accountId: string;
  region: string;
  stackName: string;
  stackId?: string;
}): PseudoParameters {
  const partition = partitionOf(input.region);
  return {
    accountId: input.accountId,
    region: input.region,
    partition,
    stackName: input.stackName,
    stackId:
      input.stackId ??
      `arn:${partition}:cloudformation:${input.region}:${input.accountId}:stack/${input.stackName}/${randomUUID()}`,
    urlSuffix: urlSuffixOf(partition),
  };
}

function pseudoValue(name: string, pseudo: PseudoParameters): ParameterValue | undefined {
  switch (name) {
    case 'AWS::AccountId':
      return pseudo.accountId;
    case 'AWS::Region':
      return pseudo.region;
    case 'AWS::Partition':
      return pseudo.partition;
    case 'AWS::StackName':
      return pseudo.stackName;
    case 'AWS::StackId':
      return pseudo.stackId;
    case 'AWS::URLSuffix':
      return pseudo.urlSuffix;
    case 'AWS::NotificationARNs':
      return [];
    default:
      return undefined;
  }
}

/** `{ "Fn::X": … }` or `{ "Ref": … }`: the function name and its argument. */
export function intrinsicCall(value: unknown): { name: string; argument: unknown } | undefined {
  if (!isJsonObject(value)) return undefined;
  const keys = Object.keys(value);
  const fnKeys = keys.filter((key) => key === 'Ref' || key.startsWith('Fn::'));
  if (fnKeys.length === 0) return undefined;
  if (keys.length !== 1) {
    return { name: `{${keys.join(', ')}}`, argument: value };
  }
  return { name: keys[0], argument: value[keys[0]] };
}

function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Runs a callback of the context, adding the path to what it throws. */
function atPath<T>(path: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof IntrinsicError || error instanceof RuleAssertionError) throw error;
    throw new IntrinsicError(error instanceof Error ? error.message : String(error), path);
  }
}

function args(name: string, argument: unknown, count: number, path: string): unknown[] {
  if (!Array.isArray(argument) || argument.length !== count) {
    throw new IntrinsicError(`${name} takes a list of ${count} arguments`, path);
  }
  return argument as unknown[];
}

function asString(name: string, value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new IntrinsicError(`${name} needs a string, got ${describe(value)}`, path);
}

function asList(name: string, value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) {
    throw new IntrinsicError(`${name} needs a list, got ${describe(value)}`, path);
  }
  return value as unknown[];
}

function asBoolean(value: unknown, path: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new IntrinsicError(
    `a condition must evaluate to true or false, got ${describe(value)}`,
    path,
  );
}

function conditionNamed(name: unknown, ctx: IntrinsicContext, path: string): boolean {
  if (typeof name !== 'string') {
    throw new IntrinsicError(`a condition name must be a string, got ${describe(name)}`, path);
  }
  if (!Object.prototype.hasOwnProperty.call(ctx.conditions, name)) {
    throw new IntrinsicError(
      `Template format error: Unresolved condition dependency ${name} (not in Conditions)`,
      path,
    );
  }
  return ctx.conditions[name];
}

/** A condition argument: `{ "Condition": "Name" }` or a condition function. */
function evaluateCondition(value: unknown, ctx: IntrinsicContext, path: string): boolean {
  if (isJsonObject(value) && Object.keys(value).length === 1 && 'Condition' in value) {
    return conditionNamed(value.Condition, ctx, child(path, 'Condition'));
  }
  return asBoolean(resolve(value, ctx, path), path);
}

function referencesResourcesAllowed(ctx: IntrinsicContext): boolean {
  return ctx.section !== 'Conditions' && ctx.section !== 'Rules';
}

/** `Ref` (and `${Name}` in `Fn::Sub`): a pseudo parameter, a parameter or a resource. */
function reference(name: unknown, ctx: IntrinsicContext, path: string): Resolved {
  if (typeof name !== 'string') {
    throw new IntrinsicError(
      `Ref needs a logical id or parameter name, got ${describe(name)}`,
      path,
    );
  }
  if (name === 'AWS::NoValue') return NO_VALUE;
  if (name.startsWith('AWS::')) {
    const value = pseudoValue(name, ctx.pseudo);
    if (value === undefined) {
      throw new IntrinsicError(`Ref to unknown pseudo parameter ${name}`, path);
    }
    return value;
  }
  if (Object.prototype.hasOwnProperty.call(ctx.parameters, name)) return ctx.parameters[name];
  if (!referencesResourcesAllowed(ctx)) {
    throw new IntrinsicError(
      `${ctx.section} can only reference parameters and pseudo parameters, not ${name}`,
      path,
    );
  }
  return atPath(path, () => ctx.ref(name));
}

function attribute(logicalId: string, name: string, ctx: IntrinsicContext, path: string): Resolved {
  if (!referencesResourcesAllowed(ctx)) {
    throw new IntrinsicError(`${ctx.section} cannot use Fn::GetAtt (${logicalId}.${name})`, path);
  }
  return atPath(path, () => ctx.getAtt(logicalId, name));
}

/** `Fn::GetAtt`'s target, from `[id, attribute]` or `"id.attribute"`. */
export function getAttTarget(
  argument: unknown,
): { logicalId: string; attribute: unknown } | undefined {
  if (typeof argument === 'string') {
    const dot = argument.indexOf('.');
    if (dot <= 0 || dot === argument.length - 1) return undefined;
    return { logicalId: argument.slice(0, dot), attribute: argument.slice(dot + 1) };
  }
  if (Array.isArray(argument) && argument.length === 2 && typeof argument[0] === 'string') {
    return { logicalId: argument[0], attribute: argument[1] as unknown };
  }
  return undefined;
}

/** Each `${...}` of an `Fn::Sub` string, with whether it is a `${!Literal}`. */
export function subPlaceholders(
  template: string,
): { text: string; name: string; literal: boolean }[] {
  return [...template.matchAll(/\$\{([^}]*)\}/g)].map((match) => ({
    text: match[0],
    name: match[1].startsWith('!') ? match[1].slice(1) : match[1],
    literal: match[1].startsWith('!'),
  }));
}

function substitute(argument: unknown, ctx: IntrinsicContext, path: string): string {
  let source: unknown = argument;
  const variables = new Map<string, string>();
  if (Array.isArray(argument)) {
    const [text, vars] = args('Fn::Sub', argument, 2, path);
    if (!isJsonObject(vars)) {
      throw new IntrinsicError('Fn::Sub variables must be an object of names to values', path);
    }
    for (const [name, value] of Object.entries(vars)) {
      const resolved = resolve(value, ctx, child(child(path, 1), name));
      variables.set(
        name,
        asString(`Fn::Sub variable ${name}`, resolved, child(child(path, 1), name)),
      );
    }
    source = text;
  }
  if (typeof source !== 'string') {
    throw new IntrinsicError(`Fn::Sub needs a string, got ${describe(source)}`, path);
  }
  return source.replace(/\$\{([^}]*)\}/g, (text, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    const variable = variables.get(inner);
    if (variable !== undefined) return variable;
    const dot = inner.indexOf('.');
    const value =
      dot > 0 && !inner.startsWith('AWS::')
        ? attribute(inner.slice(0, dot), inner.slice(dot + 1), ctx, path)
        : reference(inner, ctx, path);
    if (value === NO_VALUE || Array.isArray(value)) {
      throw new IntrinsicError(`Fn::Sub cannot substitute ${text}: it is not a string`, path);
    }
    return asString(`Fn::Sub ${text}`, value, path);
  });
}

function callFunction(
  name: string,
  argument: unknown,
  ctx: IntrinsicContext,
  path: string,
): Resolved {
  const at = child(path, name);
  switch (name) {
    case 'Ref':
      return reference(argument, ctx, at);
    case 'Fn::GetAtt': {
      const target = getAttTarget(argument);
      if (target === undefined) {
        throw new IntrinsicError(
          'Fn::GetAtt needs [logicalId, attribute] or "logicalId.attribute"',
          at,
        );
      }
      const attr = asString(
        'Fn::GetAtt attribute',
        resolve(target.attribute, ctx, child(at, 1)),
        at,
      );
      return attribute(target.logicalId, attr, ctx, at);
    }
    case 'Fn::Join': {
      const [delimiter, list] = args(name, argument, 2, at);
      if (typeof delimiter !== 'string') {
        throw new IntrinsicError('Fn::Join needs a string delimiter', at);
      }
      const items = asList(name, resolve(list, ctx, child(at, 1)), child(at, 1));
      return items.map((item, i) => asString(name, item, child(child(at, 1), i))).join(delimiter);
    }
    case 'Fn::Sub':
      return substitute(argument, ctx, at);
    case 'Fn::Select': {
      const [rawIndex, rawList] = args(name, argument, 2, at);
      const index = Number(asString(name, resolve(rawIndex, ctx, child(at, 0)), child(at, 0)));
      const list = asList(name, resolve(rawList, ctx, child(at, 1)), child(at, 1));
      if (!Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new IntrinsicError(
          `Fn::Select cannot select nonexistent value at index ${describe(rawIndex)} of a list of ${list.length}`,
          at,
        );
      }
      return list[index];
    }
    case 'Fn::Split': {
      const [delimiter, source] = args(name, argument, 2, at);
      if (typeof delimiter !== 'string' || delimiter === '') {
        throw new IntrinsicError('Fn::Split needs a non-empty string delimiter', at);
      }
      return asString(name, resolve(source, ctx, child(at, 1)), child(at, 1)).split(delimiter);
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = args(name, argument, 3, at);
      return conditionNamed(condition, ctx, child(at, 0))
        ? resolve(whenTrue, ctx, child(at, 1))
        : resolve(whenFalse, ctx, child(at, 2));
    }
    case 'Fn::Equals': {
      const [left, right] = args(name, argument, 2, at).map((v, i) =>
        resolve(v, ctx, child(at, i)),
      );
      const normal = (v: unknown): string =>
        typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
          ? String(v)
          : describe(v);
      return normal(left) === normal(right);
    }
    case 'Fn::Not': {
      const [condition] = args(name, argument, 1, at);
      return !evaluateCondition(condition, ctx, child(at, 0));
    }
    case 'Fn::And':
    case 'Fn::Or': {
      if (!Array.isArray(argument) || argument.length < 2 || argument.length > 10) {
        throw new IntrinsicError(`${name} takes a list of 2 to 10 conditions`, at);
      }
      const values = (argument as unknown[]).map((c, i) => evaluateCondition(c, ctx, child(at, i)));
      return name === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
    }
    case 'Fn::Contains': {
      if (ctx.section !== 'Rules') {
        throw new IntrinsicError('Fn::Contains is only valid in Rules', at);
      }
      const [list, value] = args(name, argument, 2, at);
      const items = asList(name, resolve(list, ctx, child(at, 0)), child(at, 0));
      const needle = asString(name, resolve(value, ctx, child(at, 1)), child(at, 1));
      return items.some((item) => asString(name, item, child(at, 0)) === needle);
    }
    case 'Fn::Base64':
      return Buffer.from(asString(name, resolve(argument, ctx, at), at), 'utf8').toString('base64');
    case 'Fn::GetAZs': {
      const region = asString(name, resolve(argument, ctx, at), at);
      return availabilityZones(region === '' ? ctx.pseudo.region : region);
    }
    case 'Fn::ImportValue':
      throw new IntrinsicError(
        'Fn::ImportValue is not emulated: the local engine deploys one stack and has no exports',
        at,
      );
    default:
      throw new IntrinsicError(unsupportedMessage(name), at);
  }
}

function unsupportedMessage(name: string): string {
  if (name.startsWith('{')) {
    return `an intrinsic function must be the only key of its object, got ${name}`;
  }
  return `Template error: unsupported intrinsic function ${name} (supported: ${SUPPORTED_FUNCTIONS.join(', ')})`;
}

function resolve(value: unknown, ctx: IntrinsicContext, path: string): Resolved {
  if (Array.isArray(value)) {
    return (value as unknown[])
      .map((item, i) => resolve(item, ctx, child(path, i)))
      .filter((item) => item !== NO_VALUE);
  }
  if (!isJsonObject(value)) return value;
  const call = intrinsicCall(value);
  if (call !== undefined) return callFunction(call.name, call.argument, ctx, path);
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolve(item, ctx, child(path, key));
    if (resolved !== NO_VALUE) result[key] = resolved;
  }
  return result;
}

/**
 * Resolves every intrinsic function in `value` (a property, an output, …). `Ref: AWS::NoValue`
 * removes the property or list item it is in; at the top it gives `undefined`.
 *
 * `path` (e.g. `Resources.Fn.Properties`) prefixes where errors say they happened.
 *
 * @example
 * ```ts
 * resolveValue({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*' }, ctx);
 * // 'arn:aws:s3:::my-bucket/*' when ctx.ref('Bucket') returns 'my-bucket'
 * ```
 */
export function resolveValue(value: unknown, ctx: IntrinsicContext, path = ''): unknown {
  const resolved = resolve(value, ctx, path);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** Every problem `findUnsupportedFunctions` reports: one line each, with its path. */
function collectUnsupported(
  value: unknown,
  section: TemplateSection,
  path: string,
  out: string[],
): void {
  if (Array.isArray(value)) {
    (value as unknown[]).forEach((item, i) =>
      collectUnsupported(item, section, child(path, i), out),
    );
    return;
  }
  if (!isJsonObject(value)) return;
  const call = intrinsicCall(value);
  if (call !== undefined) {
    const at = child(path, call.name);
    if (call.name === 'Fn::ImportValue') {
      out.push(`Fn::ImportValue is not emulated (at ${at})`);
    } else if (!SUPPORTED.has(call.name)) {
      out.push(`${unsupportedMessage(call.name)} (at ${at})`);
    } else if (call.name === 'Fn::Contains' && section !== 'Rules') {
      out.push(`Fn::Contains is only valid in Rules (at ${at})`);
    }
    if (!call.name.startsWith('{')) collectUnsupported(call.argument, section, at, out);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    collectUnsupported(item, section, child(path, key), out);
  }
}

/**
 * Every unsupported intrinsic function in the template (resource properties, outputs, conditions,
 * rules), each with its path: what a deploy checks before it creates anything.
 *
 * @example
 * ```ts
 * findUnsupportedFunctions({ Resources: { A: { Type: 'T', Properties: { X: { 'Fn::FindInMap': [] } } } } });
 * // ['Template error: unsupported intrinsic function Fn::FindInMap (…) (at Resources.A.Properties.X.Fn::FindInMap)']
 * ```
 */
export function findUnsupportedFunctions(template: CloudFormationTemplate): string[] {
  const out: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    collectUnsupported(resource.Properties, 'Resources', `Resources.${id}.Properties`, out);
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    collectUnsupported(output.Value, 'Outputs', `Outputs.${name}.Value`, out);
    if (output.Export !== undefined) {
      collectUnsupported(output.Export, 'Outputs', `Outputs.${name}.Export`, out);
    }
  }
  for (const [name, condition] of Object.entries(template.Conditions ?? {})) {
    collectUnsupported(condition, 'Conditions', `Conditions.${name}`, out);
  }
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    collectUnsupported(rule, 'Rules', `Rules.${name}`, out);
  }
  return out;
}

const LIST_TYPES =
  /^(CommaDelimitedList|List<.*>|AWS::SSM::Parameter::Value<(List<.*>|CommaDelimitedList)>)$/;
const SSM_TYPE = /^AWS::SSM::Parameter::Value<.*>$/;

function checkParameter(name: string, definition: TemplateParameter, value: ParameterValue): void {
  const values = typeof value === 'string' ? [value] : value;
  for (const item of values) {
    if (
      definition.AllowedValues !== undefined &&
      !definition.AllowedValues.map(String).includes(item)
    ) {
      throw new IntrinsicError(
        `Parameter '${name}' must be one of AllowedValues`,
        `Parameters.${name}`,
      );
    }
    if (
      definition.AllowedPattern !== undefined &&
      !new RegExp(`^(?:${definition.AllowedPattern})$`).test(item)
    ) {
      throw new IntrinsicError(
        `Parameter '${name}' must match pattern ${definition.AllowedPattern}`,
        `Parameters.${name}`,
      );
    }
    if (
      /Number/.test(definition.Type) &&
      !SSM_TYPE.test(definition.Type) &&
      !/^-?\d+(\.\d+)?$/.test(item.trim())
    ) {
      throw new IntrinsicError(`Parameter '${name}' must be a number`, `Parameters.${name}`);
    }
  }
}

/**
 * The value of each template parameter: the supplied one, else its `Default`. List types give
 * lists (comma-separated, each member trimmed). `AWS::SSM::Parameter::Value<…>` parameters
 * (whose `Default` is an SSM parameter *name*, e.g. CDK's `BootstrapVersion`) must be supplied
 * with the parameter's *value*: SSM is not emulated.
 *
 * Fails as CloudFormation does for unknown supplied names and missing values, and for values
 * outside `AllowedValues` / `AllowedPattern`.
 *
 * @example
 * ```ts
 * resolveParameters(template.Parameters, { BootstrapVersion: '30' }); // { BootstrapVersion: '30' }
 * ```
 */
export function resolveParameters(
  definitions: CloudFormationTemplate['Parameters'] = {},
  supplied: Readonly<Record<string, ParameterValue>> = {},
): Record<string, ParameterValue> {
  const unknown = Object.keys(supplied).filter(
    (name) => !Object.prototype.hasOwnProperty.call(definitions, name),
  );
  if (unknown.length > 0) {
    throw new IntrinsicError(
      `Parameters: [${unknown.join(', ')}] do not exist in the template`,
      '',
    );
  }
  const missing: string[] = [];
  const ssm: string[] = [];
  const result: Record<string, ParameterValue> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    const given = supplied[name];
    if (given === undefined && SSM_TYPE.test(definition.Type)) {
      ssm.push(`${name} (${definition.Type} from ${String(definition.Default ?? '?')})`);
      continue;
    }
    const raw: ParameterValue | undefined =
      given ?? (definition.Default === undefined ? undefined : String(definition.Default));
    if (raw === undefined) {
      missing.push(name);
      continue;
    }
    const value: ParameterValue = LIST_TYPES.test(definition.Type)
      ? typeof raw === 'string'
        ? raw === ''
          ? []
          : raw.split(',').map((item) => item.trim())
        : raw
      : typeof raw === 'string'
        ? raw
        : raw.join(',');
    checkParameter(name, definition, value);
    result[name] = value;
  }
  if (ssm.length > 0) {
    throw new IntrinsicError(
      `SSM parameter types are not emulated: supply the value of ${ssm.join(', ')} in parameters`,
      '',
    );
  }
  if (missing.length > 0) {
    throw new IntrinsicError(`Parameters: [${missing.join(', ')}] must have values`, '');
  }
  return result;
}

/**
 * Evaluates every condition of the template's `Conditions` section, each once, in any order
 * (conditions may use `{ "Condition": "Other" }`); a circular condition fails naming it.
 *
 * @example
 * ```ts
 * evaluateConditions(
 *   { Resources: {}, Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] } } },
 *   { pseudo, parameters: { Env: 'prod' } },
 * ); // { IsProd: true }
 * ```
 */
export function evaluateConditions(
  template: Pick<CloudFormationTemplate, 'Conditions'>,
  base: Pick<IntrinsicContext, 'pseudo' | 'parameters'>,
): Record<string, boolean> {
  const definitions = template.Conditions ?? {};
  const results = new Map<string, boolean>();
  const evaluating = new Set<string>();
  const lazy: Record<string, boolean> = {};
  const ctx: IntrinsicContext = {
    ...base,
    conditions: lazy,
    section: 'Conditions',
    ref: (id) => {
      throw new Error(`Conditions cannot reference resource ${id}`);
    },
    getAtt: (id) => {
      throw new Error(`Conditions cannot reference resource ${id}`);
    },
  };
  const evaluate = (name: string): boolean => {
    const known = results.get(name);
    if (known !== undefined) return known;
    if (evaluating.has(name)) {
      throw new IntrinsicError(
        `Template format error: Circular dependency between conditions: [${[...evaluating].join(', ')}]`,
        `Conditions.${name}`,
      );
    }
    evaluating.add(name);
    const value = evaluateCondition(definitions[name], ctx, `Conditions.${name}`);
    evaluating.delete(name);
    results.set(name, value);
    return value;
  };
  for (const name of Object.keys(definitions)) {
    Object.defineProperty(lazy, name, { enumerable: true, get: () => evaluate(name) });
  }
  return Object.fromEntries(Object.keys(definitions).map((name) => [name, evaluate(name)]));
}

/**
 * Checks the template's `Rules`: each rule whose `RuleCondition` holds (or that has none) must
 * have all its assertions true, or this throws a {@link RuleAssertionError} carrying the
 * assertion's `AssertDescription` — as CloudFormation rejects the stack before creating anything.
 *
 * @example
 * ```ts
 * // CDK's CheckBootstrapVersion: fails for BootstrapVersion '5', holds for '6' and later.
 * checkRules(template, { pseudo, parameters: { BootstrapVersion: '30' }, conditions: {} });
 * ```
 */
export function checkRules(
  template: Pick<CloudFormationTemplate, 'Rules'>,
  base: Pick<IntrinsicContext, 'pseudo' | 'parameters' | 'conditions'>,
): void {
  const ctx: IntrinsicContext = {
    ...base,
    section: 'Rules',
    ref: (id) => {
      throw new Error(`Rules cannot reference resource ${id}`);
    },
    getAtt: (id) => {
      throw new Error(`Rules cannot reference resource ${id}`);
    },
  };
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    const path = `Rules.${name}`;
    if (
      rule.RuleCondition !== undefined &&
      !evaluateCondition(rule.RuleCondition, ctx, `${path}.RuleCondition`)
    ) {
      continue;
    }
    rule.Assertions.forEach((assertion, i) => {
      if (!evaluateCondition(assertion.Assert, ctx, `${path}.Assertions[${i}].Assert`)) {
        throw new RuleAssertionError(name, assertion.AssertDescription);
      }
    });
  }
}
