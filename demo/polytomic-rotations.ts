/**
 * The Polytomic chapters: the schedule comes due, then security forces a rotation, while the app
 * keeps calling; after each, the app holds the new key and the vendor refuses the old one.
 */
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { readSecretMetadata } from '../lambda/aws/secret-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppLoop } from './app-loop';
import { runRotation, type RotationRun } from './rotation-run';
import { rotationDependencies, type StoryContext } from './story-context';
import type { OldKeyFact } from './summary';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Calls the app makes after a rotation, so it meets the revoked key and moves on. */
const APP_CALLS_AFTER_ROTATION = 20;

export interface PolytomicRotation {
  readonly run: RotationRun;
  readonly oldKey: OldKeyFact;
}

/**
 * Moves the clock into the secret's next rotation window (its schedule, as the stack set it) and
 * lets Secrets Manager's scheduler start the rotation.
 */
export async function scheduledRotation(
  context: StoryContext,
  app: AppLoop,
): Promise<PolytomicRotation> {
  const { demo, narrator, polytomicSecret } = context;
  const due = await nextRotationDate(context, demo.polytomic.arn);
  const other = await nextRotationDate(context, demo.poelis.arn);
  if (other <= due) {
    throw new Error(
      `${demo.poelis.name} (${demo.poelis.schedule}) comes due no later than ${demo.polytomic.name} (${demo.polytomic.schedule}): the story needs the Polytomic rotation alone to come due first.`,
    );
  }
  const days = (due - demo.clock.now()) / DAY_MS;
  demo.clock.advance(due - demo.clock.now());
  const date = new Date(demo.clock.now()).toISOString().slice(0, 16);
  narrator.line(
    'info',
    `the clock moves ${days.toFixed(1)} days to ${date}Z, the NextRotationDate of ${demo.polytomic.schedule}: the rotation window is open`,
  );
  const run = await runRotation(
    rotationDependencies(context, app),
    polytomicSecret,
    'schedule',
    async () => {
      const historyIndex = demo.world.aws.rotationHistory(polytomicSecret.arn).length;
      const started = await demo.world.aws.runDueRotations();
      if (started !== 1) {
        throw new Error(`Expected one due rotation, the scheduler started ${started}.`);
      }
      return { historyIndex };
    },
  );
  return afterRotation(context, app, run);
}

/** "Rotate secret immediately", as security presses it in the console. */
export async function forcedRotation(
  context: StoryContext,
  app: AppLoop,
): Promise<PolytomicRotation> {
  const { demo, polytomicSecret } = context;
  const run = await runRotation(
    rotationDependencies(context, app),
    polytomicSecret,
    'rotate-immediately',
    async () => {
      // As the console's button does: no rotation settings, no ClientRequestToken of our own.
      // Security presses it: an administrator, allowed to invoke the rotation function.
      const rotated = await demo.principals.administrator.secrets.send(
        new RotateSecretCommand({ SecretId: polytomicSecret.arn }),
      );
      if (rotated.VersionId === undefined) throw new Error('RotateSecret returned no VersionId');
      return { token: rotated.VersionId };
    },
  );
  return afterRotation(context, app, run);
}

async function afterRotation(
  context: StoryContext,
  app: AppLoop,
  run: RotationRun,
): Promise<PolytomicRotation> {
  await waitForAppCalls(app, APP_CALLS_AFTER_ROTATION);
  const held = await app.keyFingerprint();
  const followed = held === run.fact.currentKey.fingerprint;
  context.narrator.line(
    followed ? 'ok' : 'fail',
    `app now holds key ${held}, after ${app.callsSoFar()} calls so far`,
  );
  // finishSecret's clause already told the vendor's answer to the old key, asked right after.
  const oldKey: OldKeyFact = {
    secret: context.polytomicSecret.name,
    ...run.fact.previousKey,
    status: run.fact.previousKeyStatus,
  };
  return { run: { ...run, fact: { ...run.fact, appKeyAfter: held } }, oldKey };
}

/** The last second of the secret's next rotation window, as DescribeSecret reports it. */
async function nextRotationDate({ demo }: StoryContext, secretArn: string): Promise<number> {
  const { nextRotationAt: next } = await readSecretMetadata(
    demo.principals.verifier.secrets,
    secretArn,
  );
  if (next === undefined) throw new Error(`${secretArn} has no NextRotationDate: rotation is off.`);
  return next;
}

export async function waitForAppCalls(app: AppLoop, calls: number): Promise<void> {
  const target = app.callsSoFar() + calls;
  while (app.callsSoFar() < target) await sleep(10);
}
