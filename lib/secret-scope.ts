/**
 * The names a stack manages: every managed secret's name starts with one of the stack's name
 * prefixes (`api-key-rotator/`, `prod/vendor-keys/`). The policies name these prefixes, never one
 * secret, so their size does not grow with the number of secrets. Pure (no CDK): the CLI's `adopt`
 * uses it too.
 */

import { MAX_SECRET_NAME_PREFIXES, SECRET_NAME_PREFIX } from '../lambda/shared/contracts';

export { MAX_SECRET_NAME_PREFIXES, SECRET_NAME_PREFIX };

/**
 * The prefixes a config gets when it names none: each managed name's first path segment.
 *
 * @example
 * defaultSecretNamePrefixes(['fleet/a', 'fleet/b/c', 'ops/d']); // ['fleet/', 'ops/']
 */
export function defaultSecretNamePrefixes(names: readonly string[]): string[] {
  const prefixes = names.flatMap((name) => {
    const slash = name.indexOf('/');
    return slash > 0 ? [name.slice(0, slash + 1)] : [];
  });
  return [...new Set(prefixes)].sort();
}

/**
 * The prefix `name` is under, if any.
 *
 * @example
 * prefixOf('fleet/acme', ['fleet/']); // 'fleet/'
 * prefixOf('fleetwood/acme', ['fleet/']); // undefined
 */
export function prefixOf(name: string, prefixes: readonly string[]): string | undefined {
  return prefixes.find((prefix) => name.startsWith(prefix) && name.length > prefix.length);
}

/** Where a stack's secrets live: the ARN parts policies are built from. */
export interface SecretScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly prefixes: readonly string[];
}

/**
 * IAM resource patterns of every secret under the prefixes, as ARNs
 * (`arn:aws:secretsmanager:us-east-1:111122223333:secret:api-key-rotator/*`): a secret's ARN is its
 * name plus `-` and 6 random characters, so a prefix ending with `/` matches only names under it.
 *
 * @example
 * secretArnPatterns({ partition: 'aws', region: 'us-east-1', account: '111122223333', prefixes: ['fleet/'] });
 * // ['arn:aws:secretsmanager:us-east-1:111122223333:secret:fleet/*']
 */
export function secretArnPatterns(scope: SecretScope): string[] {
  return scope.prefixes.map((prefix) => `${secretArnPrefix(scope, prefix)}*`);
}

/** The ARN every secret under `prefix` starts with (an EventBridge `prefix` match). */
export function secretArnPrefix(scope: Omit<SecretScope, 'prefixes'>, prefix: string): string {
  return `arn:${scope.partition}:secretsmanager:${scope.region}:${scope.account}:secret:${prefix}`;
}
