/**
 * Who a key belongs to, as the vendor says: the story names Polytomic's service users by the
 * local part of their e-mail (`rotation-a`), asked of `GET /api/me` with the key itself.
 */
import type { HttpClient } from '../lambda/http/client';
import { POLYTOMIC_DEFAULT_API_VERSION } from '../lambda/providers/polytomic';
import { printable } from '../lambda/shared/printable';
import type { RotatedSecret } from '../lambda/shared/secret';

const IDENTITY_TIMEOUT_MS = 10_000;

/**
 * The user `secret`'s key authenticates as, by e-mail local part; undefined for a vendor whose
 * keys belong to no user (Poelis), or when the vendor does not accept the key.
 *
 * @example
 * ```ts
 * await keyUserName(http, polytomicSecret); // 'rotation-a'
 * ```
 */
export async function keyUserName(
  http: HttpClient,
  secret: RotatedSecret,
): Promise<string | undefined> {
  if (secret.provider !== 'polytomic' || secret.baseUrl === undefined) return undefined;
  const response = await http.request({
    method: 'GET',
    url: new URL('/api/me', secret.baseUrl),
    headers: {
      Authorization: `Bearer ${secret.apiKey}`,
      'X-Polytomic-Version': POLYTOMIC_DEFAULT_API_VERSION,
    },
    deadline: Date.now() + IDENTITY_TIMEOUT_MS,
  });
  if (response.status !== 200) return undefined;
  // The simulator's answer, like any vendor's, is untrusted: only a printable name is kept.
  let email: unknown;
  try {
    email = (JSON.parse(response.body) as { data?: { email?: unknown } }).data?.email;
  } catch {
    return undefined;
  }
  return typeof email === 'string' ? printable(email.split(/[+@]/)[0] ?? '') : undefined;
}
