/** What every chapter of the story works with, and the checks they share. */
import { readSecretMetadata, versionIdWithStage } from '../lambda/aws/secret-metadata';
import type { HttpClient } from '../lambda/http/client';
import { builtInProviders } from '../lambda/providers/registry';
import { describeKey } from '../lambda/shared/key-reference';
import { STAGED_LABEL, type RotatedSecret } from '../lambda/shared/secret';
import type { AppLoop } from './app-loop';
import { keyUserName } from './identity';
import { probeKey } from './key-probe';
import type { Narrator } from './narrator';
import type { RotatedSecretRef, RotationRunDependencies, RotationWitness } from './rotation-run';
import type { DemoWorld } from './setup';
import type { OldKeyFact } from './summary';

export interface StoryContext {
  readonly demo: DemoWorld;
  readonly narrator: Narrator;
  /** The rotator's vendor HTTP client, for probes and the audit. */
  readonly http: HttpClient;
  readonly polytomicSecret: RotatedSecretRef;
  readonly poelisSecret: RotatedSecretRef;
}

/** Following a rotation: the keys before and after are read as the verifier (see DemoPrincipals). */
export function rotationDependencies(
  context: StoryContext,
  app?: AppLoop,
): RotationRunDependencies {
  const { demo } = context;
  const witness: RotationWitness = {
    ledger: (provider) =>
      provider === 'poelis' ? demo.world.poelis.ledger() : demo.world.polytomic.ledger(),
    notices: () => demo.world.aws.publishedMessages(demo.stack.topicArn),
    probe: (secret) => probeKey(context.http, secret),
    userOf: (secret) => keyUserName(context.http, secret),
    hasStaged: async (secretArn) =>
      versionIdWithStage(
        await readSecretMetadata(demo.principals.verifier.secrets, secretArn),
        STAGED_LABEL,
      ) !== undefined,
  };
  return {
    emulator: demo.world.aws,
    secretsManager: demo.principals.verifier.secrets,
    narrator: context.narrator,
    witness,
    ...(app === undefined ? {} : { app }),
  };
}

/** The status the vendor gives a replaced key now (200: live, 401: dead). */
export function probeReplacedKey(context: StoryContext, previous: RotatedSecret): Promise<number> {
  return probeKey(context.http, previous);
}

/** Asks the vendor about a replaced key and reports what it answered (401: dead). */
export async function probeOldKey(
  context: StoryContext,
  secret: RotatedSecretRef,
  previous: RotatedSecret,
): Promise<OldKeyFact> {
  const status = await probeReplacedKey(context, previous);
  const key = builtInProviders.keyReference(previous);
  context.narrator.line(
    status === 401 ? 'ok' : 'fail',
    `old key ${describeKey(key)} → ${status} from the vendor`,
  );
  return { secret: secret.name, ...key, status };
}
