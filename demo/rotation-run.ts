/**
 * One rotation as the story shows it: start it, follow its four steps, then tell each step in
 * one clause from what the vendor and the topic showed, and prove the replaced key's state.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { performance } from 'node:perf_hooks';
import { builtInProviders } from '../lambda/providers/registry';
import { describeKey, type KeyReference } from '../lambda/shared/key-reference';
import type { RotatedSecret } from '../lambda/shared/secret';
import type { AwsEmulator, StepRecord } from '../local/aws';
import type { PublishedMessage } from '../local/aws/sns';
import type { LedgerEntry } from '../local/vendors';
import type { AppLoop } from './app-loop';
import type { Narrator } from './narrator';
import { followRotation, type RotationSelector } from './rotation-watch';
import { stepClause, type KeyHolder, type RotationEvidence } from './step-story';
import type { RotationFact, RotationTrigger, UserFact } from './summary';

export interface RotatedSecretRef {
  readonly name: string;
  readonly arn: string;
}

export interface RotationRun {
  readonly fact: RotationFact;
  /** The secret as it was before the rotation (its key is the one that must die). */
  readonly previous: RotatedSecret;
  readonly current: RotatedSecret;
}

/** What the story looks at to tell what a rotation did; none of it holds a key value. */
export interface RotationWitness {
  /** The vendor's ledger of every key it issued, by fingerprint. */
  ledger(provider: string): readonly LedgerEntry[];
  /** Every notice published so far on the stack's topic. */
  notices(): readonly PublishedMessage[];
  /** The status the vendor gives a key on its identity endpoint (200 live, 401 dead). */
  probe(secret: RotatedSecret): Promise<number>;
  /** The name of the user a key belongs to, for vendors whose keys belong to users. */
  userOf(secret: RotatedSecret): Promise<string | undefined>;
  /** Whether the secret has a version labelled STAGED. */
  hasStaged(secretArn: string): Promise<boolean>;
}

/** Each vendor's identity call: what testSecret and the story's probes ask. */
const IDENTITY_CALLS: Readonly<Record<string, string>> = {
  polytomic: 'GET /api/me',
  poelis: 'GET /v1/public/workspaces',
};

/** A rotation of the story ended in failure: the story cannot go on, and says where it stopped. */
export class RotationFailedError extends Error {
  constructor(trigger: RotationTrigger, secretName: string, step: StepRecord | undefined) {
    const where =
      step === undefined
        ? 'before its first step'
        : `at ${step.step}: ${step.errorType ?? 'failed'}: ${step.errorMessage ?? ''}`;
    super(`The ${trigger} rotation of ${secretName} failed ${where}`.trimEnd());
    this.name = 'RotationFailedError';
  }
}

export interface RotationRunDependencies {
  readonly emulator: Pick<AwsEmulator, 'rotationHistory'>;
  readonly secretsManager: Pick<SecretsManagerClient, 'send'>;
  readonly narrator: Narrator;
  /** The app calling the vendor meanwhile, if any: its calls during the rotation are counted. */
  readonly app?: Pick<AppLoop, 'callsSoFar'>;
  readonly witness: RotationWitness;
}

/** `start` triggers the rotation and says how to find it in the history. */
export async function runRotation(
  deps: RotationRunDependencies,
  secret: RotatedSecretRef,
  trigger: RotationTrigger,
  start: () => Promise<RotationSelector>,
): Promise<RotationRun> {
  const { witness } = deps;
  const previous = await readCurrentSecret(deps.secretsManager, secret.arn);
  const previousHolder = await holderOf(witness, previous);
  const ledgerBefore = witness.ledger(previous.provider);
  const noticesBefore = witness.notices().length;
  const startedAt = performance.now();
  const callsBefore = deps.app?.callsSoFar();
  const record = await deps.narrator.task(
    `${trigger} rotation of ${secret.name}`,
    async (progress) => {
      const selector = await start();
      progress.update('createSecret…');
      const ended = await followRotation(deps.emulator, secret.arn, selector, (step) => {
        if (!step.ok) {
          progress.line(
            'fail',
            `${step.step}: ${step.errorType ?? 'failed'}: ${step.errorMessage ?? ''} (${Math.round(step.durationMs)} ms)`,
          );
        }
        progress.update(`${nextStepAfter(step.step)}…`);
      });
      if (ended.outcome !== 'succeeded') {
        throw new RotationFailedError(
          trigger,
          secret.name,
          ended.steps.find((step) => !step.ok),
        );
      }
      return ended;
    },
    (done) => `${trigger} rotation of ${secret.name}: ${done.outcome}`,
  );
  const durationMs = Math.round(performance.now() - startedAt);
  const appCallsDuring =
    callsBefore === undefined ? undefined : (deps.app?.callsSoFar() ?? callsBefore) - callsBefore;
  const current = await readCurrentSecret(deps.secretsManager, secret.arn);
  const evidence = await witnessed(deps, secret.arn, {
    previous,
    previousHolder,
    current,
    ledgerBefore,
    noticesBefore,
  });
  const steps = record.steps.map((step) => ({
    step: step.step,
    ok: step.ok,
    durationMs: Math.round(step.durationMs),
    said: stepClause(step.step, evidence),
    ...(step.errorType === undefined ? {} : { errorType: step.errorType }),
  }));
  for (const step of steps) {
    deps.narrator.line('step', `${step.step} (${step.durationMs} ms): ${step.said}`);
  }
  const meanwhile =
    appCallsDuring === undefined ? '' : `; the app made ${appCallsDuring} calls meanwhile`;
  deps.narrator.line(
    'info',
    `key ${describeKey(evidence.previous.key)} → ${describeKey(evidence.current.key)} in ${durationMs} ms${meanwhile}`,
  );
  return {
    previous,
    current,
    fact: {
      secret: secret.name,
      provider: previous.provider,
      trigger,
      token: record.token,
      steps,
      outcome: record.outcome,
      durationMs,
      ...(appCallsDuring === undefined ? {} : { appCallsDuring }),
      previousKey: evidence.previous.key,
      currentKey: evidence.current.key,
      ...userFact('previousUser', previous, evidence.previous),
      ...userFact('currentUser', current, evidence.current),
      revokedKeys: evidence.revoked.map((holder) => holder.key),
      revokeRequested: evidence.revokeRequested,
      previousKeyStatus: evidence.previousStatus,
    },
  };
}

/** The secret before and after the rotation, and what the story saw before it started. */
interface Observed {
  readonly previous: RotatedSecret;
  readonly previousHolder: KeyHolder;
  readonly current: RotatedSecret;
  readonly ledgerBefore: readonly LedgerEntry[];
  readonly noticesBefore: number;
}

/** The evidence of one finished rotation: the ledger's changes, the notices, the old key's status. */
async function witnessed(
  { witness }: RotationRunDependencies,
  secretArn: string,
  before: Observed,
): Promise<RotationEvidence> {
  const { previous, current } = before;
  const revokedBefore = new Set(
    before.ledgerBefore.filter((entry) => entry.status === 'revoked').map((entry) => entry.sha256),
  );
  const ledger = witness.ledger(previous.provider);
  const currentHolder = await holderOf(witness, current);
  // The ledger names users by id; the story names them as the vendor did for each key.
  const users = new Map<string, string>();
  for (const [secret, holder] of [
    [previous, before.previousHolder],
    [current, currentHolder],
  ] as const) {
    if (typeof secret.userId === 'string' && holder.user !== undefined) {
      users.set(secret.userId, holder.user);
    }
  }
  const revokedNow = ledger.filter(
    (entry) => entry.status === 'revoked' && !revokedBefore.has(entry.sha256),
  );
  const holder = (entry: LedgerEntry): KeyHolder => {
    const user = entry.userId === undefined ? undefined : users.get(entry.userId);
    const key = keyOfEntry(entry);
    return user === undefined ? { key } : { key, user };
  };
  // The new user's own earlier key died when createSecret minted; every other one at finishSecret.
  const replacedAtMint = (entry: LedgerEntry): boolean =>
    entry.fingerprint !== before.previousHolder.key.fingerprint &&
    entry.userId !== undefined &&
    entry.userId === current.userId;
  const notices = witness.notices().slice(before.noticesBefore);
  const revokeRequested = ledger
    .filter((entry) => notices.some((notice) => notice.message.includes(entry.fingerprint)))
    .map(keyOfEntry);
  return {
    assisted: builtInProviders.providerOf(previous).staging !== undefined,
    identityCall: IDENTITY_CALLS[previous.provider] ?? 'the identity call',
    previous: before.previousHolder,
    current: currentHolder,
    revoked: revokedNow.filter((entry) => !replacedAtMint(entry)).map(holder),
    replaced: revokedNow.filter(replacedAtMint).map(holder),
    revokeRequested,
    previousStatus: await witness.probe(previous),
    stagedLeft: await witness.hasStaged(secretArn),
  };
}

async function holderOf(witness: RotationWitness, secret: RotatedSecret): Promise<KeyHolder> {
  const key = builtInProviders.keyReference(secret);
  const user = await witness.userOf(secret);
  return user === undefined ? { key } : { key, user };
}

/** `{ [field]: { id, name } }` for a key that belongs to a named user, else nothing. */
function userFact<F extends string>(
  field: F,
  secret: RotatedSecret,
  holder: KeyHolder,
): Partial<Record<F, UserFact>> {
  if (typeof secret.userId !== 'string' || holder.user === undefined) return {};
  return { [field]: { id: secret.userId, name: holder.user } } as Partial<Record<F, UserFact>>;
}

function keyOfEntry(entry: LedgerEntry): KeyReference {
  return entry.keyName === undefined
    ? { fingerprint: entry.fingerprint }
    : { fingerprint: entry.fingerprint, keyName: entry.keyName };
}

export async function readCurrentSecret(
  secretsManager: Pick<SecretsManagerClient, 'send'>,
  arn: string,
): Promise<RotatedSecret> {
  const read = await secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  return builtInProviders.parseSecret(read.SecretString ?? '');
}

const STEP_ORDER = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

function nextStepAfter(step: string): string {
  const index = STEP_ORDER.indexOf(step as (typeof STEP_ORDER)[number]);
  return STEP_ORDER[index + 1] ?? 'finishing';
}
