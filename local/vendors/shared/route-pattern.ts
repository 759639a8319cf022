/** Route patterns like `/api/organizations/:org/users/:user/keys`, matched segment by segment. */

export interface RouteMatch {
  readonly pattern: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Matches `path` against `pattern`; `:name` segments capture one non-empty, URI-decoded segment. */
export function matchPattern(pattern: string, path: string): RouteMatch | undefined {
  const expected = pattern.split('/');
  const actual = path.split('/');
  if (expected.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i];
    const got = actual[i];
    if (want.startsWith(':')) {
      if (got === '') return undefined;
      const decoded = safeDecode(got);
      if (decoded === undefined) return undefined;
      params[want.slice(1)] = decoded;
    } else if (want !== got) {
      return undefined;
    }
  }
  return { pattern, params };
}

export interface MethodRoute {
  readonly method: string;
  readonly pattern: string;
}

export type RouteResolution<R extends MethodRoute> =
  | { readonly kind: 'found'; readonly route: R; readonly match: RouteMatch }
  | { readonly kind: 'method-not-allowed'; readonly pattern: string }
  | { readonly kind: 'not-found' };

/** Finds the route for a request, telling "no such path" from "path exists, other method". */
export function resolveRoute<R extends MethodRoute>(
  routes: readonly R[],
  method: string,
  path: string,
): RouteResolution<R> {
  let pathOnly: string | undefined;
  for (const route of routes) {
    const match = matchPattern(route.pattern, path);
    if (match === undefined) continue;
    if (route.method === method) return { kind: 'found', route, match };
    pathOnly ??= route.pattern;
  }
  return pathOnly === undefined
    ? { kind: 'not-found' }
    : { kind: 'method-not-allowed', pattern: pathOnly };
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
