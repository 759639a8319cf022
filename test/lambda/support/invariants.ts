import type { Harness } from './harness';
import type { PoelisModel, PolytomicModel } from './vendors';

export interface PolytomicSecretShape {
  provider: 'polytomic';
  apiKey: string;
  organizationId: string;
  userId: string;
  standbyUserId?: string;
  [field: string]: unknown;
}

export function currentSecret(h: Harness, arn: string): PolytomicSecretShape {
  return JSON.parse(h.sm.valueOf(arn, 'AWSCURRENT') ?? 'null') as PolytomicSecretShape;
}

/** Invariants 1, 2 and 4 for a Polytomic secret, checked after every rotation or failure. */
export function expectPolytomicInvariants(
  h: Harness,
  model: PolytomicModel,
  arn: string,
  options: { keptPrevious?: boolean; downtime?: boolean } = {},
): void {
  const current = currentSecret(h, arn);
  // 1: AWSCURRENT works at the vendor (unless inside the documented single-user window).
  if (options.downtime !== true) expect(model.isLive(current.apiKey)).toBe(true);
  // 2: every live key is accounted for, or is a re-issued value that never left the function.
  const allowed = new Set(
    [h.sm.valueOf(arn, 'AWSCURRENT'), h.sm.valueOf(arn, 'AWSPENDING')].flatMap(keyOf),
  );
  if (options.keptPrevious === true)
    keyOf(h.sm.valueOf(arn, 'AWSPREVIOUS')).forEach((key) => allowed.add(key));
  const stored = new Set(h.sm.allValues(arn).flatMap(keyOf));
  for (const live of model.liveKeys.values()) {
    if (allowed.has(live)) continue;
    expect(stored.has(live)).toBe(false);
    expect(h.output()).not.toContain(live);
  }
  expectNoKeyInOutput(h, [...model.issued, model.partnerKey]);
}

/** Invariant 4: no key value in logs, metrics or notifications. */
export function expectNoKeyInOutput(h: Harness, keys: readonly string[]): void {
  const output = h.output();
  const notifications = JSON.stringify(h.notifier.sent);
  for (const key of keys) {
    expect(output).not.toContain(key);
    expect(notifications).not.toContain(key);
  }
}

export function expectPoelisInvariants(h: Harness, model: PoelisModel, arn: string): void {
  const current = JSON.parse(h.sm.valueOf(arn, 'AWSCURRENT') ?? 'null') as { apiKey: string };
  expect(model.live.has(current.apiKey)).toBe(true);
  expectNoKeyInOutput(h, model.created);
}

function keyOf(value: string | undefined): string[] {
  return value === undefined ? [] : [(JSON.parse(value) as { apiKey: string }).apiKey];
}
