/**
 * The order CloudFormation creates a template's resources in: each after every resource it
 * references (`Ref`, `Fn::GetAtt`, `${X}` / `${X.Attr}` in `Fn::Sub`) or names in `DependsOn`.
 */
import { getAttTarget, intrinsicCall, subPlaceholders } from './intrinsics';
import type { CloudFormationTemplate } from './template';
import { isJsonObject } from './template';

/** A template whose references cannot be ordered: unknown logical ids or a cycle. */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
}

/** Which resources are created, and in which order. */
export interface DependencyGraph {
  /** The resources to create, each after its dependencies; template order among ready ones. */
  readonly order: readonly string[];
  /** The direct dependencies of each resource to create. */
  readonly dependencies: ReadonlyMap<string, ReadonlySet<string>>;
  /** Resources not created because their `Condition` is false, in template order. */
  readonly excluded: readonly string[];
}

/** Options of {@link collectReferences}. */
export interface CollectReferencesOptions {
  /** Evaluated conditions: `Fn::If` then only counts its taken branch. Both branches without. */
  readonly conditions?: Readonly<Record<string, boolean>>;
}

function walk(value: unknown, options: CollectReferencesOptions, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) walk(item, options, found);
    return;
  }
  if (!isJsonObject(value)) return;
  const call = intrinsicCall(value);
  if (call === undefined) {
    for (const item of Object.values(value)) walk(item, options, found);
    return;
  }
  const { name, argument } = call;
  if (name === 'Ref') {
    if (typeof argument === 'string' && !argument.startsWith('AWS::')) found.add(argument);
    return;
  }
  if (name === 'Fn::GetAtt') {
    const target = getAttTarget(argument);
    if (target !== undefined) {
      found.add(target.logicalId);
      walk(target.attribute, options, found);
    }
    return;
  }
  if (name === 'Fn::Sub') {
    const [text, variables] = Array.isArray(argument)
      ? (argument as unknown[])
      : [argument, undefined];
    const names = isJsonObject(variables) ? new Set(Object.keys(variables)) : new Set<string>();
    if (typeof text === 'string') {
      for (const placeholder of subPlaceholders(text)) {
        if (placeholder.literal || names.has(placeholder.name)) continue;
        if (placeholder.name.startsWith('AWS::')) continue;
        const dot = placeholder.name.indexOf('.');
        found.add(dot > 0 ? placeholder.name.slice(0, dot) : placeholder.name);
      }
    }
    if (isJsonObject(variables)) walk(variables, options, found);
    return;
  }
  if (name === 'Fn::If' && Array.isArray(argument) && argument.length === 3) {
    const [condition, whenTrue, whenFalse] = argument as unknown[];
    const taken =
      typeof condition === 'string' && options.conditions !== undefined
        ? options.conditions[condition]
        : undefined;
    if (taken !== false) walk(whenTrue, options, found);
    if (taken !== true) walk(whenFalse, options, found);
    return;
  }
  walk(argument, options, found);
}

/**
 * The names `value` references: `Ref` targets, `Fn::GetAtt` logical ids, and the `${Name}` /
 * `${Name.Attr}` of `Fn::Sub` strings that are neither pseudo parameters (`AWS::…`), variables of
 * that `Fn::Sub`, nor `${!Literal}`s. They may be parameter names: the caller tells them apart.
 *
 * @example
 * ```ts
 * collectReferences({ 'Fn::Sub': ['${Topic}-${Fn.Arn}-${AWS::Region}-${!Lit}-${v}', { v: 'x' }] });
 * // Set { 'Topic', 'Fn' }
 * ```
 */
export function collectReferences(
  value: unknown,
  options: CollectReferencesOptions = {},
): Set<string> {
  const found = new Set<string>();
  walk(value, options, found);
  return found;
}

function dependsOnList(dependsOn: string | readonly string[] | undefined): readonly string[] {
  if (dependsOn === undefined) return [];
  return typeof dependsOn === 'string' ? [dependsOn] : dependsOn;
}

/** The members of cycles among `ids` (Tarjan's strongly connected components), in `ids` order. */
function cycleMembers(
  ids: readonly string[],
  dependencies: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const members = new Set<string>();
  let counter = 0;
  const connect = (id: string): void => {
    index.set(id, counter);
    low.set(id, counter);
    counter += 1;
    stack.push(id);
    onStack.add(id);
    for (const next of dependencies.get(id) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(id, Math.min(low.get(id) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(id, Math.min(low.get(id) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(id) === index.get(id)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== id);
      const selfLoop = dependencies.get(id)?.has(id) ?? false;
      if (component.length > 1 || selfLoop) component.forEach((m) => members.add(m));
    }
  };
  for (const id of ids) if (!index.has(id)) connect(id);
  return ids.filter((id) => members.has(id));
}

/**
 * Orders `ids` so that each comes after its dependencies; among the ready ones, the earliest in
 * `ids` comes first (so independent resources keep template order). A cycle fails with
 * CloudFormation's message, naming the resources in it.
 *
 * @example
 * ```ts
 * topologicalOrder(['A', 'B'], new Map([['A', new Set(['B'])], ['B', new Set()]])); // ['B', 'A']
 * ```
 */
export function topologicalOrder(
  ids: readonly string[],
  dependencies: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  const pending = [...ids];
  while (pending.length > 0) {
    const next = pending.findIndex((id) =>
      [...(dependencies.get(id) ?? [])].every((dependency) => done.has(dependency)),
    );
    if (next < 0) {
      const cycle = cycleMembers(pending, dependencies);
      throw new DependencyError(
        `Circular dependency between resources: [${(cycle.length > 0 ? cycle : pending).join(', ')}]`,
      );
    }
    const [id] = pending.splice(next, 1);
    done.add(id);
    order.push(id);
  }
  return order;
}

/**
 * The resources a deploy creates (those without a `Condition`, or whose condition is true) and
 * the order it creates them in. References to logical ids that are neither resources to create nor
 * parameters fail with CloudFormation's "Unresolved resource dependencies" message (checked in
 * `Outputs` too); so does a `Condition` naming no condition.
 *
 * @example
 * ```ts
 * const { order, excluded } = buildDependencyGraph(template, { conditions: { IsProd: false } });
 * ```
 */
export function buildDependencyGraph(
  template: CloudFormationTemplate,
  options: { conditions?: Readonly<Record<string, boolean>> } = {},
): DependencyGraph {
  const conditions = options.conditions ?? {};
  const parameters = new Set(Object.keys(template.Parameters ?? {}));
  const isTrue = (condition: string | undefined, where: string): boolean => {
    if (condition === undefined) return true;
    if (!Object.prototype.hasOwnProperty.call(conditions, condition)) {
      throw new DependencyError(
        `Template format error: Unresolved condition dependency ${condition} in ${where}`,
      );
    }
    return conditions[condition];
  };
  const ids = Object.keys(template.Resources);
  const created = ids.filter((id) => isTrue(template.Resources[id].Condition, `Resources.${id}`));
  const createdSet = new Set(created);
  const unresolved = (names: Iterable<string>): string[] =>
    [...names].filter((name) => !createdSet.has(name) && !parameters.has(name));

  const dependencies = new Map<string, Set<string>>();
  const unknownInResources = new Set<string>();
  for (const id of created) {
    const resource = template.Resources[id];
    const references = collectReferences(resource.Properties, { conditions });
    for (const dependency of dependsOnList(resource.DependsOn)) references.add(dependency);
    unresolved(references).forEach((name) => unknownInResources.add(name));
    dependencies.set(id, new Set([...references].filter((name) => createdSet.has(name))));
  }
  if (unknownInResources.size > 0) {
    throw new DependencyError(
      `Template format error: Unresolved resource dependencies [${[...unknownInResources].join(', ')}] in the Resources block of the template`,
    );
  }
  const unknownInOutputs = new Set<string>();
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (!isTrue(output.Condition, `Outputs.${name}`)) continue;
    const references = collectReferences([output.Value, output.Export ?? null], { conditions });
    unresolved(references).forEach((reference) => unknownInOutputs.add(reference));
  }
  if (unknownInOutputs.size > 0) {
    throw new DependencyError(
      `Template format error: Unresolved resource dependencies [${[...unknownInOutputs].join(', ')}] in the Outputs block of the template`,
    );
  }
  return {
    order: topologicalOrder(created, dependencies),
    dependencies,
    excluded: ids.filter((id) => !createdSet.has(id)),
  };
}
