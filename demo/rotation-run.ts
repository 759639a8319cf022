/**
 * One rotation as the story shows it: start it, follow its four steps live with their timings,
 * and name the key before and after.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { performance } from 'node:perf_hooks';
import { builtInProviders } from '../lambda/providers/registry';
import { describeKey } from '../lambda/shared/key-reference';
import type { RotatedSecret } from '../lambda/shared/secret';
import type { AwsEmulator, StepRecord } from '../local/aws';
import type { AppLoop } from './app-loop';
import type { Narrator } from './narrator';
import { followRotation, type RotationSelector } from './rotation-watch';
import type { RotationFact, RotationTrigger } from './summary';

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
}

/** `start` triggers the rotation and says how to find it in the history. */
export async function runRotation(
  deps: RotationRunDependencies,
  secret: RotatedSecretRef,
  trigger: RotationTrigger,
  start: () => Promise<RotationSelector>,
): Promise<RotationRun> {
  const previous = await readCurrentSecret(deps.secretsManager, secret.arn);
  const startedAt = performance.now();
  const callsBefore = deps.app?.callsSoFar();
  const record = await deps.narrator.task(
    `${trigger} rotation of ${secret.name}`,
    async (progress) => {
      const selector = await start();
      progress.update('createSecret…');
      const ended = await followRotation(deps.emulator, secret.arn, selector, (step) => {
        const mark = step.ok ? 'step' : 'fail';
        const failure = step.ok
          ? ''
          : ` — ${step.errorType ?? 'failed'}: ${step.errorMessage ?? ''}`;
        const duration = `${Math.round(step.durationMs)} ms`.padStart(8);
        progress.line(mark, `${step.step.padEnd(13)}${duration}${failure}`);
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
  const meanwhile =
    appCallsDuring === undefined ? '' : `; the app made ${appCallsDuring} calls meanwhile`;
  deps.narrator.line(
    'info',
    `key ${describeKey(builtInProviders.keyReference(previous))} → ${describeKey(builtInProviders.keyReference(current))} in ${durationMs} ms${meanwhile}`,
  );
  return {
    previous,
    current,
    fact: {
      secret: secret.name,
      provider: previous.provider,
      trigger,
      token: record.token,
      steps: record.steps.map((step) => ({
        step: step.step,
        ok: step.ok,
        durationMs: Math.round(step.durationMs),
        ...(step.errorType === undefined ? {} : { errorType: step.errorType }),
      })),
      outcome: record.outcome,
      durationMs,
      ...(appCallsDuring === undefined ? {} : { appCallsDuring }),
      previousKey: builtInProviders.keyReference(previous),
      currentKey: builtInProviders.keyReference(current),
    },
  };
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
