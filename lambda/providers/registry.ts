import type { ProviderName, RotatedSecret } from '../shared/secret';
import { poelisProvider } from './poelis';
import { polytomicProvider } from './polytomic';
import type { KeyProvider } from './provider';

type ProviderRegistry = {
  readonly [P in ProviderName]: KeyProvider<Extract<RotatedSecret, { provider: P }>>;
};

/** Every supported vendor, keyed by the secret's `provider` field. */
export const providers: ProviderRegistry = {
  polytomic: polytomicProvider,
  poelis: poelisProvider,
};

/** The provider for a parsed secret. */
export function providerFor<S extends RotatedSecret>(secret: S): KeyProvider<S> {
  // The registry is keyed by the same discriminant the secret carries, so the entry fits `S`.
  return providers[secret.provider] as unknown as KeyProvider<S>;
}
