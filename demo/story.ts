/**
 * The story `npm start` tells, in the local world: the stack synthesized from the config and
 * deployed with authorization on, an app calling Polytomic through the key reader while a scheduled
 * and a forced rotation run, then a Poelis assisted rotation, the audit, and the facts that must
 * hold at the end. Every call is signed as the role of whoever would make it (see DemoPrincipals).
 */
import { relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AuditFinding } from '../lambda/audit/checks';
import { FunctionEnv } from '../lambda/shared/contracts';
import { afterRotationChapters } from './after-rotation';
import { startAppLoop } from './app-loop';
import { assistedRotation } from './assisted-rotation';
import { auditSecrets } from './audit';
import { findOrphanLiveKeys, inventoryHeldKeys } from './key-inventory';
import { checkForLeakedKeys } from './leak-check';
import type { Narrator, TaskProgress } from './narrator';
import { forcedRotation, scheduledRotation, waitForAppCalls } from './polytomic-rotations';
import { deployDemoWorld, type DemoSecret, type DemoWorld } from './setup';
import type { StoryContext } from './story-context';
import {
  failedFacts,
  type OrphanFact,
  type PrincipalsFact,
  type RotationFact,
  type SecretFact,
  type StoryFacts,
  type StorySummary,
} from './summary';
import type { RecordingOutput } from './terminal';
import { createVendorHttp } from './vendor-http';

export interface StoryOptions {
  /** The config to synthesize and deploy. @default config/example.json */
  readonly configPath?: string;
}

/** Calls the app makes before the first rotation, so "before" is observed. */
const APP_CALLS_BEFORE_ROTATION = 20;

/** How the Polytomic rotations keep the app working, said before they run. */
const ZERO_DOWNTIME =
  "zero downtime: two Polytomic users take turns, so each rotation mints the new key for the idle user and the app's key works until finishSecret revokes it; a call that then gets a 401 makes the key reader re-read the secret and retry once";

/** Runs the whole story and returns its facts; `output` is what the leak check scans. */
export async function runStory(
  narrator: Narrator,
  output: RecordingOutput,
  options: StoryOptions = {},
): Promise<StorySummary> {
  const startedAt = performance.now();
  narrator.chapter('Deploy the stack into the local world (no AWS account)');
  const demo = await narrator.task(
    'synthesizing the app and deploying its template',
    (progress) =>
      deployDemoWorld({ configPath: options.configPath, onProgress: deployProgress(progress) }),
    (deployed) =>
      `stack ${deployed.stack.stackName}: ${deployed.stack.deployed.resources.size} resources created from the synthesized template (cdk.out), authorization on`,
  );
  const vendorHttp = createVendorHttp(demo.world.urls);
  try {
    const context: StoryContext = {
      demo,
      narrator,
      http: vendorHttp.http,
      polytomicSecret: demo.polytomic,
      poelisSecret: demo.poelis,
    };
    describeDeployment(context);
    const facts: StoryFacts = {
      ...(await tellStory(context)),
      durationMs: Math.round(performance.now() - startedAt),
    };
    // Everything printed so far plus the summary about to be printed: no issued key in either.
    const leakCheck = checkForLeakedKeys(
      // The events on the bus too: no key may reach a consumer.
      output.recorded() + JSON.stringify(facts) + JSON.stringify(demo.world.aws.events.received()),
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

/**
 * Synthesis and deploy progress as the story shows it: what is being done as lines, each
 * resource CloudFormation creates beside the progress indicator only.
 */
function deployProgress(progress: TaskProgress): (line: string) => void {
  const startedAt = performance.now();
  let resources = 0;
  const seconds = (): string => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
  return (line) => {
    if (line.startsWith('CREATE_COMPLETE ')) {
      resources += 1;
      progress.update(`${resources} created: ${line.slice('CREATE_COMPLETE '.length)}`);
    } else if (/^[A-Z_]+ /.test(line)) {
      progress.update(line);
    } else if (line.startsWith('synthesizing ')) {
      progress.line('info', `${line} (15–30 s, the first time only: cached after)`);
    } else if (line.startsWith('still synthesizing')) {
      // A heartbeat beside the progress indicator, not a line of the story.
      progress.update(`still synthesizing… ${seconds()}`);
    } else if (line.startsWith('deploying ')) {
      progress.line(
        'info',
        `${line} as CloudFormation's execution role, every call authorized (${seconds()})`,
      );
    } else {
      progress.line('info', line);
    }
  };
}

async function tellStory(context: StoryContext): Promise<Omit<StoryFacts, 'durationMs'>> {
  const { demo, narrator } = context;
  narrator.chapter('The app calls Polytomic through the key reader');
  narrator.line('info', `the app reads ${demo.polytomic.name} as ${demo.roleArns.app}`);
  const app = startAppLoop({
    secretsManager: demo.principals.app.secrets,
    secretArn: demo.polytomic.arn,
    polytomicUrl: demo.world.urls.polytomic,
  });
  let appStopped = false;
  try {
    await waitForAppCalls(app, APP_CALLS_BEFORE_ROTATION);
    narrator.line(
      'info',
      `app holds key ${await app.keyFingerprint()} and keeps calling GET /api/me`,
    );
    narrator.line('info', ZERO_DOWNTIME);

    narrator.chapter(`${demo.polytomic.schedule} comes due`);
    const scheduled = await scheduledRotation(context, app);
    narrator.chapter('Security presses "Rotate secret immediately"');
    narrator.line('info', `as ${demo.roleArns.administrator}`);
    const forced = await forcedRotation(context, app);
    const appCalls = await app.stop();
    appStopped = true;
    narrator.line(
      appCalls.failed === 0 ? 'ok' : 'fail',
      `app: ${appCalls.total} calls during both rotations, ${appCalls.failed} failed; ${appCalls.recoveredAfter401} met a revoked key (401), re-read the secret and succeeded on their one retry`,
    );

    narrator.chapter(
      demo.poelis.revokePolicy === 'next-rotation'
        ? 'Poelis: two assisted rotations'
        : 'Poelis: an assisted rotation',
    );
    narrator.line('info', `the operator works as ${demo.roleArns.operator} (the README's policy)`);
    const assisted = await assistedRotation(context);

    narrator.chapter('The audit');
    const audit = await runAudit(context);

    narrator.chapter('No key left behind');
    const rotations = [
      scheduled.run.fact,
      forced.run.fact,
      ...assisted.runs.map((run) => run.fact),
    ];
    const orphanLiveKeys = await findOrphans(context, userNamesOf(rotations));
    const afterRotation = await afterRotationChapters(context);
    return {
      deployment: {
        config: relative(process.cwd(), demo.configPath),
        stackName: demo.stack.stackName,
        resourcesCreated: demo.stack.deployed.resources.size,
        kmsKeyArn: demo.stack.kmsKeyArn,
        notificationTopicArn: demo.stack.topicArn,
        rotationFunctionArn: demo.stack.rotationFunctionArn,
        auditFunctionArn: demo.stack.auditFunctionArn,
      },
      principals: principalsFact(demo),
      secrets: secretFacts(demo),
      rotations,
      appCalls,
      oldKeysDead: [scheduled.oldKey, forced.oldKey, assisted.oldKey],
      oldKeysKept: assisted.keptKey === undefined ? [] : [assisted.keptKey],
      reminder: assisted.reminder,
      revocationAlarm: assisted.alarm,
      orphanLiveKeys,
      audit,
      afterRotation,
      authorization: {
        operatorIsReader: assisted.operatorRead.operatorIsReader,
        operatorReadValue: assisted.operatorRead.outcome,
        expectedDenials: assisted.operatorRead.denials,
        unexpectedDenials: demo.denials.filter(
          (denial) => !assisted.operatorRead.denials.includes(denial),
        ),
      },
    };
  } finally {
    if (!appStopped) await app.stop();
  }
}

function describeDeployment({ demo, narrator }: StoryContext): void {
  const { stack } = demo;
  const rotationFunction = demo.world.aws.lambda
    .functions()
    .find((fn) => fn.arn === stack.rotationFunctionArn);
  const requireCmk =
    rotationFunction?.environment[FunctionEnv.RequireCustomerManagedKey] ?? 'unset';
  narrator.line('info', `customer-managed KMS key ${stack.kmsKeyArn}`);
  narrator.line('info', `notification topic ${stack.topicArn}`);
  narrator.line(
    'info',
    `rotation function ${rotationFunction?.name ?? stack.rotationFunctionArn} runs the template's asset (dist/lambda/rotation/index.js) with ${FunctionEnv.RequireCustomerManagedKey}=${requireCmk}`,
  );
  narrator.line(
    'info',
    `audit function on EventBridge Scheduler ${stack.config.audit.schedule}${stack.config.audit.enabled ? '' : ' (paused)'}`,
  );
  narrator.line(
    'ok',
    `an administrator puts the first keys (README "Deploy" step 3) as ${demo.roleArns.administrator}`,
  );
  for (const secret of [demo.polytomic, demo.poelis]) {
    narrator.line(
      'ok',
      describeSecret(secret, secret === demo.polytomic ? ' (two service users)' : ''),
    );
  }
}

function describeSecret(secret: DemoSecret, detail: string): string {
  return `${secret.name}${detail}: rotation ${secret.schedule}, window ${secret.rotationWindowHours}h, revokePolicy ${secret.revokePolicy}; readable by ${secret.readerRoleArns.join(', ') || 'no app'} and the stack's functions`;
}

async function runAudit({ demo, narrator, http }: StoryContext): Promise<AuditFinding[]> {
  const secretArns = [demo.polytomic.arn, demo.poelis.arn];
  const findings = await narrator.task(
    `auditing both secrets as the audit function's role`,
    () =>
      auditSecrets(
        {
          secretsManager: demo.principals.auditor.secrets,
          kms: demo.principals.auditor.kms,
          http,
          now: () => demo.clock.now(),
          expectedKmsKeyArn: demo.stack.kmsKeyArn,
        },
        secretArns,
      ),
    (done) => {
      const passed = done.filter((finding) => finding.outcome === 'pass').length;
      return passed === done.length
        ? `audit: ${passed} checks on ${secretArns.length} secrets, all passed`
        : `audit: ${passed} of ${done.length} checks on ${secretArns.length} secrets passed`;
    },
  );
  for (const finding of findings) {
    narrator.line(
      finding.outcome === 'pass' ? 'ok' : 'fail',
      `${finding.secretName} ${finding.check}: ${finding.message}`,
    );
  }
  return findings;
}

/** One line per kind of live key, each count as the ledger showed it. */
function accountedFor(orphans: OrphanFact, userNames: ReadonlyMap<string, string>): string[] {
  const users = orphans.reissuedForUserIds.map((id) => `user ${userNames.get(id) ?? id}`);
  return [
    `${orphans.currentKeys} in AWSCURRENT of the managed secrets: the keys apps use`,
    `${orphans.partnerKeys} Polytomic partner key, in its own secret: the rotation's credential, never rotated here`,
    ...(orphans.keptByPolicy === 0
      ? []
      : [
          `${orphans.keptByPolicy} AWSPREVIOUS kept live by revokePolicy next-rotation until the next rotation`,
        ]),
    ...(orphans.discardedReissues === 0
      ? []
      : [
          `${orphans.discardedReissues} held by no one (${users.join(', ')}): Polytomic revokes a key only by issuing its user a new one; the function discarded that value unseen, and the user's next rotation replaces it`,
        ]),
  ];
}

/** Each vendor user the rotations met, by id: the name the story calls it by. */
function userNamesOf(rotations: readonly RotationFact[]): Map<string, string> {
  return new Map(
    rotations
      .flatMap((rotation) => [rotation.previousUser, rotation.currentUser])
      .filter((user) => user !== undefined)
      .map((user) => [user.id, user.name]),
  );
}

async function findOrphans(
  { demo, narrator }: StoryContext,
  userNames: ReadonlyMap<string, string>,
): Promise<OrphanFact> {
  const held = await inventoryHeldKeys(
    {
      // The audit's role lists every version of a managed secret (deprecated ones too) and reads
      // each; the rotation function's role, the only reader of the partner key, reads that.
      managed: demo.principals.auditor.secrets,
      partnerKey: demo.principals.verifier.secrets,
    },
    [
      { arn: demo.polytomic.arn, kind: 'managed', revokePolicy: demo.polytomic.revokePolicy },
      { arn: demo.polytomic.partnerKeySecretArn, kind: 'partner-key' },
      { arn: demo.poelis.arn, kind: 'managed', revokePolicy: demo.poelis.revokePolicy },
    ],
  );
  const ledger = [...demo.world.polytomic.ledger(), ...demo.world.poelis.ledger()];
  const orphans = findOrphanLiveKeys(ledger, held);
  const live = ledger.filter((entry) => entry.status === 'live').length;
  narrator.line('info', `${live} live keys at the vendors, each one accounted for:`);
  for (const line of accountedFor(orphans, userNames)) narrator.line('step', line);
  narrator.line(
    orphans.count === 0 ? 'ok' : 'fail',
    orphans.count === 0
      ? '0 orphans: no live key that nothing holds'
      : `${orphans.count} orphans: ${orphans.fingerprints.join(', ')}`,
  );
  return orphans;
}

function principalsFact(demo: DemoWorld): PrincipalsFact {
  return { ...demo.roleArns };
}

function secretFacts(demo: DemoWorld): SecretFact[] {
  const { polytomic, poelis } = demo;
  return [
    {
      name: polytomic.name,
      arn: polytomic.arn,
      provider: 'polytomic',
      schedule: polytomic.schedule,
      revokePolicy: polytomic.revokePolicy,
      organizationId: polytomic.organizationId,
      userIds: [polytomic.userId, ...(polytomic.standbyUserId ? [polytomic.standbyUserId] : [])],
    },
    {
      name: poelis.name,
      arn: poelis.arn,
      provider: 'poelis',
      schedule: poelis.schedule,
      revokePolicy: poelis.revokePolicy,
      organizationId: poelis.organizationId,
      userIds: [],
    },
  ];
}
