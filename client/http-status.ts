/**
 * Recognises a 401 in whatever an HTTP call returned or threw: a value whose `status` or
 * `statusCode` is 401 (fetch `Response`, undici `request()` data and `ResponseError`), or
 * whose `response` has one (axios, ky and got errors).
 */
export function isUnauthorized(outcome: unknown): boolean {
  if (!isObject(outcome)) return false;
  return hasStatus401(outcome) || (isObject(outcome.response) && hasStatus401(outcome.response));
}

/**
 * Frees the connection held by an unread response body: cancels a fetch body, dumps an
 * undici `request()` body. Does nothing for values without a body.
 */
export async function releaseBody(response: unknown): Promise<void> {
  const body = isObject(response) ? response.body : undefined;
  if (!isObject(body)) return;
  try {
    if (typeof body.dump === 'function') await (body.dump as () => Promise<void>)();
    else if (typeof body.cancel === 'function') await (body.cancel as () => Promise<void>)();
  } catch {
    // The caller already read or locked the body: there is nothing left to release.
  }
}

function hasStatus401(value: Record<string, unknown>): boolean {
  return value.status === 401 || value.statusCode === 401;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
