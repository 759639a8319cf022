/**
 * The names and syntax the stack (lib/), the functions (lambda/), the operator CLI and the local
 * world must agree on: metric names, environment variables, tags and schedule expressions.
 * They live here, in deployed code, because lambda/ may not import lib/ or local/.
 */

// ---------------------------------------------------------------------------------------------
// Metrics

/** The Powertools service name, and the `service` dimension of every custom metric. */
export const SERVICE_NAME = 'api-key-rotator';

/** The CloudWatch namespace of the functions' custom metrics. */
export const METRICS_NAMESPACE = 'ApiKeyRotator';

/**
 * Metrics the rotation function publishes, with the dimension {service}. The stack alarms on
 * StepFailed, RevocationFailed and ManualRevocationRequired.
 */
export const RotationMetric = {
  StepSucceeded: 'RotationStepSucceeded',
  StepFailed: 'RotationStepFailed',
  Completed: 'RotationCompleted',
  KeyRevoked: 'KeyRevoked',
  RevocationFailed: 'RevocationFailed',
  ManualRevocationRequired: 'ManualRevocationRequired',
  /** An EventBridge event could not be published; the rotation itself stands. */
  EventPublishFailed: 'RotationEventPublishFailed',
} as const;

/** The name of one of the rotation function's metrics. */
export type RotationMetricName = (typeof RotationMetric)[keyof typeof RotationMetric];

/**
 * Metrics the audit function publishes. The three check metrics carry the dimensions
 * {service, check} and count secrets per invocation (0 included, so a graph shows the audit
 * ran); SecretsAudited and Incomplete carry {service}.
 */
export const AuditMetric = {
  CheckPassed: 'AuditCheckPassed',
  CheckFailed: 'AuditCheckFailed',
  CheckErrored: 'AuditCheckErrored',
  SecretsAudited: 'AuditSecretsAudited',
  /** The run stopped early and had no continuation topic to resume through. */
  Incomplete: 'AuditIncomplete',
} as const;

/** The name of one of the audit function's metrics. */
export type AuditMetricName = (typeof AuditMetric)[keyof typeof AuditMetric];

// ---------------------------------------------------------------------------------------------
// EventBridge events

/** The `source` of every event the rotator puts on the default bus (the function and the CLI). */
export const ROTATION_EVENT_SOURCE = 'api-key-rotator';

/**
 * The `detail-type` of each event the rotator publishes. Consumers match on these, e.g.
 * `{"source":["api-key-rotator"],"detail-type":["API Key Rotated"]}`.
 */
export const RotationEventType = {
  /** finishSecret promoted a new key (detail: `KeyRotatedDetail`). */
  KeyRotated: 'API Key Rotated',
  /** A replaced key must be revoked by a person in the vendor's web app. */
  ManualRevocationRequired: 'API Key Manual Revocation Required',
  /** `api-key-rotator rollback` moved AWSCURRENT back to the previous key. */
  KeyRolledBack: 'API Key Rolled Back',
} as const;

/** The `detail-type` of one of the rotator's events. */
export type RotationEventTypeName = (typeof RotationEventType)[keyof typeof RotationEventType];

// ---------------------------------------------------------------------------------------------
// Environment variables

/**
 * The functions' environment variables: the stack and the local world set them, the functions
 * (and, for a few, the CLI) read them. The README's configuration table documents each.
 */
export const FunctionEnv = {
  /**
   * Each provider's origins, `provider=origin[,origin…]` entries separated by `;`
   * (`polytomic=https://app.polytomic.com;poelis=https://api.poelis.com`); a provider not named
   * keeps its default origins. A secret's keys go only to its own provider's. Both functions.
   */
  AllowedOrigins: 'ROTATOR_ALLOWED_ORIGINS',
  /** `true` lets loopback `http://` origins through (a local world only). Both functions. */
  AllowLoopbackHttp: 'ROTATOR_ALLOW_LOOPBACK_HTTP',
  /** `true` refuses secrets on the AWS managed key. Rotation function. */
  RequireCustomerManagedKey: 'ROTATOR_REQUIRE_CUSTOMER_MANAGED_KEY',
  /** The Polytomic partner-key secret used when a secret names none. Rotation function and CLI. */
  PartnerKeySecretId: 'ROTATOR_PARTNER_KEY_SECRET_ID',
  /** The SNS topic for reminders, failures and audit findings. Both functions. */
  NotifyTopicArn: 'ROTATOR_NOTIFY_TOPIC_ARN',
  /** The customer-managed key every managed secret must use. Audit function and CLI. */
  ExpectedKmsKeyArn: 'ROTATOR_EXPECTED_KMS_KEY_ARN',
  /** The topic a run that ran out of time posts its cursor to. Audit function. */
  AuditContinuationTopicArn: 'ROTATOR_AUDIT_CONTINUATION_TOPIC_ARN',
  /** Minutes between two scheduled runs, which decides the one run a day that notifies. */
  AuditIntervalMinutes: 'ROTATOR_AUDIT_INTERVAL_MINUTES',
  /** Secrets audited at once. */
  AuditConcurrency: 'ROTATOR_AUDIT_CONCURRENCY',
  /** Vendor calls in flight per origin during an audit. */
  AuditVendorConcurrency: 'ROTATOR_AUDIT_VENDOR_CONCURRENCY',
  /** Hours past NextRotationDate before a rotation counts as overdue. */
  AuditOverdueGraceHours: 'ROTATOR_AUDIT_OVERDUE_GRACE_HOURS',
  /** The stack's secret name prefixes, comma-separated: the audit lists managed secrets under them. */
  AuditSecretNamePrefixes: 'ROTATOR_AUDIT_SECRET_NAME_PREFIXES',
  /** Powertools' service name: set to {@link SERVICE_NAME}. Both functions. */
  ServiceName: 'POWERTOOLS_SERVICE_NAME',
  /** Powertools' metrics namespace: set to {@link METRICS_NAMESPACE}. Both functions. */
  MetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** A secret name prefix: one or more path segments of secret-name characters, ending with `/`. */
export const SECRET_NAME_PREFIX = /^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*\/$/;

/**
 * At most this many prefixes per stack: each adds a resource pattern to four policies, and
 * ListSecrets takes at most 10 values per filter (the audit lists by prefix).
 */
export const MAX_SECRET_NAME_PREFIXES = 10;

/** The name of one of the functions' environment variables. */
export type FunctionEnvName = (typeof FunctionEnv)[keyof typeof FunctionEnv];

// ---------------------------------------------------------------------------------------------
// Tags

/** Marks a secret the rotator manages (value {@link MANAGED_TAG_VALUE}); the audit lists by it. */
export const MANAGED_TAG = 'api-key-rotator:managed';
/** The value of {@link MANAGED_TAG} on a managed secret. */
export const MANAGED_TAG_VALUE = 'true';

/** Names the vendor of a managed secret, for people and cost reports; no function reads it. */
export const PROVIDER_TAG = 'api-key-rotator:provider';

/** Sets a secret's revoke policy without touching its value; the rotation reads it. */
export const REVOKE_POLICY_TAG = 'api-key-rotator:revoke-previous';

// ---------------------------------------------------------------------------------------------
// Schedule expressions

/** The unit of a `rate(...)` expression, singular. */
export type RateUnit = 'minute' | 'hour' | 'day';

/** A parsed `rate(amount unit)` expression. */
export interface RateExpression {
  readonly amount: number;
  readonly unit: RateUnit;
  /** Whether the unit was written in the plural (`hours`). */
  readonly plural: boolean;
}

/** How a parser treats blanks around and between the parts of an expression. */
export interface ScheduleSyntaxOptions {
  /**
   * Accept blanks around the expression and inside the parentheses, as Secrets Manager reads a
   * rotation schedule; otherwise only the documented spelling `rate(4 hours)`.
   * @default false
   */
  readonly tolerateBlanks?: boolean;
}

const EXACT_RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const BLANK_TOLERANT_RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;

/**
 * Parses `rate(N minute(s)|hour(s)|day(s))`. Which units and amounts a service accepts is the
 * caller's to check.
 *
 * @example
 * parseRateExpression('rate(6 hours)'); // { amount: 6, unit: 'hour', plural: true }
 * parseRateExpression(' rate( 6 hours ) ', { tolerateBlanks: true }); // the same
 * @returns undefined when `expression` is not a rate expression
 */
export function parseRateExpression(
  expression: string,
  options: ScheduleSyntaxOptions = {},
): RateExpression | undefined {
  const match =
    options.tolerateBlanks === true
      ? BLANK_TOLERANT_RATE.exec(expression.trim())
      : EXACT_RATE.exec(expression);
  if (match === null) return undefined;
  const written = match[2];
  const plural = written.endsWith('s');
  return {
    amount: Number(match[1]),
    unit: (plural ? written.slice(0, -1) : written) as RateUnit,
    plural,
  };
}

/**
 * An EventBridge Scheduler rate: at least 1, and the unit singular exactly when the amount is 1
 * (`rate(1 hour)`, `rate(2 hours)`), as the Scheduler user guide requires.
 * @returns undefined when Scheduler would reject the expression as a rate
 */
export function parseSchedulerRate(expression: string): RateExpression | undefined {
  const rate = parseRateExpression(expression);
  if (rate === undefined || rate.amount < 1 || rate.plural !== rate.amount > 1) return undefined;
  return rate;
}

/** The six fields of a `cron(...)` expression, as written. */
export interface CronExpression {
  readonly minutes: string;
  readonly hours: string;
  readonly dayOfMonth: string;
  readonly month: string;
  readonly dayOfWeek: string;
  readonly year: string;
}

const CRON = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/;

/**
 * Splits `cron(minutes hours day-of-month month day-of-week year)`, fields separated by one
 * space, into its fields. The fields themselves are not checked.
 *
 * @example
 * parseCronExpression('cron(0 6 * * ? *)')?.hours; // '6'
 * @returns undefined when `expression` is not a six-field cron expression
 */
export function parseCronExpression(expression: string): CronExpression | undefined {
  const match = CRON.exec(expression);
  if (match === null) return undefined;
  const [, minutes, hours, dayOfMonth, month, dayOfWeek, year] = match;
  return { minutes, hours, dayOfMonth, month, dayOfWeek, year };
}
