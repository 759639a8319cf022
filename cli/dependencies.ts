import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Agent } from 'undici';
import { HttpClient } from '../lambda/http/client';
import { builtInProviders, type ProviderRegistry } from '../lambda/providers/registry';
import { readRotatorConfig } from '../lambda/rotation/config';
import type { CliIo } from './io';
import { noRotationHistory, type RotationHistory } from './rotation-history';

/** Everything a command talks to: real clients in the binary, local-world ones in tests. */
export interface CliDependencies {
  readonly io: CliIo;
  readonly env: NodeJS.ProcessEnv;
  /** A real client: the SDK's paginators accept nothing else. */
  readonly secretsManager: SecretsManagerClient;
  readonly kms: Pick<KMSClient, 'send'>;
  /** Where `rollback` announces itself (the default bus). @default none: nothing is published */
  readonly events?: Pick<EventBridgeClient, 'send'>;
  /** The vendor client: the function's allowlist (ROTATOR_ALLOWED_ORIGINS …) applies here too. */
  readonly vendorHttp: () => HttpClient;
  readonly history: RotationHistory;
  /** The vendors the CLI knows. @default builtInProviders (Polytomic and Poelis) */
  readonly providers?: ProviderRegistry;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Dependencies with owned resources, closed when the command is over. */
export interface OwnedCliDependencies extends CliDependencies {
  close(): Promise<void>;
}

/** What a caller of createCliDependencies may supply besides the process's io and environment. */
export interface CliDependencyOptions {
  /** Where rotation attempts are read. @default noRotationHistory (what AWS's API tells) */
  readonly history?: RotationHistory;
  /** The vendors whose origins ROTATOR_ALLOWED_ORIGINS may name. @default builtInProviders */
  readonly providers?: ProviderRegistry;
}

/**
 * Real clients: AWS from the SDK's default credential chain and standard settings
 * (AWS_REGION, AWS_ENDPOINT_URL…), vendors through the same HTTP client as the function.
 */
export function createCliDependencies(
  io: CliIo,
  env: NodeJS.ProcessEnv,
  options: CliDependencyOptions = {},
): OwnedCliDependencies {
  const secretsManager = new SecretsManagerClient({});
  const kms = new KMSClient({});
  const events = new EventBridgeClient({});
  let agent: Agent | undefined;
  return {
    io,
    env,
    secretsManager,
    kms,
    events,
    vendorHttp() {
      agent ??= new Agent({ connect: { timeout: 5_000 } });
      // Each vendor's origins as the function reads them; the registry binds each call to its provider.
      const policy = readRotatorConfig(env, options.providers ?? builtInProviders).originPolicy;
      return new HttpClient({ policy, dispatcher: agent });
    },
    history: options.history ?? noRotationHistory,
    ...(options.providers === undefined ? {} : { providers: options.providers }),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    async close() {
      secretsManager.destroy();
      kms.destroy();
      events.destroy();
      await agent?.close();
    },
  };
}

/** The providers a command uses: the injected registry, else the built-in vendors. */
export function providersOf(deps: Pick<CliDependencies, 'providers'>): ProviderRegistry {
  return deps.providers ?? builtInProviders;
}
