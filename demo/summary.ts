/**
 * The facts the demo's story establishes: what `--json` prints at the end, and what decides the
 * exit code. Keys appear by fingerprint (and Poelis key name) only.
 */
import { afterRotationFailures, type AfterRotationFact } from './after-rotation';
import type { AuditFinding } from '../lambda/audit/checks';
import type { KeyReference } from '../lambda/shared/key-reference';
import type { RevokePolicy } from '../lambda/shared/secret';

/** How a rotation was started. */
export type RotationTrigger = 'schedule' | 'rotate-immediately' | 'assisted';

export interface StepTiming {
  readonly step: string;
  readonly ok: boolean;
  readonly durationMs: number;
  /** What the step did, in the clause the narration prints. */
  readonly said: string;
  readonly errorType?: string;
}

export interface RotationFact {
  readonly secret: string;
  readonly provider: string;
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
  /** The user each key belongs to, by name as the vendor gives it, and by id (Polytomic). */
  readonly previousUser?: UserFact;
  readonly currentUser?: UserFact;
  /** Keys the vendor's ledger shows revoked during the rotation. */
  readonly revokedKeys: readonly KeyReference[];
  /** Keys a notice published during the rotation asks a person to revoke (assisted vendors). */
  readonly revokeRequested: readonly KeyReference[];
  /** What the vendor answered the replaced key with right after the rotation (401: dead). */
  readonly previousKeyStatus: number;
}

/** A vendor user: its id, and the name the story calls it by (its e-mail's local part). */
export interface UserFact {
  readonly id: string;
  readonly name: string;
}

/** What deploying the synthesized template created. */
export interface DeploymentFact {
  /** The config file the template was synthesized from. */
  readonly config: string;
  readonly stackName: string;
  /** Resources CloudFormation created from the template, every call authorized as its role. */
  readonly resourcesCreated: number;
  readonly kmsKeyArn: string;
  readonly notificationTopicArn: string;
  readonly rotationFunctionArn: string;
  readonly auditFunctionArn: string;
}

/** The role each principal of the story signed its calls as. */
export interface PrincipalsFact {
  readonly administrator: string;
  readonly app: string;
  readonly operator: string;
  readonly verifier: string;
  readonly auditor: string;
}

/** A managed secret of the story and the vendor ids behind it. */
export interface SecretFact {
  readonly name: string;
  readonly arn: string;
  readonly provider: string;
  /** From the config, as the stack deployed them. */
  readonly schedule: string;
  readonly revokePolicy: RevokePolicy;
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
  /** Live keys in the AWSCURRENT version of a managed secret. */
  readonly currentKeys: number;
  /** Live partner keys, in their own secret (the rotation's credential, not rotated). */
  readonly partnerKeys: number;
  /** Polytomic revocation re-issues, live at the vendor but never stored or shown (invariant 2). */
  readonly discardedReissues: number;
  /** The users those re-issues belong to. */
  readonly reissuedForUserIds: readonly string[];
  /** AWSPREVIOUS keys of `next-rotation` secrets, live by design until the next rotation. */
  readonly keptByPolicy: number;
}

export interface ReminderFact {
  readonly secret: string;
  readonly subject: string;
  readonly keyToRevoke: KeyReference;
  /** The old key's status after the rotation and before the operator acted (200: still live). */
  readonly statusBeforeRevocation: number;
}

/** The alarm on `ManualRevocationRequired` and the notification it sent to the stack's topic. */
export interface AlarmFact {
  readonly alarmName: string;
  readonly state: string;
  /** Whether the notification topic received the alarm's state change. */
  readonly notified: boolean;
}

/** Authorization as the story met it: every call was signed as a session of a role of the world. */
export interface AuthorizationFact {
  /** Whether the config lists the operator's role among the Poelis secret's readers. */
  readonly operatorIsReader: boolean;
  /** What the operator got when it tried to read the value it had staged. */
  readonly operatorReadValue: string;
  /** Calls the emulator denied that the story meant to be denied (the operator's read). */
  readonly expectedDenials: readonly string[];
  /** Calls the emulator denied otherwise, as its authorization log names them: must be none. */
  readonly unexpectedDenials: readonly string[];
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
  readonly principals: PrincipalsFact;
  readonly secrets: readonly SecretFact[];
  readonly rotations: readonly RotationFact[];
  readonly appCalls: AppCallsFact;
  readonly oldKeysDead: readonly OldKeyFact[];
  /** Replaced keys a `next-rotation` policy keeps live (AWSPREVIOUS): they must still answer 200. */
  readonly oldKeysKept: readonly OldKeyFact[];
  readonly reminder: ReminderFact | undefined;
  /** The alarm that fired when the rotation asked for a manual revocation. */
  readonly revocationAlarm: AlarmFact | undefined;
  readonly orphanLiveKeys: OrphanFact;
  /** The audit's findings on both secrets at the end of the story. */
  readonly audit: readonly AuditFinding[];
  readonly authorization: AuthorizationFact;
  /** A consumer refreshing on the rotation event; a refused and an accepted rollback; the report. */
  readonly afterRotation?: AfterRotationFact;
  readonly leakCheck: LeakCheckFact;
}

/** The story's facts before the leak check, which needs everything else to be printed first. */
export type StoryFacts = Omit<StorySummary, 'ok' | 'failures' | 'leakCheck'>;

/** What the operator's GetSecretValue must get: only the config's readers may read a value. */
export function expectedOperatorRead(operatorIsReader: boolean): string {
  return operatorIsReader ? 'allowed' : 'AccessDeniedException';
}

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
  for (const key of facts.oldKeysKept) {
    if (key.status !== 200) {
      failures.push(
        `old key ${key.fingerprint} of ${key.secret} answered ${key.status}; its policy keeps it live`,
      );
    }
  }
  if (facts.reminder === undefined) failures.push('no reminder to revoke the old Poelis key');
  if (facts.revocationAlarm?.notified !== true) {
    failures.push('the ManualRevocationRequired alarm did not notify the topic');
  }
  if (facts.orphanLiveKeys.count > 0) {
    failures.push(`${facts.orphanLiveKeys.count} orphan live key(s)`);
  }
  failures.push(...afterRotationFailures(facts.afterRotation));
  if (facts.audit.length === 0) failures.push('the audit reported nothing');
  for (const finding of facts.audit) {
    if (finding.outcome !== 'pass') {
      failures.push(`audit ${finding.check} of ${finding.secretName}: ${finding.outcome}`);
    }
  }
  const { operatorIsReader, operatorReadValue } = facts.authorization;
  if (operatorReadValue !== expectedOperatorRead(operatorIsReader)) {
    const role = operatorIsReader ? 'as a reader' : 'not being a reader';
    failures.push(`the operator's GetSecretValue got ${operatorReadValue}, ${role}`);
  }
  for (const denial of facts.authorization.unexpectedDenials) failures.push(denial);
  if (leakCheck.issuedKeysFound > 0) {
    failures.push(`${leakCheck.issuedKeysFound} key value(s) found in the output`);
  }
  return failures;
}
