import { InsecureUrlError, OriginNotAllowedError } from './errors';

/** Which origins a request may reach: one list for every request (a client of one vendor, tests). */
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

/**
 * Which origins each provider's requests may reach (the functions' policy): a request reaches
 * only the origins of the provider it is bound to ({@link bindToProvider}), and a request bound
 * to no listed provider reaches nothing.
 */
export interface ProviderOriginPolicy {
  /** Each provider's exact origins, by provider name. */
  readonly originsByProvider: Readonly<Record<string, readonly string[]>>;
  /** As {@link OriginPolicy.allowLoopbackHttp}. */
  readonly allowLoopbackHttp: boolean;
}

/** The built-in vendors' public origins together: a flat policy for tests and tools. */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  'https://app.polytomic.com',
  'https://api.poelis.com',
];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** Throws unless a request to `url` is allowed; runs before any connection is opened. */
export function assertOriginAllowed(url: URL, policy: OriginPolicy, provider?: string): void {
  const secure =
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && policy.allowLoopbackHttp && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure) throw new InsecureUrlError(url.origin);
  const anyLoopbackPort =
    url.protocol === 'http:' && policy.allowedOrigins.includes(`http://${url.hostname}`);
  if (!policy.allowedOrigins.includes(url.origin) && !anyLoopbackPort) {
    throw new OriginNotAllowedError(url.origin, provider);
  }
}

function isProviderPolicy(
  policy: OriginPolicy | ProviderOriginPolicy,
): policy is ProviderOriginPolicy {
  return 'originsByProvider' in policy;
}

/**
 * Throws unless a request to `url` made for `provider` is allowed: under a per-provider policy
 * only that provider's origins are, and a request made for no provider reaches nothing; a flat
 * policy allows its list to every request.
 */
export function assertRequestAllowed(
  url: URL,
  policy: OriginPolicy | ProviderOriginPolicy,
  provider: string | undefined,
): void {
  if (!isProviderPolicy(policy)) return assertOriginAllowed(url, policy);
  if (provider === undefined) throw new OriginNotAllowedError(url.origin, undefined, true);
  const origins = Object.hasOwn(policy.originsByProvider, provider)
    ? policy.originsByProvider[provider]
    : [];
  assertOriginAllowed(
    url,
    { allowedOrigins: origins, allowLoopbackHttp: policy.allowLoopbackHttp },
    provider,
  );
}

// Module-private, so only bindToProvider can say which provider a request is made for.
const OWNER = Symbol('api-key-rotator.requestOwner');

/** The provider a request was bound to by {@link bindToProvider}, if any. */
export function requestOwner(request: object): string | undefined {
  return (request as { [OWNER]?: string })[OWNER];
}

/**
 * A view of `http` whose every request is made for `provider`, so a per-provider policy checks it
 * against that provider's origins alone. The provider registry binds each provider's calls.
 */
export function bindToProvider<Req extends object, Res>(
  http: { request(request: Req): Promise<Res> },
  provider: string,
): { request(request: Req): Promise<Res> } {
  return { request: (request) => http.request({ ...request, [OWNER]: provider }) };
}

/** A setting that is not an origin list we accept; `message` says what to fix, never the value. */
export class OriginSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OriginSettingError';
  }
}

const MAX_ORIGIN_LENGTH = 300;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// Blanks, controls, backslashes and non-ASCII (a look-alike host) have no place in an origin.
const UNSAFE_CHARACTER = /[^\x21-\x7e]|\\/;

/**
 * What is wrong with one origin entry, or undefined when it is an origin we accept: `https://`
 * and a DNS host name (no IP literal), an optional port 1–65535, nothing after; with
 * `allowLoopbackHttp` also `http://127.0.0.1` or `http://localhost`, with or without a port.
 * The entry must be spelled as `URL.origin` spells it (lower case, no default port). The answer
 * never quotes the entry, which could hold credentials.
 */
export function originProblem(entry: string, allowLoopbackHttp: boolean): string | undefined {
  if (entry === '') return 'is empty';
  if (entry.length > MAX_ORIGIN_LENGTH) return `is longer than ${MAX_ORIGIN_LENGTH} characters`;
  if (UNSAFE_CHARACTER.test(entry)) {
    return 'holds a blank, a control or non-ASCII character, or a backslash';
  }
  const scheme = SCHEME.exec(entry)?.[1].toLowerCase();
  if (scheme !== 'https' && scheme !== 'http') {
    return 'is not an https:// origin (no other scheme, such as javascript: or file:, is accepted)';
  }
  if (!entry.startsWith(`${scheme}://`)) return 'must start with https://';
  const rest = entry.slice(`${scheme}://`.length);
  if (rest.includes('@')) return 'holds credentials (user@host): write the origin only';
  if (/[/?#]/.test(rest)) {
    return 'has a path, query or fragment (a trailing / included): write scheme://host[:port] only';
  }
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return 'is not a valid URL';
  }
  if (url.port === '0') return 'has port 0: use a port from 1 to 65535, or none';
  if (url.origin !== entry) {
    return 'is not spelled as an origin: write it in lower case, without the default port';
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (scheme === 'http') {
    if (!loopback || !allowLoopbackHttp) {
      return `uses plain http, allowed only to 127.0.0.1 or localhost with loopback http enabled`;
    }
    return undefined;
  }
  const labels = url.hostname.split('.');
  const dnsName =
    labels.length >= 2 &&
    labels.every((label) => DNS_LABEL.test(label)) &&
    !/^\d+$/.test(labels[labels.length - 1]);
  if (!dnsName) {
    return 'does not name a DNS host such as api.example.com (IP literals and single-label hosts are refused)';
  }
  return undefined;
}

/** An origin entry, checked by {@link originProblem}; throws {@link OriginSettingError}. */
export function parseOrigin(entry: string, allowLoopbackHttp: boolean, what = 'an origin'): string {
  const problem = originProblem(entry, allowLoopbackHttp);
  if (problem !== undefined) throw new OriginSettingError(`${what} ${problem}`);
  return entry;
}

const PROVIDER_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Parses ROTATOR_ALLOWED_ORIGINS: `provider=origin[,origin…]` entries separated by `;`, e.g.
 * `polytomic=https://app.polytomic.com;poelis=https://api.poelis.com`. Every provider named
 * must be known, named once and given at least one origin; a provider not named keeps
 * `defaults[provider]`. Throws {@link OriginSettingError} saying which entry is wrong and why.
 */
export function parseProviderOrigins(
  text: string,
  defaults: Readonly<Record<string, readonly string[]>>,
  allowLoopbackHttp: boolean,
): Record<string, readonly string[]> {
  const known = Object.keys(defaults);
  const named = new Map<string, readonly string[]>();
  const entries = text.split(';');
  entries.forEach((raw, index) => {
    const entry = raw.trim();
    const where = `entry ${index + 1}`;
    if (entry === '') throw new OriginSettingError(`${where} is empty (a stray ";")`);
    const equals = entry.indexOf('=');
    if (equals < 0) {
      throw new OriginSettingError(
        `${where} names no provider: write provider=origin, e.g. ${known[0] ?? 'vendor'}=https://…`,
      );
    }
    const name = entry.slice(0, equals).trim();
    if (!PROVIDER_NAME.test(name) || !known.includes(name)) {
      throw new OriginSettingError(
        `${where} names an unknown provider: use one of ${known.join(', ')}`,
      );
    }
    if (named.has(name)) throw new OriginSettingError(`${where} names ${name} a second time`);
    const origins = entry
      .slice(equals + 1)
      .split(',')
      .map((origin, position) =>
        parseOrigin(origin.trim(), allowLoopbackHttp, `${name}'s origin ${position + 1}`),
      );
    if (new Set(origins).size < origins.length) {
      throw new OriginSettingError(`${name} lists an origin twice`);
    }
    named.set(name, origins);
  });
  const resolved = Object.fromEntries(
    known.map((name) => [name, named.get(name) ?? defaults[name]]),
  );
  assertOneOwnerPerOrigin(resolved);
  return resolved;
}

/**
 * Refuses an origin that two providers list: each would send its keys to the other's vendor.
 * Loopback origins are exempt, where a local world's simulators share a host.
 */
function assertOneOwnerPerOrigin(originsByProvider: Readonly<Record<string, readonly string[]>>) {
  const owners = new Map<string, string>();
  for (const [provider, origins] of Object.entries(originsByProvider)) {
    for (const origin of origins) {
      const owner = owners.get(origin);
      if (owner !== undefined && !origin.startsWith('http://')) {
        throw new OriginSettingError(
          `${owner} and ${provider} share an origin: an origin belongs to one provider`,
        );
      }
      owners.set(origin, provider);
    }
  }
}

/** Writes origins by provider as ROTATOR_ALLOWED_ORIGINS spells them. */
export function formatProviderOrigins(
  originsByProvider: Readonly<Record<string, readonly string[]>>,
): string {
  return Object.entries(originsByProvider)
    .map(([provider, origins]) => `${provider}=${origins.join(',')}`)
    .join(';');
}
