/**
 * The evidence `report` gives for one secret: what its schedule and policy are, which rotations
 * happened in the period (from version dates), how old its live keys are against the schedule,
 * what the vendor says of every stored old key, and what the audit's checks find now. Read-only;
 * keys appear by fingerprint and name only.
 */
import type { AuditCheck, AuditOutcome } from '../../lambda/audit/checks';
import { probeStoredKeys, type StoredKey } from '../../lambda/audit/stored-keys';
import { readSecretMetadata, type SecretMetadata } from '../../lambda/aws/secret-metadata';
import { AWSCURRENT, SecretsStore } from '../../lambda/aws/secrets';
import { probeKey } from '../../lambda/providers/probe';
import { parseRateExpression } from '../../lambda/shared/contracts';
import type { KeyReference } from '../../lambda/shared/key-reference';
import type { RotatedSecret } from '../../lambda/shared/secret';
import { providersOf, type CliDependencies } from '../dependencies';
import { auditNow } from './audit-now';

const DAY_MS = 86_400_000;
/** Versions read for the rotation list: Secrets Manager keeps about 100 per secret. */
const MAX_VERSIONS_READ = 100;
/** Stored keys probed per secret: every one Secrets Manager keeps. */
const STORED_KEYS_PROBED = 100;
/** A rotation counts as overdue a day after it was due, as the audit judges it. */
const GRACE_MS = DAY_MS;
const VENDOR_DEADLINE_MS = 60_000;

/** What the vendor says of a stored key, as the report shows it. */
export type KeyStatus =
  /** The vendor answers 401. */
  | 'dead'
  /** The vendor accepts it, and the policy keeps it (AWSPREVIOUS under next-rotation). */
  | 'live (kept by policy)'
  /** The vendor accepts it, and it should be dead; the rotator can revoke it (rotate). */
  | 'live'
  /** The vendor accepts it, it should be dead, and only a person can revoke it at the vendor. */
  | 'manual'
  /** The version holds no key the rotator reads, or the vendor could not be asked. */
  | 'unknown';

/** One key a secret stores, with its age. */
export interface KeyEvidence {
  readonly versionId: string;
  readonly labels: readonly string[];
  /** ISO-8601. */
  readonly createdAt: string | null;
  readonly ageDays: number | null;
  readonly key: KeyReference | null;
  readonly status: KeyStatus | 'current';
  /** A live key the policy says is dead. */
  readonly shouldBeDead: boolean;
  /** A live key older than the schedule allows. */
  readonly overAge: boolean;
}

/** A rotation in the period: the version it created. */
export interface RotationEvidence {
  readonly versionId: string;
  /** ISO-8601. */
  readonly rotatedAt: string;
  readonly key: KeyReference;
  readonly labels: readonly string[];
}

/** The evidence for one secret. */
export interface SecretEvidence {
  readonly name: string;
  readonly arn: string;
  readonly provider: string | null;
  readonly schedule: string | null;
  readonly rotationWindow: string | null;
  readonly revokePolicy: string | null;
  readonly rotationEnabled: boolean;
  readonly lastRotatedAt: string | null;
  readonly nextRotationAt: string | null;
  readonly overdue: boolean;
  /** Days a key may live as AWSCURRENT: the schedule's interval plus a day; null for cron. */
  readonly allowedAgeDays: number | null;
  readonly rotations: readonly RotationEvidence[];
  readonly current: KeyEvidence | null;
  readonly storedKeys: readonly KeyEvidence[];
  /** Stored versions beyond the probe bound. */
  readonly storedKeysNotProbed: number;
  readonly audit: {
    readonly passed: boolean;
    readonly findings: readonly {
      readonly check: AuditCheck;
      readonly outcome: AuditOutcome;
      readonly message: string;
    }[];
  };
}

/**
 * Gathers the evidence for `secretId` over the rotations since `fromMs`.
 *
 * @example
 * ```ts
 * const evidence = await gatherEvidence(deps, 'prod/poelis', Date.now() - 90 * 86_400_000);
 * evidence.storedKeys.filter((key) => key.shouldBeDead); // keys to revoke
 * ```
 */
export async function gatherEvidence(
  deps: CliDependencies,
  secretId: string,
  fromMs: number,
): Promise<SecretEvidence> {
  const now = deps.now();
  const metadata = await readSecretMetadata(deps.secretsManager, secretId, { versions: 'all' });
  const providers = providersOf(deps);
  const store = new SecretsStore(deps.secretsManager);
  const read = async (versionId: string): Promise<RotatedSecret | undefined> => {
    const text = await store.findValue(metadata.arn, { versionId });
    if (text === undefined || providers.isPlaceholder(text)) return undefined;
    try {
      return providers.parseSecret(text);
    } catch {
      return undefined;
    }
  };
  const currentVersion = metadata.versions.find((v) => v.stages.includes(AWSCURRENT));
  const current = currentVersion === undefined ? undefined : await read(currentVersion.versionId);
  const intervalDays = scheduleDays(metadata);
  const allowedAgeDays = intervalDays === undefined ? null : intervalDays + GRACE_MS / DAY_MS;
  const ageOf = (createdAt: number | undefined): number | null =>
    createdAt === undefined ? null : Math.floor((now - createdAt) / DAY_MS);

  let storedKeys: KeyEvidence[] = [];
  let notProbed = 0;
  let revokePolicy: string | null = null;
  if (current !== undefined) {
    const inventory = await probeStoredKeys(
      {
        snapshot: metadata,
        secrets: store,
        providers,
        probe: (secret) =>
          probeKey(providers.providerOf(secret), secret, {
            http: deps.vendorHttp(),
            deadline: deps.now() + VENDOR_DEADLINE_MS,
          }),
      },
      current,
      STORED_KEYS_PROBED,
    );
    revokePolicy = inventory.policy;
    notProbed = inventory.notProbed;
    storedKeys = inventory.keys.map((key) => {
      const ageDays = ageOf(key.createdAt);
      const status = statusOf(key);
      const live = status !== 'dead' && status !== 'unknown';
      // AWSPREVIOUS kept by next-rotation lives a second interval: it was current for the first.
      const allowed =
        allowedAgeDays === null || intervalDays === undefined
          ? null
          : allowedAgeDays + (key.keptByPolicy ? intervalDays : 0);
      return {
        versionId: key.versionId,
        labels: key.stages,
        createdAt: isoOf(key.createdAt),
        ageDays,
        key: key.key ?? null,
        status,
        shouldBeDead: status === 'live' || status === 'manual',
        overAge: live && allowed !== null && ageDays !== null && ageDays > allowed,
      };
    });
  }
  const currentAge = ageOf(currentVersion?.createdAt);
  const findings = await auditNow(deps, metadata.arn);
  return {
    name: metadata.name,
    arn: metadata.arn,
    provider: current?.provider ?? null,
    schedule: metadata.rotationRules?.ScheduleExpression ?? null,
    rotationWindow: metadata.rotationRules?.Duration ?? null,
    revokePolicy,
    rotationEnabled: metadata.rotationEnabled,
    lastRotatedAt: isoOf(metadata.lastRotatedAt),
    nextRotationAt: isoOf(metadata.nextRotationAt),
    overdue:
      !metadata.rotationEnabled ||
      (metadata.nextRotationAt !== undefined && metadata.nextRotationAt + GRACE_MS < now),
    allowedAgeDays,
    rotations: await rotationsSince(metadata, fromMs, read, providers.keyReference.bind(providers)),
    current:
      currentVersion === undefined || current === undefined
        ? null
        : {
            versionId: currentVersion.versionId,
            labels: currentVersion.stages,
            createdAt: isoOf(currentVersion.createdAt),
            ageDays: currentAge,
            key: providers.keyReference(current),
            status: 'current',
            shouldBeDead: false,
            overAge: allowedAgeDays !== null && currentAge !== null && currentAge > allowedAgeDays,
          },
    storedKeys,
    storedKeysNotProbed: notProbed,
    audit: {
      passed: findings.every((found) => found.outcome === 'pass'),
      findings: findings.map(({ check, outcome, message }) => ({ check, outcome, message })),
    },
  };
}

/**
 * The versions rotations created since `fromMs`: each holds a whole secret and follows an older
 * one (the oldest whole secret is the first key, put by hand). Consumed STAGED versions hold a
 * key only and are not rotations.
 */
async function rotationsSince(
  metadata: SecretMetadata,
  fromMs: number,
  read: (versionId: string) => Promise<RotatedSecret | undefined>,
  keyReference: (secret: RotatedSecret) => KeyReference,
): Promise<RotationEvidence[]> {
  const versions = metadata.versions.slice(0, MAX_VERSIONS_READ); // newest first
  const whole: {
    versionId: string;
    createdAt: number;
    labels: readonly string[];
    key: KeyReference;
  }[] = [];
  for (const { versionId, createdAt, stages } of versions) {
    if (createdAt === undefined) continue;
    const secret = await read(versionId);
    if (secret !== undefined)
      whole.push({ versionId, createdAt, labels: stages, key: keyReference(secret) });
  }
  return whole
    .slice(0, -1) // the oldest whole secret: the first key
    .filter((version) => version.createdAt >= fromMs)
    .reverse()
    .map((version) => ({
      versionId: version.versionId,
      rotatedAt: isoOf(version.createdAt) ?? '',
      key: version.key,
      labels: version.labels,
    }));
}

function statusOf(key: StoredKey): KeyStatus | 'current' {
  switch (key.state) {
    case 'dead':
      return 'dead';
    case 'live':
      if (key.keptByPolicy) return 'live (kept by policy)';
      return key.manualRevocation ? 'manual' : 'live';
    case 'current':
      // A consumed STAGED version holding AWSCURRENT's key: live, and rightly so.
      return 'current';
    default:
      return 'unknown';
  }
}

/** The schedule's interval in days, for `rate(…)` and AutomaticallyAfterDays; undefined for cron. */
function scheduleDays(metadata: SecretMetadata): number | undefined {
  const rules = metadata.rotationRules;
  const rate =
    rules?.ScheduleExpression === undefined
      ? undefined
      : parseRateExpression(rules.ScheduleExpression, { tolerateBlanks: true });
  if (rate !== undefined) return rate.unit === 'day' ? rate.amount : rate.amount / 24;
  return rules?.ScheduleExpression === undefined ? rules?.AutomaticallyAfterDays : undefined;
}

function isoOf(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
