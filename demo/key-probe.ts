/**
 * Asks the vendor whether a key still works, with the same identity check the rotation's
 * testSecret uses, and reports the status code the vendor answered.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsStore } from '../lambda/aws/secrets';
import type { HttpClient } from '../lambda/http/client';
import {
  IdentityMismatchError,
  KeyRejectedError,
  VendorResponseError,
} from '../lambda/providers/errors';
import { providerFor } from '../lambda/providers/registry';
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
    await providerFor(secret).verifyIdentity(secret, {
      http,
      secrets: new SecretsStore(secretsManager),
      secretId: secretArn,
      token: 'key-probe',
      deadline: Date.now() + PROBE_TIMEOUT_MS,
      defaultPartnerKeySecretId: undefined,
    });
    return ACCEPTED;
  } catch (error) {
    if (error instanceof KeyRejectedError || error instanceof VendorResponseError) {
      return error.status;
    }
    // The key authenticates, only as someone else: for "is it dead?" it is alive.
    if (error instanceof IdentityMismatchError) return ACCEPTED;
    throw error;
  }
}
