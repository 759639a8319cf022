/** Turns a name into a construct id: `polytomic/prod-sync` becomes `PolytomicProdSync`. */
export function constructIdFor(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/**
 * The prefix of the physical names a stack gives its resources, so two stacks can share an account
 * and region: `ApiKeyRotator` becomes `api-key-rotator`, `Rotator-Staging` `rotator-staging`. Only
 * lower-case letters, digits and dashes remain, which KMS aliases, SNS topics and secret names all
 * accept. Stack names that differ only in case or dashes share a prefix: name stacks apart.
 */
export function physicalNamePrefixFor(stackName: string): string {
  const prefix = stackName
    .replace(/([a-z0-9])([A-Z])(?=[a-z])/g, '$1-$2')
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (prefix === '')
    throw new Error(`The stack name "${stackName}" leaves no physical name prefix.`);
  return prefix;
}

/** The KMS alias of a stack's key: `alias/` and the prefix, which holds only characters KMS allows. */
export function kmsAliasFor(stackName: string): string {
  return `alias/${physicalNamePrefixFor(stackName)}`;
}
