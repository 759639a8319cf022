import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Agent } from 'undici';
import { HttpClient } from '../lambda/http/client';
import { readRotatorConfig } from '../lambda/rotation/config';
import type { CliIo } from './io';
import { rotationHistoryFor, type RotationHistory } from './rotation-history';

/** Everything a command talks to: real clients in the binary, local-world ones in tests. */
export interface CliDependencies {
  readonly io: CliIo;
  readonly env: NodeJS.ProcessEnv;
  readonly secretsManager: Pick<SecretsManagerClient, 'send'>;
  readonly kms: Pick<KMSClient, 'send'>;
  /** The vendor client: the function's allowlist (ROTATOR_ALLOWED_ORIGINS …) applies here too. */
  readonly vendorHttp: () => HttpClient;
  readonly history: RotationHistory;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Dependencies with owned resources, closed when the command is over. */
export interface OwnedCliDependencies extends CliDependencies {
  close(): Promise<void>;
}

/**
 * Real clients: AWS from the SDK's default credential chain and standard settings
 * (AWS_REGION, AWS_ENDPOINT_URL…), vendors through the same HTTP client as the function.
 */
export function createCliDependencies(io: CliIo, env: NodeJS.ProcessEnv): OwnedCliDependencies {
  const secretsManager = new SecretsManagerClient({});
  const kms = new KMSClient({});
  let agent: Agent | undefined;
  return {
    io,
    env,
    secretsManager,
    kms,
    vendorHttp() {
      agent ??= new Agent({ connect: { timeout: 5_000 } });
      return new HttpClient({ policy: readRotatorConfig(env).originPolicy, dispatcher: agent });
    },
    history: rotationHistoryFor(env),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    async close() {
      secretsManager.destroy();
      kms.destroy();
      await agent?.close();
    },
  };
}
