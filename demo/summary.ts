/**
 * The facts the demo's story establishes: what `--json` prints at the end, and what decides the
 * exit code. Keys appear by fingerprint (and Poelis key name) only.
 */
import type { AuditFinding } from '../lambda/audit/checks';
import type { KeyReference } from '../lambda/shared/key-reference';
import type { ProviderName } from '../lambda/shared/secret';

/** How a rotation was started. */
export type RotationTrigger = 'schedule' | 'rotate-immediately' | 'assisted';

export interface StepTiming {
  readonly step: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly errorType?: string;
}

export interface RotationFact {
  readonly secret: string;
  readonly provider: ProviderName;
  readonly trigger: RotationTrigger;
  /** The rotation's ClientRequestToken, which is also the new version's id. */
  readonly token: string;
  readonly steps: readonly StepTiming[];
  readonly outcome: 'succeeded' | 'failed' | 'running';
  /** Wall-clock time from the trigger to the rotation's end. */
  readonly durationMs: number;
  /** Calls the app made between the trigger and the rotation's end (Polytomic rotations). */
  readonly appCallsDuring?: number;
  /** Fingerprint of the key the app held once it had called again after the rotation. */
  readonly appKeyAfter?: string;
  readonly previousKey: KeyReference;
  readonly currentKey: KeyReference;
}

/** What the deploy-equivalent set-up created. */
export interface DeploymentFact {
  readonly kmsKeyArn: string;
  readonly notificationTopicArn: string;
  readonly rotationFunctionArn: string;
}

/** A managed secret of the story and the vendor ids behind it. */
export interface SecretFact {
  readonly name: string;
  readonly arn: string;
  readonly provider: ProviderName;
  readonly organizationId: string;
  readonly userIds: readonly string[];
}

export interface AppCallsFact {
  readonly total: number;
  readonly failed: number;
  /** Calls whose first attempt got a 401 and that succeeded after the reader re-read the secret. */
  readonly recoveredAfter401: number;
  /** Times the reader saw AWSCURRENT move to another version. */
  readonly keyChangesSeen: number;
  /** The first few failures, described without key values. */
  readonly failures: readonly string[];
}

export interface OldKeyFact extends KeyReference {
  readonly secret: string;
  /** The status the vendor answered the old key with; 401 means it is dead. */
  readonly status: number;
}

export interface OrphanFact {
  /** Live vendor keys that no secret holds and that are not a discarded Polytomic re-issue. */
  readonly count: number;
  readonly fingerprints: readonly string[];
  /** Polytomic revocation re-issues, live at the vendor but never stored or shown (invariant 2). */
  readonly discardedReissues: number;
}

export interface ReminderFact {
  readonly secret: string;
  readonly subject: string;
  readonly keyToRevoke: KeyReference;
  /** The old key's status after the rotation and before the operator acted (200: still live). */
  readonly statusBeforeRevocation: number;
}

export interface LeakCheckFact {
  readonly scannedChars: number;
  readonly scannedFunctionLogLines: number;
  /** UUID- and `poelis_api_`-shaped strings found (ids, tokens, …). */
  readonly keyShapedStrings: number;
  /** Of those, how many are keys a simulator issued: must be 0. */
  readonly issuedKeysFound: number;
}

export interface StorySummary {
  readonly ok: boolean;
  /** Each fact of the story that did not hold, in one line. */
  readonly failures: readonly string[];
  readonly durationMs: number;
  readonly deployment: DeploymentFact;
  readonly secrets: readonly SecretFact[];
  readonly rotations: readonly RotationFact[];
  readonly appCalls: AppCallsFact;
  readonly oldKeysDead: readonly OldKeyFact[];
  readonly reminder: ReminderFact | undefined;
  readonly orphanLiveKeys: OrphanFact;
  /** The audit's findings on both secrets at the end of the story. */
  readonly audit: readonly AuditFinding[];
  readonly leakCheck: LeakCheckFact;
}

/** The story's facts before the leak check, which needs everything else to be printed first. */
export type StoryFacts = Omit<StorySummary, 'ok' | 'failures' | 'leakCheck'>;

/** Every fact that does not hold; an empty list is a successful story. */
export function failedFacts(facts: StoryFacts, leakCheck: LeakCheckFact): string[] {
  const failures: string[] = [];
  for (const rotation of facts.rotations) {
    if (rotation.outcome !== 'succeeded') {
      failures.push(`${rotation.trigger} rotation of ${rotation.secret} ${rotation.outcome}`);
    }
    if (
      rotation.appKeyAfter !== undefined &&
      rotation.appKeyAfter !== rotation.currentKey.fingerprint
    ) {
      failures.push(`after the ${rotation.trigger} rotation the app holds ${rotation.appKeyAfter}`);
    }
  }
  if (facts.appCalls.total === 0) failures.push('the app made no call');
  if (facts.appCalls.failed > 0) failures.push(`${facts.appCalls.failed} app call(s) failed`);
  for (const key of facts.oldKeysDead) {
    if (key.status !== 401) {
      failures.push(`old key ${key.fingerprint} of ${key.secret} answered ${key.status}, not 401`);
    }
  }
  if (facts.reminder === undefined) failures.push('no reminder to revoke the old Poelis key');
  if (facts.orphanLiveKeys.count > 0) {
    failures.push(`${facts.orphanLiveKeys.count} orphan live key(s)`);
  }
  if (facts.audit.length === 0) failures.push('the audit reported nothing');
  for (const finding of facts.audit) {
    if (finding.outcome !== 'pass') {
      failures.push(`audit ${finding.check} of ${finding.secretName}: ${finding.outcome}`);
    }
  }
  if (leakCheck.issuedKeysFound > 0) {
    failures.push(`${leakCheck.issuedKeysFound} key value(s) found in the output`);
  }
  return failures;
}
