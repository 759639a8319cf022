import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import {
  formatProviderOrigins,
  originProblem,
  OriginSettingError,
  parseProviderOrigins,
} from '../lambda/http/origin-policy';
import {
  parseCronExpression,
  parseRateExpression,
  parseSchedulerRate,
  type RateUnit,
} from '../lambda/shared/contracts';
import {
  BUILT_IN_PROVIDER_NAMES as PROVIDERS,
  builtInProviders,
  defaultOriginsOf,
  type BuiltInProviderName as Provider,
} from '../lambda/providers/registry';
import { REVOKE_POLICIES, type RevokePolicy } from '../lambda/shared/secret';
import { physicalNamePrefixFor } from './construct-id';
import {
  defaultSecretNamePrefixes,
  MAX_SECRET_NAME_PREFIXES,
  prefixOf,
  SECRET_NAME_PREFIX,
} from './secret-scope';

// The deployed function defines the vendors, revoke policies and default origins; the stack follows it.
export {
  BUILT_IN_PROVIDER_NAMES as PROVIDERS,
  type BuiltInProviderName as Provider,
} from '../lambda/providers/registry';
export { REVOKE_POLICIES, type RevokePolicy } from '../lambda/shared/secret';
export { DEFAULT_ALLOWED_ORIGINS } from '../lambda/http/origin-policy';

/** Each built-in vendor's origins when the config names none: its provider's defaultOrigins. */
export const DEFAULT_PROVIDER_ORIGINS = defaultOriginsOf(builtInProviders) as Readonly<
  Record<Provider, readonly string[]>
>;

/**
 * The ROTATOR_ALLOWED_ORIGINS value of a function construct: `origins` over the vendors' defaults,
 * checked as the function will check it at load, so a bad construct prop fails synth instead.
 */
export function allowedOriginsSetting(
  origins: Readonly<Record<string, readonly string[]>> | undefined,
  allowLoopbackHttp: boolean,
): string {
  const setting = formatProviderOrigins({ ...DEFAULT_PROVIDER_ORIGINS, ...origins });
  try {
    parseProviderOrigins(setting, DEFAULT_PROVIDER_ORIGINS, allowLoopbackHttp);
  } catch (error) {
    if (error instanceof OriginSettingError) {
      throw new ConfigError('allowedOrigins', [`allowedOrigins: ${error.message}`]);
    }
    throw error;
  }
  return setting;
}

/** One managed API key, validated. */
export interface ManagedSecretConfig {
  readonly name: string;
  readonly provider: Provider;
  /** A Secrets Manager schedule expression: `rate(N days|hours)` or `cron(...)`. */
  readonly schedule: string;
  readonly rotationWindow: Duration;
  readonly revokePolicy: RevokePolicy;
  readonly readerRoleArns: readonly string[];
}

/**
 * Where the Polytomic partner key lives: a secret this stack creates, or an existing one. Only the
 * rotation function reads a created one, and the roles in `readerRoleArns` (operators who run
 * `recover`, which re-issues a key with it); an imported one's own policy decides who reads it.
 */
export type PartnerKeyConfig =
  | {
      readonly kind: 'created';
      readonly secretName: string;
      /** Set only when the config lists readers. */
      readonly readerRoleArns?: readonly string[];
    }
  | { readonly kind: 'imported'; readonly secretArn: string; readonly kmsKeyArn?: string };

/** When the audit runs, validated. */
export interface AuditScheduleConfig {
  /** An EventBridge Scheduler expression, in UTC: `rate(N hours|days)` or a once-a-day `cron(...)`. */
  readonly schedule: string;
  /** Whether the schedule runs; when false the function stays deployed for on-demand runs. */
  readonly enabled: boolean;
  /** Concurrent executions reserved for the audit; undefined reserves none. */
  readonly reservedConcurrency?: number;
}

/** The whole deployment, validated. */
export interface RotatorConfig {
  readonly stackName: string;
  /** Each vendor's origins (`ROTATOR_ALLOWED_ORIGINS`): a secret's keys go only to its own vendor's. */
  readonly allowedOrigins: Readonly<Record<Provider, readonly string[]>>;
  /**
   * Lets the functions call `http://` origins on 127.0.0.1 or localhost (a local world's vendor
   * simulators); a loopback origin without a port allows every port. Never needed on AWS.
   */
  readonly allowLoopbackHttp: boolean;
  /** Concurrent executions reserved for the rotation function; undefined reserves none. */
  readonly reservedConcurrency?: number;
  readonly logRetentionDays: number;
  readonly partnerKey: PartnerKeyConfig;
  /**
   * The name prefixes of the managed secrets (`api-key-rotator/`): the function, the audit and the
   * key reach a secret only under one of them and only with the managed tag (ABAC).
   */
  readonly secretNamePrefixes: readonly string[];
  readonly secrets: readonly ManagedSecretConfig[];
  readonly audit: AuditScheduleConfig;
}

/** Thrown with every problem found in a config, one per line, each naming its field. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid rotator config (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/[A-Za-z0-9-]+$/;
const WINDOW = /^(\d+)h$/;
/** A cron field that fires at one fixed minute or hour. */
const FIXED_CRON_FIELD = /^\d{1,2}$/;

/** Upper bound of a function's reserved concurrency: enough for any rotation load, small beside the account's pool. */
const MAX_RESERVED_CONCURRENCY = 10;
const RESERVED_CONCURRENCY_HINT = `must be an integer from 1 to ${MAX_RESERVED_CONCURRENCY}, or left out to reserve none`;
const DEFAULT_LOG_RETENTION_DAYS = 90;
/** Distinct reader roles the key policy names; 40 role ARNs are under 4 KB of its 32 KB. */
export const MAX_READER_ROLES = 40;
/** The partner key's default name, under the stack's prefix so a second stack does not collide. */
export function defaultPartnerSecretName(stackName: string): string {
  return `${physicalNamePrefixFor(stackName)}/polytomic-partner-key`;
}
/** The audit's default schedule: daily at 06:00 UTC. */
export const DEFAULT_AUDIT_SCHEDULE = 'cron(0 6 * * ? *)';
const MINUTES_PER_UNIT: Readonly<Record<RateUnit, number>> = { minute: 1, hour: 60, day: 1440 };
/** Retention values CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Collects problems while reading one untyped JSON document into typed values. */
class ConfigReader {
  readonly problems: string[] = [];

  fail(field: string, message: string): undefined {
    this.problems.push(`${field}: ${message}`);
    return undefined;
  }

  rejectUnknownKeys(object: JsonObject, field: string, known: readonly string[]): void {
    for (const key of Object.keys(object)) {
      if (!known.includes(key)) {
        this.fail(
          `${field}${field ? '.' : ''}${key}`,
          `unknown field (expected one of ${known.join(', ')})`,
        );
      }
    }
  }

  string(value: unknown, field: string, pattern: RegExp, hint: string): string | undefined {
    if (typeof value !== 'string')
      return this.fail(field, `must be a string, got ${describe(value)}`);
    if (!pattern.test(value)) return this.fail(field, `${describe(value)} ${hint}`);
    return value;
  }

  oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T | undefined {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
      return value as T;
    return this.fail(
      field,
      `${describe(value)} is not one of ${allowed.map((a) => `"${a}"`).join(', ')}`,
    );
  }

  integer(
    value: unknown,
    field: string,
    allowed: (n: number) => boolean,
    hint: string,
  ): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || !allowed(value)) {
      return this.fail(field, `${describe(value)} ${hint}`);
    }
    return value;
  }

  list<T>(value: unknown, field: string, item: (v: unknown, f: string) => T | undefined): T[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.fail(field, `must be a list, got ${describe(value)}`);
      return [];
    }
    return value.map((v, i) => item(v, `${field}[${i}]`)).filter((v): v is T => v !== undefined);
  }

  /** A rotation window written as whole hours, such as "4h". */
  window(value: unknown, field: string): Duration | undefined {
    const match = typeof value === 'string' ? WINDOW.exec(value) : null;
    if (!match) return this.fail(field, `${describe(value)} ${WINDOW_HINT}`);
    return Duration.hours(Number(match[1]));
  }
}

const SCHEDULE_HINT =
  'is not a Secrets Manager schedule: use "rate(N days)" (1-1000), "rate(N hours)" (4-23) or "cron(min hour day-of-month month day-of-week year)"';
const WINDOW_HINT = 'is not a rotation window: use whole hours from "1h" to "24h"';

/** Hours between two scheduled rotations; null for cron (AWS checks it); undefined if invalid. */
function scheduleIntervalHours(expression: string): number | null | undefined {
  const rate = parseRateExpression(expression);
  if (rate !== undefined && rate.unit !== 'minute') {
    const { amount } = rate;
    const inHours = rate.unit === 'hour';
    const valid = inHours ? amount >= 4 && amount <= 23 : amount >= 1 && amount <= 1000;
    return valid ? (inHours ? amount : amount * 24) : undefined;
  }
  return parseCronExpression(expression) !== undefined ? null : undefined;
}

/** What Secrets Manager would reject in a rotation schedule and window, by field. */
export interface RotationRuleProblems {
  readonly schedule?: string;
  readonly rotationWindow?: string;
}

/** Checks a rotation schedule and window the way Secrets Manager will, before deployment. */
export function rotationRuleProblems(
  schedule: string,
  rotationWindow: Duration,
): RotationRuleProblems {
  const interval = scheduleIntervalHours(schedule);
  const hours = rotationWindow.toHours({ integral: false });
  const scheduleProblem = interval === undefined ? `"${schedule}" ${SCHEDULE_HINT}` : undefined;
  let windowProblem: string | undefined;
  if (!Number.isInteger(hours) || hours < 1 || hours > 24) {
    windowProblem = `"${hours}h" ${WINDOW_HINT}`;
  } else if (typeof interval === 'number' && hours >= interval) {
    // Secrets Manager rejects a window that reaches into the next scheduled rotation.
    windowProblem = `"${hours}h" must be shorter than the interval of ${schedule}`;
  }
  return { schedule: scheduleProblem, rotationWindow: windowProblem };
}

const AUDIT_SCHEDULE_HINT =
  'is not an audit schedule: use "rate(N hours)" or "rate(N days)" (at least an hour apart), or a "cron(min hour day-of-month month day-of-week year)" with a fixed minute and hour (UTC)';

/**
 * Minutes between two runs of an audit schedule (`ROTATOR_AUDIT_INTERVAL_MINUTES`, which decides
 * the one run a day that notifies); 1440 for a once-a-day cron.
 * @returns undefined when the expression is not an audit schedule the stack accepts
 */
export function auditIntervalMinutes(expression: string): number | undefined {
  const rate = parseSchedulerRate(expression);
  if (rate !== undefined) {
    // A run takes up to 15 minutes plus continuations.
    const minutes = rate.amount * MINUTES_PER_UNIT[rate.unit];
    return minutes >= 60 ? minutes : undefined;
  }
  // A cron with a fixed minute and hour fires at most once a day.
  const cron = parseCronExpression(expression);
  const fixed =
    cron !== undefined &&
    FIXED_CRON_FIELD.test(cron.minutes) &&
    FIXED_CRON_FIELD.test(cron.hours) &&
    Number(cron.minutes) <= 59 &&
    Number(cron.hours) <= 23;
  return fixed ? 24 * 60 : undefined;
}

/** Checks an audit schedule before deployment; undefined when it is accepted. */
export function auditScheduleProblem(expression: string): string | undefined {
  return auditIntervalMinutes(expression) === undefined
    ? `"${expression}" ${AUDIT_SCHEDULE_HINT}`
    : undefined;
}

function readAudit(reader: ConfigReader, value: unknown): AuditScheduleConfig | undefined {
  const field = 'audit';
  if (value === undefined) return { schedule: DEFAULT_AUDIT_SCHEDULE, enabled: true };
  if (!isObject(value)) {
    return reader.fail(field, 'must be an object {"schedule", "enabled", "reservedConcurrency"}');
  }
  reader.rejectUnknownKeys(value, field, ['schedule', 'enabled', 'reservedConcurrency']);
  const { schedule = DEFAULT_AUDIT_SCHEDULE, enabled = true } = value;
  const reservedConcurrency = readReservedConcurrency(
    reader,
    value.reservedConcurrency,
    `${field}.reservedConcurrency`,
  );
  const scheduleProblem =
    typeof schedule === 'string'
      ? auditScheduleProblem(schedule)
      : `${describe(schedule)} ${AUDIT_SCHEDULE_HINT}`;
  if (scheduleProblem !== undefined) reader.fail(`${field}.schedule`, scheduleProblem);
  if (typeof enabled !== 'boolean') {
    reader.fail(`${field}.enabled`, `must be true or false, got ${describe(enabled)}`);
  }
  if (typeof schedule !== 'string' || scheduleProblem !== undefined) return undefined;
  if (typeof enabled !== 'boolean' || reservedConcurrency === null) return undefined;
  return reservedConcurrency === undefined
    ? { schedule, enabled }
    : { schedule, enabled, reservedConcurrency };
}

/** Optional reserved concurrency (undefined when left out, null when invalid): none by default, as Lambda keeps 100 unreserved. */
function readReservedConcurrency(
  reader: ConfigReader,
  value: unknown,
  field: string,
): number | null | undefined {
  if (value === undefined) return undefined;
  return (
    reader.integer(
      value,
      field,
      (n) => n >= 1 && n <= MAX_RESERVED_CONCURRENCY,
      RESERVED_CONCURRENCY_HINT,
    ) ?? null
  );
}

/** Why `secrets[].replicas` is refused: the field is named, and what to do instead. */
export const REPLICAS_UNSUPPORTED =
  'replicas are not supported: ReplicateSecretToRegions decrypts the primary value as the caller, which the key policy allows nobody, and a replica would need the rotation function and key policies in every replica region. Remove the field; read the secret from its primary region';

function readSecret(
  reader: ConfigReader,
  value: unknown,
  field: string,
): ManagedSecretConfig | undefined {
  if (!isObject(value)) return reader.fail(field, 'must be an object');
  reader.rejectUnknownKeys(value, field, [
    'name',
    'provider',
    'schedule',
    'rotationWindow',
    'revokePolicy',
    'readerRoleArns',
    'replicas',
  ]);
  const name = reader.string(
    value.name,
    `${field}.name`,
    SECRET_NAME,
    'is not a valid secret name (1-512 of A-Z a-z 0-9 / _ + = . @ -)',
  );
  const provider = reader.oneOf(value.provider, `${field}.provider`, PROVIDERS);
  const schedule =
    typeof value.schedule === 'string'
      ? value.schedule
      : reader.fail(`${field}.schedule`, `${describe(value.schedule)} ${SCHEDULE_HINT}`);
  const rotationWindow = reader.window(value.rotationWindow, `${field}.rotationWindow`);
  const revokePolicy =
    value.revokePolicy === undefined
      ? 'on-finish'
      : reader.oneOf(value.revokePolicy, `${field}.revokePolicy`, REVOKE_POLICIES);
  const readerRoleArns = reader.list(value.readerRoleArns, `${field}.readerRoleArns`, (v, f) =>
    reader.string(v, f, ROLE_ARN, 'is not an IAM role ARN'),
  );
  if (value.replicas !== undefined) reader.fail(`${field}.replicas`, REPLICAS_UNSUPPORTED);
  if (schedule !== undefined && rotationWindow !== undefined) {
    const problems = rotationRuleProblems(schedule, rotationWindow);
    if (problems.schedule) reader.fail(`${field}.schedule`, problems.schedule);
    if (problems.rotationWindow) reader.fail(`${field}.rotationWindow`, problems.rotationWindow);
    if (problems.schedule || problems.rotationWindow) return undefined;
  } else if (schedule !== undefined) {
    const problem = rotationRuleProblems(schedule, Duration.hours(1)).schedule;
    if (problem) return reader.fail(`${field}.schedule`, problem);
  }
  if (!name || !provider || !schedule || !rotationWindow || !revokePolicy) return undefined;
  return {
    name,
    provider,
    schedule,
    rotationWindow,
    revokePolicy,
    readerRoleArns,
  };
}

function readPartnerKey(
  reader: ConfigReader,
  value: unknown,
  defaultSecretName: string,
): PartnerKeyConfig | undefined {
  const field = 'partnerKey';
  if (value === undefined) return { kind: 'created', secretName: defaultSecretName };
  if (!isObject(value)) return reader.fail(field, 'must be an object');
  reader.rejectUnknownKeys(value, field, [
    'secretName',
    'secretArn',
    'kmsKeyArn',
    'readerRoleArns',
  ]);
  if (value.secretArn !== undefined) {
    if (value.readerRoleArns !== undefined) {
      reader.fail(
        `${field}.readerRoleArns`,
        "only applies to a partner key this stack creates (secretName): grant readers of an imported secretArn in that secret's own resource policy and key policy",
      );
    }
    if (value.secretName !== undefined) {
      return reader.fail(
        field,
        'set either secretName (create it) or secretArn (import it), not both',
      );
    }
    const secretArn = reader.string(
      value.secretArn,
      `${field}.secretArn`,
      SECRET_ARN,
      'is not a complete secret ARN (with its 6-character suffix)',
    );
    const kmsKeyArn =
      value.kmsKeyArn === undefined
        ? undefined
        : reader.string(value.kmsKeyArn, `${field}.kmsKeyArn`, KMS_KEY_ARN, 'is not a KMS key ARN');
    if (secretArn === undefined) return undefined;
    return kmsKeyArn === undefined
      ? { kind: 'imported', secretArn }
      : { kind: 'imported', secretArn, kmsKeyArn };
  }
  if (value.kmsKeyArn !== undefined) {
    return reader.fail(`${field}.kmsKeyArn`, 'only applies to an imported secretArn');
  }
  const secretName =
    value.secretName === undefined
      ? defaultSecretName
      : reader.string(
          value.secretName,
          `${field}.secretName`,
          SECRET_NAME,
          'is not a valid secret name',
        );
  const problemsBefore = reader.problems.length;
  const readerRoleArns = reader.list(value.readerRoleArns, `${field}.readerRoleArns`, (v, f) =>
    reader.string(v, f, ROLE_ARN, 'is not an IAM role ARN'),
  );
  if (secretName === undefined || reader.problems.length > problemsBefore) return undefined;
  return readerRoleArns.length === 0
    ? { kind: 'created', secretName }
    : { kind: 'created', secretName, readerRoleArns: [...new Set(readerRoleArns)] };
}

const ALLOWED_ORIGINS_EXAMPLE =
  '{"polytomic": ["https://app.polytomic.com"], "poelis": ["https://api.poelis.com"]}';

/**
 * `allowedOrigins`: origin lists by vendor; a vendor not named keeps its default origins. An
 * origin belongs to one vendor (loopback aside, where a local world's simulators share a host),
 * and problems never quote an entry, which could hold credentials.
 */
function readAllowedOrigins(
  reader: ConfigReader,
  value: unknown,
  allowLoopbackHttp: boolean,
): Record<Provider, readonly string[]> {
  const origins: Record<Provider, readonly string[]> = { ...DEFAULT_PROVIDER_ORIGINS };
  if (value === undefined) return origins;
  if (!isObject(value)) {
    reader.fail(
      'allowedOrigins',
      Array.isArray(value)
        ? `must name each vendor's origins, such as ${ALLOWED_ORIGINS_EXAMPLE}: one shared list would let a secret send its keys to another vendor's origin`
        : `must be an object of origin lists by vendor, such as ${ALLOWED_ORIGINS_EXAMPLE}`,
    );
    return origins;
  }
  const owners = new Map<string, string>();
  for (const [provider, list] of Object.entries(value)) {
    const field = `allowedOrigins.${PROVIDERS.includes(provider as Provider) ? provider : '<key>'}`;
    if (!PROVIDERS.includes(provider as Provider)) {
      reader.fail(field, `names no vendor: use ${PROVIDERS.map((p) => `"${p}"`).join(', ')}`);
      continue;
    }
    if (!Array.isArray(list) || list.length === 0) {
      reader.fail(field, 'must be a non-empty list of origins');
      continue;
    }
    list.forEach((entry: unknown, index) => {
      const at = `${field}[${index}]`;
      const problem =
        typeof entry === 'string'
          ? originProblem(entry, allowLoopbackHttp)
          : 'must be a string such as "https://app.polytomic.com"';
      if (problem !== undefined) {
        reader.fail(
          at,
          problem.startsWith('uses plain http') ? `${problem} (allowLoopbackHttp)` : problem,
        );
        return;
      }
      const origin = entry as string;
      const owner = owners.get(origin);
      const loopback = origin.startsWith('http://');
      if (owner === provider) reader.fail(at, 'is listed twice');
      else if (owner !== undefined && !loopback) {
        reader.fail(at, `is also ${owner}'s origin: an origin belongs to one vendor`);
      }
      owners.set(origin, provider);
    });
    origins[provider as Provider] = list as string[];
  }
  return origins;
}

/**
 * Validates an untyped config document (for example parsed JSON) and returns the typed config.
 * @throws ConfigError listing every problem found, each prefixed with the field it concerns.
 */
export function parseRotatorConfig(raw: unknown, source = 'config'): RotatorConfig {
  const reader = new ConfigReader();
  if (!isObject(raw)) throw new ConfigError(source, ['the config must be a JSON object']);
  reader.rejectUnknownKeys(raw, '', [
    '$schema',
    'stackName',
    'allowedOrigins',
    'allowLoopbackHttp',
    'reservedConcurrency',
    'logRetentionDays',
    'partnerKey',
    'secretNamePrefixes',
    'secrets',
    'audit',
  ]);
  const stackName =
    raw.stackName === undefined
      ? 'ApiKeyRotator'
      : reader.string(
          raw.stackName,
          'stackName',
          /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
          'is not a valid CloudFormation stack name',
        );
  const allowLoopbackHttp =
    raw.allowLoopbackHttp === undefined ? false : raw.allowLoopbackHttp === true;
  if (raw.allowLoopbackHttp !== undefined && typeof raw.allowLoopbackHttp !== 'boolean') {
    reader.fail('allowLoopbackHttp', 'must be true or false');
  }
  const allowedOrigins = readAllowedOrigins(reader, raw.allowedOrigins, allowLoopbackHttp);
  const reservedConcurrency = readReservedConcurrency(
    reader,
    raw.reservedConcurrency,
    'reservedConcurrency',
  );
  const logRetentionDays =
    raw.logRetentionDays === undefined
      ? DEFAULT_LOG_RETENTION_DAYS
      : reader.integer(
          raw.logRetentionDays,
          'logRetentionDays',
          (n) => LOG_RETENTION_DAYS.includes(n),
          `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
        );
  const partnerKey = readPartnerKey(
    reader,
    raw.partnerKey,
    defaultPartnerSecretName(stackName ?? 'ApiKeyRotator'),
  );
  const audit = readAudit(reader, raw.audit);
  if (!Array.isArray(raw.secrets) || raw.secrets.length === 0) {
    reader.fail('secrets', 'must be a non-empty list of managed secrets');
  }
  const secrets = reader.list(raw.secrets, 'secrets', (v, f) => readSecret(reader, v, f));
  const seen = new Set<string>();
  for (const secret of secrets) {
    if (seen.has(secret.name)) reader.fail('secrets', `"${secret.name}" is declared twice`);
    seen.add(secret.name);
  }
  if (partnerKey?.kind === 'created' && seen.has(partnerKey.secretName)) {
    reader.fail('partnerKey.secretName', `"${partnerKey.secretName}" is also a managed secret`);
  }
  const secretNamePrefixes = readSecretNamePrefixes(reader, raw.secretNamePrefixes, secrets);
  const readerCount = new Set([
    ...secrets.flatMap((secret) => secret.readerRoleArns),
    ...(partnerKey?.kind === 'created' ? (partnerKey.readerRoleArns ?? []) : []),
  ]).size;
  if (readerCount > MAX_READER_ROLES) {
    reader.fail(
      'readerRoleArns',
      `${readerCount} distinct reader roles across secrets[].readerRoleArns and partnerKey.readerRoleArns: at most ${MAX_READER_ROLES} (the key policy names each once); share roles between secrets`,
    );
  }
  if (
    reader.problems.length > 0 ||
    stackName === undefined ||
    reservedConcurrency === null ||
    logRetentionDays === undefined ||
    partnerKey === undefined ||
    audit === undefined
  ) {
    throw new ConfigError(source, reader.problems);
  }
  return {
    stackName,
    allowedOrigins,
    allowLoopbackHttp,
    ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
    logRetentionDays,
    partnerKey,
    secretNamePrefixes,
    secrets,
    audit,
  };
}

/**
 * `secretNamePrefixes`: given, or each secret name's first path segment. Every managed name must
 * be under one, and there are few, so the policies that name them stay the same size.
 */
function readSecretNamePrefixes(
  reader: ConfigReader,
  value: unknown,
  secrets: readonly ManagedSecretConfig[],
): string[] {
  const field = 'secretNamePrefixes';
  const prefixes =
    value === undefined
      ? defaultSecretNamePrefixes(secrets.map((secret) => secret.name))
      : reader.list(value, field, (v, f) =>
          reader.string(
            v,
            f,
            SECRET_NAME_PREFIX,
            'is not a name prefix: path segments of A-Z a-z 0-9 _ + = . @ - ending with "/", such as "api-key-rotator/"',
          ),
        );
  if (value !== undefined && prefixes.length === 0) {
    reader.fail(field, 'must list at least one name prefix, such as ["api-key-rotator/"]');
  }
  if (prefixes.length > MAX_SECRET_NAME_PREFIXES) {
    reader.fail(
      field,
      `${prefixes.length} prefixes (${prefixes.join(', ')}): at most ${MAX_SECRET_NAME_PREFIXES}; put the secrets under fewer path prefixes`,
    );
  }
  secrets.forEach((secret, index) => {
    if (prefixOf(secret.name, prefixes) === undefined) {
      reader.fail(
        `secrets[${index}].name`,
        `"${secret.name}" is not under a name prefix (${prefixes.join(', ') || 'none'}): the function reaches secrets only by prefix and tag. Name it "<prefix>/…", e.g. "api-key-rotator/${secret.name}", or list its prefix in secretNamePrefixes`,
      );
    }
  });
  return prefixes;
}

/** Context key naming the config file: `npx cdk deploy -c api-key-rotator:config=config/deploy.json`. */
export const CONFIG_CONTEXT_KEY = 'api-key-rotator:config';
/** The example config: for synth and tests only, its reader role exists in no account. */
export const EXAMPLE_CONFIG_PATH = 'config/example.json';
/** The principal the example names, which KMS rejects in a key policy on any real account. */
const EXAMPLE_READER_ROLE = 'arn:aws:iam::111122223333:role/sync-service';

/** Thrown when the app is run without a config file: nothing is synthesized, so nothing is deployed. */
export class MissingConfigError extends Error {
  constructor() {
    super(
      [
        `No config file: set the context value "${CONFIG_CONTEXT_KEY}" to your own config. Write one, then deploy it:`,
        `  cp ${EXAMPLE_CONFIG_PATH} config/deploy.json`,
        '  # edit config/deploy.json: stackName, secrets, and readerRoleArns naming roles that exist in your account',
        `  npx cdk deploy -c ${CONFIG_CONTEXT_KEY}=config/deploy.json`,
        `${EXAMPLE_CONFIG_PATH} is for synth and tests only (npm run synth passes it explicitly): its reader role`,
        `${EXAMPLE_READER_ROLE} exists in no account, and KMS refuses a key policy naming an unknown`,
        'principal in the middle of the deploy.',
      ].join('\n'),
    );
    this.name = 'MissingConfigError';
  }
}

/**
 * The config file the app synthesizes: the context value, never a default.
 * @throws MissingConfigError when the context value is missing or blank
 */
export function resolveConfigPath(contextValue: unknown): string {
  if (typeof contextValue !== 'string' || contextValue.trim() === '') {
    throw new MissingConfigError();
  }
  return contextValue;
}

/** Reads and validates a JSON config file. */
export function loadRotatorConfig(path: string): RotatorConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new ConfigError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error: unknown) {
    throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseRotatorConfig(raw, path);
}
