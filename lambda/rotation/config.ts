import { DEFAULT_ALLOWED_ORIGINS, parseOriginList, type OriginPolicy } from '../http/origin-policy';
import { RotatorError } from '../shared/errors';

/** The function's settings, from its environment. */
export interface RotatorConfig {
  readonly originPolicy: OriginPolicy;
  readonly requireCustomerManagedKey: boolean;
  readonly defaultPartnerKeySecretId: string | undefined;
  readonly notifyTopicArn: string | undefined;
}

/** An environment variable of the function has a value it cannot use. */
export class ConfigurationError extends RotatorError {
  constructor(variable: string, expected: string) {
    super(
      `Environment variable ${variable} must be ${expected}. Fix the function's configuration.`,
    );
  }
}

export function readRotatorConfig(env: NodeJS.ProcessEnv): RotatorConfig {
  return {
    originPolicy: {
      allowedOrigins: readOrigins(env.ROTATOR_ALLOWED_ORIGINS),
      allowLoopbackHttp: readBoolean(env, 'ROTATOR_ALLOW_LOOPBACK_HTTP'),
    },
    requireCustomerManagedKey: readBoolean(env, 'ROTATOR_REQUIRE_CUSTOMER_MANAGED_KEY'),
    defaultPartnerKeySecretId: readOptional(env.ROTATOR_PARTNER_KEY_SECRET_ID),
    notifyTopicArn: readOptional(env.ROTATOR_NOTIFY_TOPIC_ARN),
  };
}

function readOrigins(value: string | undefined): readonly string[] {
  if (readOptional(value) === undefined) return DEFAULT_ALLOWED_ORIGINS;
  try {
    return parseOriginList(value ?? '');
  } catch {
    throw new ConfigurationError(
      'ROTATOR_ALLOWED_ORIGINS',
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
