import { randomBytes, randomUUID } from 'node:crypto';
import { MockAgent } from 'undici';

export const POLYTOMIC_ORIGIN = 'https://app.polytomic.com';
export const POELIS_ORIGIN = 'https://api.poelis.com';

type Headers = Record<string, string>;

interface Reply {
  statusCode: number;
  data: string;
  responseOptions: { headers: Record<string, string> };
}

/** A MockAgent that refuses anything not intercepted. */
export function vendorAgent(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}

/** The request headers a MockAgent reply callback sees, lower-cased. */
export function headersOf(options: { headers?: unknown }): Headers {
  const raw = options.headers;
  let pairs: [string, string][] = [];
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([String(raw[i]), String(raw[i + 1])]);
  } else if (raw instanceof globalThis.Headers) {
    pairs = [...raw.entries()];
  } else if (typeof raw === 'object' && raw !== null) {
    pairs = Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  }
  return Object.fromEntries(pairs.map(([k, v]) => [k.toLowerCase(), v]));
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return {
    statusCode,
    data: JSON.stringify(body),
    responseOptions: {
      headers: { 'content-type': 'application/json', 'x-request-id': randomUUID(), ...headers },
    },
  };
}

function bearer(headers: Headers): string | undefined {
  return headers.authorization?.replace(/^Bearer /, '');
}

/**
 * Polytomic as the rotator sees it: one live key per user, forced issues replace it, the
 * Idempotency-Key replays the first answer. Keeps the ledger of every key it issued.
 */
export class PolytomicModel {
  readonly organizationId = 'org-7f3a';
  readonly partnerKey = randomUUID();
  /** userId → its live key. */
  readonly liveKeys = new Map<string, string>();
  readonly issued: string[] = [];
  readonly requests: { method: string; path: string; headers: Headers }[] = [];
  private readonly replays = new Map<string, Reply>();
  private readonly faults: { pathPart: string; reply: Reply | 'commit-then-fail' }[] = [];

  constructor(readonly users: readonly string[] = ['user-a', 'user-b']) {}

  /** A key issued in the settings panel, as the operator does before the first rotation. */
  seedKey(userId: string): string {
    return this.issue(userId);
  }

  isLive(key: string): boolean {
    return [...this.liveKeys.values()].includes(key);
  }

  /** The next request whose path contains `pathPart` gets `reply` (or is carried out, then answered 502). */
  injectFault(
    pathPart: string,
    reply: { status: number; headers?: Record<string, string> } | 'commit-then-fail',
  ): void {
    this.faults.push({
      pathPart,
      reply:
        reply === 'commit-then-fail'
          ? reply
          : json(reply.status, { status: reply.status, message: 'injected' }, reply.headers),
    });
  }

  install(agent: MockAgent, origin = POLYTOMIC_ORIGIN): void {
    agent
      .get(origin)
      .intercept({ method: /.*/, path: /.*/ })
      .reply((options) => {
        const headers = headersOf(options);
        const path = options.path;
        this.requests.push({ method: options.method, path, headers });
        const fault = this.faults.findIndex((f) => path.includes(f.pathPart));
        if (fault >= 0) {
          const { reply } = this.faults.splice(fault, 1)[0];
          if (reply !== 'commit-then-fail') return reply;
          // The vendor does the work, then the answer is lost on the way back.
          this.handleIssue(path, headers);
          return json(502, { status: 502, message: 'bad gateway' });
        }
        if (options.method === 'GET' && path === '/api/me') return this.me(headers);
        if (options.method === 'POST') {
          return (
            this.handleIssue(path, headers) ?? json(404, { status: 404, message: 'not found' })
          );
        }
        return json(404, { status: 404, message: 'not found' });
      })
      .persist();
  }

  private me(headers: Headers): Reply {
    const key = bearer(headers);
    const userId = [...this.liveKeys.entries()].find(([, live]) => live === key)?.[0];
    if (key === this.partnerKey) {
      return json(200, {
        data: { id: 'partner', organization_id: 'partner-org', is_partner: true },
      });
    }
    if (userId === undefined)
      return json(401, { code: 401, status: 'Unauthorized', error: 'invalid key' });
    return json(200, { data: { id: userId, organization_id: this.organizationId, is_user: true } });
  }

  private handleIssue(path: string, headers: Headers): Reply | undefined {
    const match = /^\/api\/organizations\/([^/]+)\/users\/([^/?]+)\/keys\?force=true$/.exec(path);
    if (match === null) return undefined;
    if (bearer(headers) !== this.partnerKey)
      return json(401, { code: 401, status: 'Unauthorized', error: 'invalid key' });
    if (match[1] !== this.organizationId || !this.users.includes(match[2]))
      return json(404, { status: 404, message: 'no such user' });
    const idempotencyKey = headers['idempotency-key'];
    const replay = idempotencyKey === undefined ? undefined : this.replays.get(idempotencyKey);
    if (replay !== undefined) return replay;
    const reply = json(200, { data: { value: this.issue(match[2]) } });
    if (idempotencyKey !== undefined) this.replays.set(idempotencyKey, reply);
    return reply;
  }

  private issue(userId: string): string {
    const key = randomUUID();
    this.liveKeys.set(userId, key);
    this.issued.push(key);
    return key;
  }
}

/** Poelis as the rotator sees it: keys created and revoked by hand, a workspaces call to test one. */
export class PoelisModel {
  readonly live = new Set<string>();
  readonly created: string[] = [];

  createKey(): string {
    const key = `poelis_api_${randomBytes(32).toString('base64url')}`;
    this.live.add(key);
    this.created.push(key);
    return key;
  }

  revoke(key: string): void {
    this.live.delete(key);
  }

  install(agent: MockAgent, origin = POELIS_ORIGIN): void {
    agent
      .get(origin)
      .intercept({ method: 'GET', path: /^\/v1\/public\/workspaces/ })
      .reply((options) => {
        const key = bearer(headersOf(options));
        if (key === undefined || !this.live.has(key)) {
          return json(401, { error: 'unauthorized', message: 'Invalid or revoked API key' });
        }
        return json(200, { items: [{ id: 'ws-1', readable_id: 'main', name: 'Main' }], count: 1 });
      })
      .persist();
  }
}
