/**
 * The vendor calls a rotation makes, made directly over HTTP from the benchmark: the baseline of
 * time to revoke. Also the probe that asks the vendor whether a key still works.
 */
import { Agent, request } from 'undici';

const POLYTOMIC_VERSION = '2025-09-18';

export class VendorCalls {
  readonly #agent = new Agent({ connections: 8 });

  public constructor(
    private readonly urls: { readonly polytomic: string; readonly poelis: string },
  ) {}

  /** Polytomic's key issue (`force=true` also revokes the user's key); returns the new key. */
  public async issuePolytomicKey(
    partnerKey: string,
    organizationId: string,
    userId: string,
  ): Promise<string> {
    const url = new URL(
      `/api/organizations/${organizationId}/users/${userId}/keys?force=true`,
      this.urls.polytomic,
    );
    const response = await request(url, {
      method: 'POST',
      dispatcher: this.#agent,
      headers: {
        authorization: `Bearer ${partnerKey}`,
        'x-polytomic-version': POLYTOMIC_VERSION,
        'content-type': 'application/json',
      },
      body: '{}',
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`Polytomic key issue answered ${response.statusCode}`);
    }
    const body = (await response.body.json()) as { data?: { value?: unknown } };
    if (typeof body.data?.value !== 'string')
      throw new Error('Polytomic key issue returned no key');
    return body.data.value;
  }

  /** The identity call of `provider`; true when the key authenticates, false on 401. */
  public async authenticates(provider: 'polytomic' | 'poelis', key: string): Promise<boolean> {
    const url =
      provider === 'polytomic'
        ? new URL('/api/me', this.urls.polytomic)
        : new URL('/v1/public/workspaces?limit=1', this.urls.poelis);
    const response = await request(url, {
      dispatcher: this.#agent,
      headers: {
        authorization: `Bearer ${key}`,
        ...(provider === 'polytomic' ? { 'x-polytomic-version': POLYTOMIC_VERSION } : {}),
      },
    });
    await response.body.dump();
    if (response.statusCode === 401) return false;
    if (response.statusCode !== 200) {
      throw new Error(`The ${provider} identity call answered ${response.statusCode}`);
    }
    return true;
  }

  /** Resolves with the time (performance.now()) of the first 401 for `key`, probing back to back. */
  public async firstRejection(
    provider: 'polytomic' | 'poelis',
    key: string,
    now: () => number,
    timeoutMs: number,
  ): Promise<number> {
    const deadline = now() + timeoutMs;
    while (now() < deadline) {
      if (!(await this.authenticates(provider, key))) return now();
    }
    throw new Error(`The old ${provider} key still worked after ${timeoutMs} ms`);
  }

  public close(): Promise<void> {
    return this.#agent.close();
  }
}
