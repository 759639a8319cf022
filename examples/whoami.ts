/**
 * An application reading its vendor key with the key reader (`client/`), as README "Reading the
 * key from an application" shows: it asks the vendor who the key is and prints that and the key's
 * fingerprint, never the key.
 *
 *   npx tsx examples/whoami.ts <polytomic|poelis> <secret> <vendor base URL>
 *
 * AWS settings come from the SDK's standard sources (`AWS_PROFILE=reader` in the local world).
 */
import { createKeyReader, type KeyReader } from '../client';
import { fingerprint } from '../lambda/shared/fingerprint';

/** The Polytomic API version the rotation function sends by default. */
const POLYTOMIC_API_VERSION = '2025-09-18';

type Vendor = 'polytomic' | 'poelis';

/** The vendor answered something else than an identity. */
class IdentityAnswerError extends Error {
  override readonly name = 'IdentityAnswerError';
}

/** A fetch `Response`'s JSON body, or an error naming the call that failed. */
async function jsonOf(response: Response, call: string): Promise<unknown> {
  if (!response.ok) throw new IdentityAnswerError(`${call} answered ${response.status}`);
  return response.json();
}

/** Who the Polytomic key is: `GET /api/me`. */
async function polytomicIdentity(reader: KeyReader, baseUrl: string): Promise<string> {
  const body = await reader.withKey(async (key) => {
    const response = await fetch(new URL('/api/me', baseUrl), {
      headers: { Authorization: `Bearer ${key}`, 'X-Polytomic-Version': POLYTOMIC_API_VERSION },
    });
    return response.status === 401 ? response : jsonOf(response, 'GET /api/me');
  });
  const data = (body as { data?: { email?: unknown; organization_name?: unknown } }).data;
  if (typeof data?.email !== 'string') {
    throw new IdentityAnswerError('GET /api/me answered no data.email');
  }
  return `${data.email}, organization ${String(data.organization_name)}`;
}

/** What the Poelis key sees: `GET /v1/public/workspaces?limit=1`. */
async function poelisIdentity(reader: KeyReader, baseUrl: string): Promise<string> {
  const body = await reader.withKey(async (key) => {
    const response = await fetch(new URL('/v1/public/workspaces?limit=1', baseUrl), {
      headers: { Authorization: `Bearer ${key}` },
    });
    return response.status === 401 ? response : jsonOf(response, 'GET /v1/public/workspaces');
  });
  const [first] = (body as { items?: { name?: unknown }[] }).items ?? [];
  if (typeof first?.name !== 'string') {
    throw new IdentityAnswerError('GET /v1/public/workspaces answered no workspace');
  }
  return `workspace ${first.name}`;
}

async function main(args: readonly string[]): Promise<number> {
  const [vendor, secretId, baseUrl] = args;
  if ((vendor !== 'polytomic' && vendor !== 'poelis') || !secretId || !baseUrl) {
    process.stderr.write('Usage: whoami.ts <polytomic|poelis> <secret> <vendor base URL>\n');
    return 2;
  }
  const reader = createKeyReader({ secretId });
  const identify: Record<Vendor, (reader: KeyReader, baseUrl: string) => Promise<string>> = {
    polytomic: polytomicIdentity,
    poelis: poelisIdentity,
  };
  const identity = await identify[vendor](reader, baseUrl);
  const key = fingerprint(await reader.getKey());
  process.stdout.write(`${vendor}: ${identity} (key ${key})\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // The reader's and this file's errors never carry a key.
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    process.stderr.write(`whoami: ${name}: ${message}\n`);
    process.exitCode = 1;
  },
);
