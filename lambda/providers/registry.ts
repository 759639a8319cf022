import { fingerprint } from '../shared/fingerprint';
import type { KeyReference } from '../shared/key-reference';
import {
  parseSecretEnvelope,
  placeholderProvider,
  SecretFormatError,
  type RotatedSecret,
} from '../shared/secret';
import { poelisProvider } from './poelis';
import { polytomicProvider } from './polytomic';
import { bindToProvider } from '../http/origin-policy';
import type { KeyProvider, VerifyContext } from './provider';

/**
 * The providers a rotation, an audit or the CLI knows, keyed by the secret's `provider` field.
 * Everything that reads a secret value asks the registry, so a registered vendor is handled
 * everywhere and an unknown one is refused by name.
 *
 * @example
 * const secret = builtInProviders.parseSecret(text);
 * await builtInProviders.providerOf(secret).verifyIdentity(secret, { http, deadline });
 */
export class ProviderRegistry {
  private readonly byName = new Map<string, KeyProvider>();

  constructor(providers: readonly KeyProvider[]) {
    for (const provider of providers) {
      if (this.byName.has(provider.name)) {
        throw new Error(`Provider "${provider.name}" is registered twice.`);
      }
      this.byName.set(provider.name, boundToOwnOrigins(provider));
    }
  }

  /** The registered provider names, in registration order. */
  get names(): readonly string[] {
    return [...this.byName.keys()];
  }

  /**
   * The provider of a parsed secret (or of a provider name). Its vendor calls are bound to it:
   * under the functions' per-provider origin policy they reach only its own origins.
   */
  providerOf(secret: Pick<RotatedSecret, 'provider'> | string): KeyProvider {
    const name = typeof secret === 'string' ? secret : secret.provider;
    const provider = this.byName.get(name);
    if (provider === undefined) {
      throw new SecretFormatError('provider', `must be one of ${this.names.join(', ')}`);
    }
    return provider;
  }

  /** Parses and validates a secret's JSON value: the envelope, then its provider's fields. */
  parseSecret(text: string): RotatedSecret {
    const envelope = parseSecretEnvelope(text);
    return this.providerOf(envelope).parseSecret(envelope);
  }

  /** True for the stack's placeholder `{"provider":"…"}` of a registered provider. */
  isPlaceholder(text: string): boolean {
    const name = placeholderProvider(text);
    return name !== undefined && this.byName.has(name);
  }

  /** Names a secret's key without revealing it. */
  keyReference(secret: RotatedSecret): KeyReference {
    const provider = this.byName.get(secret.provider);
    return provider === undefined
      ? { fingerprint: fingerprint(secret.apiKey) }
      : provider.keyReference(secret);
  }
}

/**
 * `provider` whose issueKey, verifyIdentity and revokeKey make every request for `provider.name`,
 * so a secret whose baseUrl names another vendor's origin never sends it this provider's keys.
 */
function boundToOwnOrigins<S extends RotatedSecret>(provider: KeyProvider<S>): KeyProvider<S> {
  const bind = <C extends VerifyContext>(context: C): C => ({
    ...context,
    http: bindToProvider(context.http, provider.name),
  });
  // The prototype keeps every other member, getters and optional ones included.
  const bound = Object.create(provider) as KeyProvider<S>;
  return Object.assign(bound, {
    issueKey: (current: S, context: Parameters<KeyProvider<S>['issueKey']>[1]) =>
      provider.issueKey(current, bind(context)),
    verifyIdentity: (secret: S, context: VerifyContext) =>
      provider.verifyIdentity(secret, bind(context)),
    revokeKey: (target: S, replaced: S, context: Parameters<KeyProvider<S>['revokeKey']>[2]) =>
      provider.revokeKey(target, replaced, bind(context)),
  });
}

/** Each registered provider's default origins, by name (the settings' defaults). */
export function defaultOriginsOf(registry: ProviderRegistry): Record<string, readonly string[]> {
  return Object.fromEntries(
    registry.names.map((name) => [name, registry.providerOf(name).defaultOrigins]),
  );
}

/** The `provider` of a secret the deployed function rotates. */
export type BuiltInProviderName = typeof polytomicProvider.name | typeof poelisProvider.name;

/** The vendors the deployed function rotates, as the stack's config names them. */
export const BUILT_IN_PROVIDER_NAMES: readonly BuiltInProviderName[] = [
  polytomicProvider.name,
  poelisProvider.name,
];

/** Polytomic and Poelis: the vendors the deployed function rotates. */
export const builtInProviders = new ProviderRegistry([polytomicProvider, poelisProvider]);
