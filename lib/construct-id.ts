/** Turns a name into a construct id: `polytomic/prod-sync` becomes `PolytomicProdSync`. */
export function constructIdFor(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}
