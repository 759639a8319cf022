import {
  OriginSettingError,
  parseProviderOrigins,
  type ProviderOriginPolicy,
} from '../http/origin-policy';
import { builtInProviders, defaultOriginsOf, type ProviderRegistry } from '../providers/registry';
import { FunctionEnv } from '../shared/contracts';
import { RotatorError } from '../shared/errors';

/** The settings both functions read from their environment, the same way. */
export interface SharedFunctionConfig {
  /** Each provider's allowed origins: a secret's keys go only to its own provider's. */
  readonly originPolicy: ProviderOriginPolicy;
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
  /**
   * @param expected what the variable must be
   * @param problem what is wrong with its value, in words that never quote it
   */
  constructor(variable: string, expected: string, problem?: string) {
    super(
      problem === undefined
        ? `Environment variable ${variable} must be ${expected}. Fix the function's configuration.`
        : `Environment variable ${variable}: ${problem}. It must be ${expected}. Fix the function's configuration.`,
    );
  }
}

/** Settings longer than this are refused before they are parsed. */
const MAX_SETTING_LENGTH = 4096;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/;
/** A secret's name or ARN, as Secrets Manager's SecretId accepts it. */
const SECRET_ID =
  /^(arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}|[A-Za-z0-9/_+=.@-]{1,512})$/;

const ORIGINS_EXPECTED =
  'provider=origin[,origin…] entries separated by ";", such as polytomic=https://app.polytomic.com;poelis=https://api.poelis.com';

/**
 * Reads the rotation function's settings; throws {@link ConfigurationError} naming a bad variable.
 * @param providers the providers whose origins ROTATOR_ALLOWED_ORIGINS may name (and default)
 */
export function readRotatorConfig(
  env: NodeJS.ProcessEnv,
  providers: ProviderRegistry = builtInProviders,
): RotatorConfig {
  return {
    ...readSharedFunctionConfig(env, providers),
    defaultPartnerKeySecretId: readMatching(
      env,
      FunctionEnv.PartnerKeySecretId,
      SECRET_ID,
      'a Secrets Manager secret name or ARN',
    ),
  };
}

/** Reads the settings both functions share; throws {@link ConfigurationError} naming a bad variable. */
export function readSharedFunctionConfig(
  env: NodeJS.ProcessEnv,
  providers: ProviderRegistry = builtInProviders,
): SharedFunctionConfig {
  const allowLoopbackHttp = readBoolean(env, FunctionEnv.AllowLoopbackHttp);
  return {
    originPolicy: {
      originsByProvider: readOrigins(env, providers, allowLoopbackHttp),
      allowLoopbackHttp,
    },
    requireCustomerManagedKey: readBoolean(env, FunctionEnv.RequireCustomerManagedKey),
    notifyTopicArn: readMatching(
      env,
      FunctionEnv.NotifyTopicArn,
      SNS_TOPIC_ARN,
      'an SNS topic ARN',
    ),
  };
}

function readOrigins(
  env: NodeJS.ProcessEnv,
  providers: ProviderRegistry,
  allowLoopbackHttp: boolean,
): Record<string, readonly string[]> {
  const defaults = defaultOriginsOf(providers);
  const value = readSetting(env, FunctionEnv.AllowedOrigins, ORIGINS_EXPECTED);
  if (value === undefined) return defaults;
  try {
    return parseProviderOrigins(value, defaults, allowLoopbackHttp);
  } catch (error) {
    if (!(error instanceof OriginSettingError)) throw error;
    throw new ConfigurationError(FunctionEnv.AllowedOrigins, ORIGINS_EXPECTED, error.message);
  }
}

function readBoolean(env: NodeJS.ProcessEnv, variable: string): boolean {
  const value = readSetting(env, variable, '"true" or "false"')?.toLowerCase();
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigurationError(variable, '"true" or "false"');
}

/** An optional variable that must match `pattern`; the error says what it must be. */
export function readMatching(
  env: NodeJS.ProcessEnv,
  variable: string,
  pattern: RegExp,
  expected: string,
): string | undefined {
  const value = readSetting(env, variable, expected);
  if (value !== undefined && !pattern.test(value)) {
    throw new ConfigurationError(variable, expected);
  }
  return value;
}

/**
 * A variable's value without surrounding blanks, or undefined when unset or blank; refuses a
 * value too long to be a setting, before anything parses it.
 */
export function readSetting(
  env: NodeJS.ProcessEnv,
  variable: string,
  expected: string,
): string | undefined {
  const value = env[variable];
  if (value !== undefined && value.length > MAX_SETTING_LENGTH) {
    throw new ConfigurationError(
      variable,
      expected,
      `is longer than ${MAX_SETTING_LENGTH} characters`,
    );
  }
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
