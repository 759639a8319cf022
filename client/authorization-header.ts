import type { Dispatcher } from 'undici';

/** Request headers in any of the shapes undici accepts. */
export type RequestHeaders = Dispatcher.DispatchOptions['headers'];

/**
 * The headers as undici's flat list `[name, value, name, value, …]`. Read once, because an
 * iterable may be single-use; a flat list is copied as given so undici still validates it.
 */
export function toFlatHeaders(headers: RequestHeaders): string[] {
  if (headers == null) return [];
  if (Array.isArray(headers)) return [...headers];
  const entries: Iterable<readonly [string, string | readonly string[] | undefined]> =
    Symbol.iterator in headers
      ? (headers as Iterable<[string, string | string[] | undefined]>)
      : Object.entries(headers);
  const flat: string[] = [];
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    // The flat form repeats the name for each value of a multi-valued header.
    for (const one of typeof value === 'string' ? [value] : value) flat.push(name, one);
  }
  return flat;
}

/** Whether a flat header list already carries an `Authorization` header. */
export function hasAuthorization(flat: readonly string[]): boolean {
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i]?.toLowerCase() === 'authorization') return true;
  }
  return false;
}

/** A flat header list plus `Authorization: Bearer <key>`. */
export function withBearer(flat: readonly string[], key: string): string[] {
  return [...flat, 'authorization', `Bearer ${key}`];
}
