import { InsecureUrlError, OriginNotAllowedError } from './errors';

/** Which origins the function may send a key to. */
export interface OriginPolicy {
  /** Exact origins (`https://app.polytomic.com`), as `URL.origin` spells them. */
  readonly allowedOrigins: readonly string[];
  /**
   * Lets `http://127.0.0.1:*` and `http://localhost:*` through when they are also allowed; a
   * loopback entry without a port (`http://127.0.0.1`) allows every port of that host, so a
   * local world's simulators on free ports need no per-port configuration.
   */
  readonly allowLoopbackHttp: boolean;
}

export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  'https://app.polytomic.com',
  'https://api.poelis.com',
];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** Throws unless a request to `url` is allowed; runs before any connection is opened. */
export function assertOriginAllowed(url: URL, policy: OriginPolicy): void {
  const secure =
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && policy.allowLoopbackHttp && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure) throw new InsecureUrlError(url.origin);
  const anyLoopbackPort =
    url.protocol === 'http:' && policy.allowedOrigins.includes(`http://${url.hostname}`);
  if (!policy.allowedOrigins.includes(url.origin) && !anyLoopbackPort) {
    throw new OriginNotAllowedError(url.origin);
  }
}

/** Normalizes a comma-separated origin list (`ROTATOR_ALLOWED_ORIGINS`) to `URL.origin` form. */
export function parseOriginList(list: string): string[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => new URL(entry).origin);
}
