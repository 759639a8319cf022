/**
 * The story `npm start` tells, in the local world: deploy, an app calling Polytomic through the
 * key reader while a scheduled and a forced rotation run, then a Poelis assisted rotation, the
 * audit, and the facts that must hold at the end.
 */
import { performance } from 'node:perf_hooks';
import type { AuditFinding } from '../lambda/audit/checks';
import { startAppLoop } from './app-loop';
import { assistedRotation } from './assisted-rotation';
import { auditSecrets } from './audit';
import { findOrphanLiveKeys, inventoryHeldKeys } from './key-inventory';
import { checkForLeakedKeys } from './leak-check';
import type { Narrator } from './narrator';
import { forcedRotation, scheduledRotation, waitForAppCalls } from './polytomic-rotations';
import {
  deployDemoWorld,
  POELIS_SCHEDULE,
  POELIS_SECRET_NAME,
  POLYTOMIC_SCHEDULE,
  POLYTOMIC_SECRET_NAME,
  type DemoWorld,
} from './setup';
import type { StoryContext } from './story-context';
import {
  failedFacts,
  type OrphanFact,
  type SecretFact,
  type StoryFacts,
  type StorySummary,
} from './summary';
import type { RecordingOutput } from './terminal';
import { createVendorHttp } from './vendor-http';

/** Calls the app makes before the first rotation, so "before" is observed. */
const APP_CALLS_BEFORE_ROTATION = 20;

/** Runs the whole story and returns its facts; `output` is what the leak check scans. */
export async function runStory(narrator: Narrator, output: RecordingOutput): Promise<StorySummary> {
  const startedAt = performance.now();
  narrator.chapter('Deploy into the local world (no AWS account)');
  const demo = await narrator.task(
    'starting the AWS emulator, the Lambda runner and the vendor simulators',
    () => deployDemoWorld(),
    (deployed) => `deployed: rotation function ${deployed.functionArn}`,
  );
  const vendorHttp = createVendorHttp(demo.world.urls);
  try {
    const context: StoryContext = {
      demo,
      narrator,
      http: vendorHttp.http,
      polytomicSecret: { name: POLYTOMIC_SECRET_NAME, arn: demo.polytomic.secretArn },
      poelisSecret: { name: POELIS_SECRET_NAME, arn: demo.poelis.secretArn },
    };
    describeDeployment(context);
    const facts: StoryFacts = {
      ...(await tellStory(context)),
      durationMs: Math.round(performance.now() - startedAt),
    };
    // Everything printed so far plus the summary about to be printed: no issued key in either.
    const leakCheck = checkForLeakedKeys(
      output.recorded() + JSON.stringify(facts),
      demo.functionLog,
      [demo.world.polytomic, demo.world.poelis],
    );
    const failures = failedFacts(facts, leakCheck);
    return { ok: failures.length === 0, failures, ...facts, leakCheck };
  } finally {
    await vendorHttp.close();
    await demo.close();
  }
}

async function tellStory(context: StoryContext): Promise<Omit<StoryFacts, 'durationMs'>> {
  const { demo, narrator } = context;
  narrator.chapter('The app calls Polytomic through the key reader');
  const app = startAppLoop({
    secretsManager: demo.clients.secrets,
    secretArn: demo.polytomic.secretArn,
    polytomicUrl: demo.world.urls.polytomic,
  });
  let appStopped = false;
  try {
    await waitForAppCalls(app, APP_CALLS_BEFORE_ROTATION);
    narrator.line(
      'info',
      `app holds key ${await app.keyFingerprint()} and keeps calling GET /api/me`,
    );

    narrator.chapter(`${POLYTOMIC_SCHEDULE} comes due`);
    const scheduled = await scheduledRotation(context, app);
    narrator.chapter('Security presses "Rotate secret immediately"');
    const forced = await forcedRotation(context, app);
    const appCalls = await app.stop();
    appStopped = true;
    narrator.line(
      appCalls.failed === 0 ? 'ok' : 'fail',
      `app: ${appCalls.total} calls during both rotations, ${appCalls.failed} failed; ${appCalls.recoveredAfter401} recovered from a 401 by re-reading the secret`,
    );

    narrator.chapter('Poelis: an assisted rotation');
    const assisted = await assistedRotation(context);

    narrator.chapter('The audit');
    const audit = await runAudit(context);

    narrator.chapter('No key left behind');
    const orphanLiveKeys = await findOrphans(context);
    return {
      deployment: {
        kmsKeyArn: demo.kmsKeyArn,
        notificationTopicArn: demo.topicArn,
        rotationFunctionArn: demo.functionArn,
      },
      secrets: secretFacts(demo),
      rotations: [scheduled.run.fact, forced.run.fact, assisted.run.fact],
      appCalls,
      oldKeysDead: [scheduled.oldKey, forced.oldKey, assisted.oldKey],
      reminder: assisted.reminder,
      orphanLiveKeys,
      audit,
    };
  } finally {
    if (!appStopped) await app.stop();
  }
}

function describeDeployment({ demo, narrator }: StoryContext): void {
  narrator.line('info', `customer-managed KMS key ${demo.kmsKeyArn}`);
  narrator.line('info', `notification topic ${demo.topicArn}`);
  narrator.line(
    'info',
    'the function runs dist/lambda/rotation/index.js with ROTATOR_REQUIRE_CUSTOMER_MANAGED_KEY=true',
  );
  narrator.line(
    'ok',
    `${POLYTOMIC_SECRET_NAME} (two service users): rotation ${POLYTOMIC_SCHEDULE}, current key tested`,
  );
  narrator.line('ok', `${POELIS_SECRET_NAME}: rotation ${POELIS_SCHEDULE}, current key tested`);
}

async function runAudit({ demo, narrator, http }: StoryContext): Promise<AuditFinding[]> {
  const secretArns = [demo.polytomic.secretArn, demo.poelis.secretArn];
  const findings = await narrator.task(
    'auditing both secrets',
    () =>
      auditSecrets(
        {
          secretsManager: demo.clients.secrets,
          kms: demo.clients.kms,
          http,
          now: () => demo.clock.now(),
          expectedKmsKeyArn: demo.kmsKeyArn,
        },
        secretArns,
      ),
    (done) => `audit: ${done.length} findings on ${secretArns.length} secrets`,
  );
  for (const finding of findings) {
    narrator.line(
      finding.outcome === 'pass' ? 'ok' : 'fail',
      `${finding.secretName} ${finding.check}: ${finding.message}`,
    );
  }
  return findings;
}

async function findOrphans({ demo, narrator }: StoryContext): Promise<OrphanFact> {
  const held = await inventoryHeldKeys(demo.clients.secrets, [
    { arn: demo.polytomic.secretArn, kind: 'managed' },
    { arn: demo.polytomic.partnerKeySecretArn, kind: 'partner-key' },
    { arn: demo.poelis.secretArn, kind: 'managed' },
  ]);
  const ledger = [...demo.world.polytomic.ledger(), ...demo.world.poelis.ledger()];
  const orphans = findOrphanLiveKeys(ledger, held);
  const live = ledger.filter((entry) => entry.status === 'live').length;
  narrator.line(
    orphans.count === 0 ? 'ok' : 'fail',
    `${live} live keys at the vendors: ${held.current.size} held by AWSCURRENT, ${orphans.discardedReissues} Polytomic revocation re-issue never stored, ${orphans.count} orphans`,
  );
  return orphans;
}

function secretFacts(demo: DemoWorld): SecretFact[] {
  const { polytomic, poelis } = demo;
  return [
    {
      name: POLYTOMIC_SECRET_NAME,
      arn: polytomic.secretArn,
      provider: 'polytomic',
      organizationId: polytomic.organizationId,
      userIds: [polytomic.userId, ...(polytomic.standbyUserId ? [polytomic.standbyUserId] : [])],
    },
    {
      name: POELIS_SECRET_NAME,
      arn: poelis.secretArn,
      provider: 'poelis',
      organizationId: poelis.organizationId,
      userIds: [],
    },
  ];
}
