/**
 * The Polytomic chapters: the schedule comes due, then security forces a rotation, while the app
 * keeps calling; after each, the app holds the new key and the vendor refuses the old one.
 */
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppLoop } from './app-loop';
import { runRotation, type RotationRun } from './rotation-run';
import { probeOldKey, rotationDependencies, type StoryContext } from './story-context';
import type { OldKeyFact } from './summary';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Past the 30-day schedule's window, short of the Poelis secret's 90-day one. */
export const TIME_JUMP_DAYS = 31;
/** Calls the app makes after a rotation, so it meets the revoked key and moves on. */
const APP_CALLS_AFTER_ROTATION = 20;

export interface PolytomicRotation {
  readonly run: RotationRun;
  readonly oldKey: OldKeyFact;
}

/** Moves the clock past the rotation window and lets Secrets Manager's scheduler start the rotation. */
export async function scheduledRotation(
  context: StoryContext,
  app: AppLoop,
): Promise<PolytomicRotation> {
  const { demo, narrator, polytomicSecret } = context;
  demo.clock.advance(TIME_JUMP_DAYS * DAY_MS);
  const date = new Date(demo.clock.now()).toISOString().slice(0, 16);
  narrator.line(
    'info',
    `the clock moves ${TIME_JUMP_DAYS} days to ${date}Z: the rotation window opens`,
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
      const rotated = await demo.clients.secrets.send(
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
  const oldKey = await probeOldKey(context, context.polytomicSecret, run.previous);
  return { run: { ...run, fact: { ...run.fact, appKeyAfter: held } }, oldKey };
}

export async function waitForAppCalls(app: AppLoop, calls: number): Promise<void> {
  const target = app.callsSoFar() + calls;
  while (app.callsSoFar() < target) await sleep(10);
}
