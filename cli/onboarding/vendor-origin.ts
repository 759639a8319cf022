/** Which origin a first secret value names as its vendor's `baseUrl`. */
import type { KeyProvider } from '../../lambda/providers/provider';
import { readRotatorConfig } from '../../lambda/rotation/config';
import { FunctionEnv } from '../../lambda/shared/contracts';
import { providersOf, type CliDependencies } from '../dependencies';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';

/**
 * The vendor's origin for a new secret value: the one the value being replaced names, else the
 * first origin ROTATOR_ALLOWED_ORIGINS gives the provider (the functions' own setting, which
 * also bounds every vendor call the CLI makes), else the provider's public origin. A loopback
 * entry without a port allows every port and so names no server: it is skipped.
 *
 * @example
 * vendorOrigin(deps, poelisProvider, undefined); // 'https://api.poelis.com' by default
 */
export function vendorOrigin(
  deps: CliDependencies,
  provider: KeyProvider,
  replacedBaseUrl: string | undefined,
): string {
  if (replacedBaseUrl !== undefined) return replacedBaseUrl;
  const policy = readRotatorConfig(deps.env, providersOf(deps)).originPolicy;
  const origins = policy.originsByProvider[provider.name] ?? provider.defaultOrigins;
  const origin = origins.find((candidate) => !/^http:\/\/[^/:]+$/.test(candidate));
  if (origin === undefined) {
    throw new CliError(
      `${FunctionEnv.AllowedOrigins} gives ${provider.displayName} no origin with a port, so the secret's baseUrl cannot be chosen: nothing was changed.`,
      ExitCode.Usage,
      {
        name: 'VendorOriginMissingError',
        hint: `Name ${provider.displayName}'s origin in ${FunctionEnv.AllowedOrigins}, e.g. ${provider.name}=${provider.defaultOrigins[0] ?? 'https://…'}.`,
      },
    );
  }
  return origin;
}
