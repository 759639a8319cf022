/**
 * The five rotation invariants of DESIGN.md, checked against the local world: the secret's
 * versions in the AWS emulator, the vendor simulator's ledger, and every output captured.
 * Checks return violations (named by fingerprint, never by value) so a matrix can collect them.
 */
import { createHash } from 'node:crypto';
import { fingerprint } from '../../lambda/shared/fingerprint';
import type { LedgerEntry } from '../../local/vendors';
import { ROTATION_STEPS, type SafetyWorld, type SecretUnderTest } from './safety-world';

export interface InvariantOptions {
  /**
   * False right after a fault, before any retry: a rotation may be in flight, so its pending
   * key and the key it is replacing may be live, and invariant 3 is not due yet.
   */
  readonly settled: boolean;
}

/** Invariants 1–4; an empty list means they hold. */
export async function checkInvariants(
  sw: SafetyWorld,
  secret: SecretUnderTest,
  options: InvariantOptions,
): Promise<string[]> {
  const violations: string[] = [];
  const state = await readState(sw, secret);
  const vendor = secret.simulator;
  const manual = secret.vendor.revocation === 'manual';
  const inFlight = state.pendingId !== undefined && state.pendingId !== state.currentId;

  // 1: AWSCURRENT holds a key the vendor accepts, except in the single-user window.
  const currentKey = state.currentId === undefined ? undefined : state.keys.get(state.currentId);
  if (currentKey === undefined) violations.push('1: AWSCURRENT holds no key');
  else if (vendor.keyStatus(currentKey) !== 'live' && !(secret.currentKeyDiesAtIssue && inFlight)) {
    violations.push(`1: AWSCURRENT's key ${fingerprint(currentKey)} is not live at the vendor`);
  }

  // 3: after a finished rotation under on-finish, the replaced key is revoked (or reported).
  const previousKey = state.previousId === undefined ? undefined : state.keys.get(state.previousId);
  const reminders = sw.revocationReminders(secret);
  if (options.settled && secret.policy === 'on-finish' && previousKey !== undefined) {
    if (!manual && vendor.keyStatus(previousKey) !== 'revoked') {
      violations.push(`3: the replaced key ${fingerprint(previousKey)} is still live`);
    }
    if (manual && !reminders.has(fingerprint(previousKey))) {
      violations.push(`3: the replaced key ${fingerprint(previousKey)} was never reported`);
    }
  }
  if (options.settled) sw.actOnReminders(secret);

  // 2: every live key is accounted for.
  const allowed = new Set<string>();
  const allow = (versionId: string | undefined): void => {
    const key = versionId === undefined ? undefined : state.keys.get(versionId);
    if (key !== undefined) allowed.add(sha256(key));
  };
  allow(state.currentId);
  allow(state.pendingId);
  allow(state.stagedId);
  if (secret.policy === 'next-rotation' || !options.settled) allow(state.previousId);
  const lastRotation = sw.world.aws.rotationHistory(secret.arn).at(-1);
  const interrupted =
    inFlight || (lastRotation !== undefined && lastRotation.outcome !== 'succeeded');
  let unstoredInFlight = 0;
  const stored = new Map([...state.keys].map(([versionId, key]) => [sha256(key), versionId]));
  sw.collectOutputs();
  const printed = new Set([...sw.scanner.keyShapedOutput()].map(sha256));
  for (const entry of liveKeysOf(secret)) {
    if (allowed.has(entry.sha256)) continue;
    const name = describeEntry(entry);
    if (manual) {
      // Reported for manual revocation: it is the operator's to revoke now.
      if (reminders.has(entry.fingerprint)) continue;
      violations.push(`2: live key ${name} is neither in use, STAGED nor reported for revocation`);
    } else if (stored.has(entry.sha256)) {
      violations.push(
        `2: live key ${name} is stored in version ${stored.get(entry.sha256)} but not in use`,
      );
    } else if (printed.has(entry.sha256)) {
      violations.push(`2: live re-issued key ${name} left the function`);
    } else if (!secret.vendor.revokesByReissue) {
      // A rotation cut short after the vendor issued its key and before storing it: its retry
      // replays the issue (same idempotency key) and stores that key, so one is in flight.
      if (!options.settled && interrupted && unstoredInFlight++ === 0) continue;
      violations.push(`2: live key ${name} is neither in use nor stored`);
    } else if (!secret.principals.includes(entry.userId ?? '')) {
      violations.push(`2: live key ${name} belongs to a user the secret does not name`);
    }
  }

  // 4: no key value in any output.
  for (const leak of sw.scanner.leaks()) {
    violations.push(`4: key ${leak.fingerprint} appears in ${leak.channel} output`);
  }
  if (violations.length > 0) violations.push(`   state: ${describeState(state)}`);
  return violations;
}

/** Versions by label and key fingerprint, for a violation report. */
function describeState(state: SecretState): string {
  return Object.keys(state.stages)
    .map((id) => {
      const key = state.keys.get(id);
      const labels = state.stages[id].join('+') || 'deprecated';
      return `${id.slice(0, 8)}[${labels}]=${key === undefined ? 'no value' : fingerprint(key)}`;
    })
    .join(' ');
}

/** 5: running the four steps again with the last rotation's token changes nothing. */
export async function checkStepsIdempotent(
  sw: SafetyWorld,
  secret: SecretUnderTest,
): Promise<string[]> {
  const token = sw.lastRotation(secret).token;
  const before = await snapshot(sw, secret);
  const violations: string[] = [];
  for (const step of ROTATION_STEPS) {
    const result = await sw.invokeStep(secret, step, token);
    sw.recordInvocation(result);
    if (!result.ok) violations.push(`5: ${step} re-run failed with ${result.errorType}`);
  }
  const after = await snapshot(sw, secret);
  if (after !== before) violations.push(`5: re-running the steps changed ${diff(before, after)}`);
  return violations;
}

/** Both checks, as one jest expectation. */
export async function expectInvariants(
  sw: SafetyWorld,
  secret: SecretUnderTest,
  options: InvariantOptions & { readonly idempotence?: boolean } = { settled: true },
): Promise<void> {
  const violations = await checkInvariants(sw, secret, options);
  if (options.idempotence === true) violations.push(...(await checkStepsIdempotent(sw, secret)));
  expect(violations).toEqual([]);
}

interface SecretState {
  readonly currentId?: string;
  readonly pendingId?: string;
  readonly previousId?: string;
  readonly stagedId?: string;
  /** The key each version holds. */
  readonly keys: Map<string, string>;
  readonly stages: Record<string, string[]>;
}

async function readState(sw: SafetyWorld, secret: SecretUnderTest): Promise<SecretState> {
  const stages = await sw.versionStages(secret);
  const withLabel = (label: string): string | undefined =>
    Object.keys(stages).find((id) => stages[id].includes(label));
  const keys = new Map<string, string>();
  for (const [versionId, value] of await sw.allValues(secret)) {
    const key = apiKeyOf(value);
    if (key !== undefined) keys.set(versionId, key);
  }
  return {
    currentId: withLabel('AWSCURRENT'),
    pendingId: withLabel('AWSPENDING'),
    previousId: withLabel('AWSPREVIOUS'),
    stagedId: withLabel('STAGED'),
    keys,
    stages,
  };
}

function liveKeysOf(secret: SecretUnderTest): LedgerEntry[] {
  return secret.simulator
    .ledger()
    .filter(
      (entry) =>
        entry.status === 'live' &&
        entry.organizationId === secret.organizationId &&
        entry.kind !== 'partner',
    );
}

async function snapshot(sw: SafetyWorld, secret: SecretUnderTest): Promise<string> {
  const state = await readState(sw, secret);
  const versions = Object.keys(state.stages)
    .sort()
    .map((id) => `${id}:${[...state.stages[id]].sort().join('+')}`);
  const values = [...state.keys]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, key]) => `${id}=${fingerprint(key)}`);
  const ledger = liveKeysOf(secret)
    .map((entry) => `live ${entry.fingerprint}`)
    .sort();
  return [...versions, ...values, ...ledger].join('\n');
}

function diff(before: string, after: string): string {
  const old = new Set(before.split('\n'));
  const now = new Set(after.split('\n'));
  const removed = [...old].filter((line) => !now.has(line)).map((line) => `-${line}`);
  const added = [...now].filter((line) => !old.has(line)).map((line) => `+${line}`);
  return [...removed, ...added].join(', ');
}

function describeEntry(entry: LedgerEntry): string {
  const owner = entry.userId ?? entry.keyName;
  return owner === undefined ? entry.fingerprint : `${entry.fingerprint} (${owner})`;
}

function apiKeyOf(value: string): string | undefined {
  try {
    const parsed = JSON.parse(value) as { apiKey?: unknown };
    return typeof parsed.apiKey === 'string' ? parsed.apiKey : undefined;
  } catch {
    return undefined;
  }
}

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
