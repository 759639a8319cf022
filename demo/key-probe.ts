/**
 * The status code the vendor gives a key on its identity endpoint, for the story's "is the old
 * key dead?" lines: the rotator's own probe, with a ProviderContext built for one call.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsStore } from '../lambda/aws/secrets';
import type { HttpClient } from '../lambda/http/client';
import { VendorResponseError } from '../lambda/providers/errors';
import { probeKey as probeAtVendor } from '../lambda/providers/probe';
import type { RotatedSecret } from '../lambda/shared/secret';

const PROBE_TIMEOUT_MS = 10_000;
const ACCEPTED = 200;

/** The status the vendor gives `secret.apiKey` on its identity endpoint: 200 when it works. */
export async function probeKey(
  http: HttpClient,
  secretsManager: Pick<SecretsManagerClient, 'send'>,
  secretArn: string,
  secret: RotatedSecret,
): Promise<number> {
  try {
    const probe = await probeAtVendor(secret, {
      http,
      secrets: new SecretsStore(secretsManager),
      secretId: secretArn,
      token: 'key-probe',
      deadline: Date.now() + PROBE_TIMEOUT_MS,
      defaultPartnerKeySecretId: undefined,
    });
    // A key that authenticates as someone else is, for "is it dead?", alive.
    return probe.kind === 'rejected' ? probe.status : ACCEPTED;
  } catch (error) {
    if (error instanceof VendorResponseError) return error.status;
    throw error;
  }
}
