/**
 * The status code the vendor gives a key on its identity endpoint, for the story's "is the old
 * key dead?" lines: the rotator's own probe, given only HTTP and a deadline.
 */
import type { HttpClient } from '../lambda/http/client';
import { VendorResponseError } from '../lambda/providers/errors';
import { probeKey as probeAtVendor } from '../lambda/providers/probe';
import { builtInProviders } from '../lambda/providers/registry';
import type { RotatedSecret } from '../lambda/shared/secret';

const PROBE_TIMEOUT_MS = 10_000;
const ACCEPTED = 200;

/** The status the vendor gives `secret.apiKey` on its identity endpoint: 200 when it works. */
export async function probeKey(http: HttpClient, secret: RotatedSecret): Promise<number> {
  try {
    const probe = await probeAtVendor(builtInProviders.providerOf(secret), secret, {
      http,
      deadline: Date.now() + PROBE_TIMEOUT_MS,
    });
    // A key that authenticates as someone else is, for "is it dead?", alive.
    return probe.kind === 'rejected' ? probe.status : ACCEPTED;
  } catch (error) {
    if (error instanceof VendorResponseError) return error.status;
    throw error;
  }
}
