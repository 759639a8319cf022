import { DEFAULT_ALLOWED_ORIGINS, parseOriginList, type OriginPolicy } from '../http/origin-policy';
import { FunctionEnv } from '../shared/contracts';
import { RotatorError } from '../shared/errors';

/** The settings both functions read from their environment, the same way. */
export interface SharedFunctionConfig {
  readonly originPolicy: OriginPolicy;
  readonly requireCustomerManagedKey: boolean;
  readonly notifyTopicArn: string | undefined;
}

/** The rotation function's settings, from its environment. */
export interface RotatorConfig extends SharedFunctionConfig {
  /** Only issuing a Polytomic key needs it, so only the rotation function reads it. */
  readonly defaultPartnerKeySecretId: string | undefined;
}

/** An environment variable of the function has a value it cannot use. */
export class ConfigurationError extends RotatorError {
  constructor(variable: string, expected: string) {
    super(
      `Environment variable ${variable} must be ${expected}. Fix the function's configuration.`,
    );
  }
}

/** Reads the rotation function's settings; throws {@link ConfigurationError} naming a bad variable. */
export function readRotatorConfig(env: NodeJS.ProcessEnv): RotatorConfig {
  return {
    ...readSharedFunctionConfig(env),
    defaultPartnerKeySecretId: readOptional(env[FunctionEnv.PartnerKeySecretId]),
  };
}

/** Reads the settings both functions share; throws {@link ConfigurationError} naming a bad variable. */
export function readSharedFunctionConfig(env: NodeJS.ProcessEnv): SharedFunctionConfig {
  return {
    originPolicy: {
      allowedOrigins: readOrigins(env[FunctionEnv.AllowedOrigins]),
      allowLoopbackHttp: readBoolean(env, FunctionEnv.AllowLoopbackHttp),
    },
    requireCustomerManagedKey: readBoolean(env, FunctionEnv.RequireCustomerManagedKey),
    notifyTopicArn: readOptional(env[FunctionEnv.NotifyTopicArn]),
  };
}

function readOrigins(value: string | undefined): readonly string[] {
  if (readOptional(value) === undefined) return DEFAULT_ALLOWED_ORIGINS;
  try {
    return parseOriginList(value ?? '');
  } catch {
    throw new ConfigurationError(
      FunctionEnv.AllowedOrigins,
      'a comma-separated list of origins such as https://app.polytomic.com',
    );
  }
}

function readBoolean(env: NodeJS.ProcessEnv, variable: string): boolean {
  const value = readOptional(env[variable])?.toLowerCase();
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigurationError(variable, '"true" or "false"');
}

function readOptional(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
