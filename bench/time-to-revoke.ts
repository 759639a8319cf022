/**
 * Figure 8, time to revoke: how long after "Rotate secret immediately" the old key is dead, on
 * the deployed stack, against the same vendor calls made directly from a script. Polytomic: until
 * the vendor first answers 401 for the old key (probed back to back). Poelis, whose keys are
 * revoked only in the web app: until the reminder naming the old key is published.
 * `next-rotation` keeps the old key through one rotation: measured to the following rotation.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PoelisFixture, PolytomicFixture } from '../local/scenarios';
import {
  assertRotated,
  forceRotation,
  putPoelisKey,
  putPolytomicKey,
  stageKey,
  startDeployedBench,
  type DeployedBench,
} from './deployed';
import { formatMs, formatRatio, formatSpread, ratio, summarize, type Summary } from './stats';
import type { BenchOptions, FigureResult, FigureRow } from './types';
import { VendorCalls } from './vendor-calls';

const GOAL_RATIO = 1.2;
const PROBE_TIMEOUT_MS = 60_000;

type Policy = 'on-finish' | 'next-rotation';

interface Case {
  readonly label: string;
  readonly provider: 'polytomic' | 'poelis';
  readonly policy: Policy;
  /** One measurement: ms from RotateSecret to the old key's end. */
  measure(): Promise<number>;
  /** The same vendor calls, made directly: ms to the old key's end. */
  direct(): Promise<number>;
}

export async function timeToRevoke(options: BenchOptions): Promise<FigureResult> {
  const runs = options.quick ? 1 : 10;
  const bench = await startDeployedBench();
  const vendor = new VendorCalls(bench.world.urls);
  const app = new SecretsManagerClient({
    endpoint: bench.world.urls.aws,
    region: bench.world.aws.region,
    credentials: bench.appCredentials(),
  });
  try {
    const currentKey = async (secretArn: string): Promise<string> => {
      const output = await app.send(new GetSecretValueCommand({ SecretId: secretArn }));
      return (JSON.parse(output.SecretString ?? '{}') as { apiKey: string }).apiKey;
    };
    const cases: Case[] = [
      await polytomicCase(bench, vendor, currentKey, 'on-finish'),
      await polytomicCase(bench, vendor, currentKey, 'next-rotation'),
      await poelisCase(bench, vendor, 'on-finish'),
      await poelisCase(bench, vendor, 'next-rotation'),
    ];
    const results: { label: string; ours: Summary; direct: Summary; ratio: number | undefined }[] =
      [];
    for (const testCase of cases) {
      // A warm container and a steady state (next-rotation's previous key) before counting.
      await testCase.measure();
      const ours: number[] = [];
      const direct: number[] = [];
      for (let run = 0; run < runs; run++) {
        ours.push(await testCase.measure());
        direct.push(await testCase.direct());
      }
      const oursSummary = summarize(ours);
      const directSummary = summarize(direct);
      results.push({
        label: testCase.label,
        ours: oursSummary,
        direct: directSummary,
        ratio: ratio(oursSummary.median, directSummary.median),
      });
    }
    const rows: FigureRow[] = results.map((result) => ({
      measure: result.label,
      value: formatSpread(result.ours, formatMs),
      baseline: formatSpread(result.direct, formatMs),
      ratio: formatRatio(result.ratio),
    }));
    return {
      id: 'timeToRevoke',
      title: '8. Time to revoke (RotateSecret → old key dead, on the deployed stack)',
      goal: `≤ ${GOAL_RATIO}× the same vendor calls made directly, both policies, both vendors`,
      goalMet: results.every((r) => r.ratio !== undefined && r.ratio <= GOAL_RATIO),
      rows,
      notes: [
        `Polytomic (two users): from RotateSecret by the administrator to the first 401 for the old key, probed back to back with the identity call; baseline: a script issues the new key, checks it and re-issues the old user's key (force) over HTTP, same probe. ${runs} runs each, interleaved, after one warm-up.`,
        "next-rotation keeps the old key live through the rotation and revokes it in the following one: measured from the first RotateSecret to the 401 during the second (the second starts as soon as the first finished); baseline: the two rotations' vendor calls.",
        'Poelis keys are revoked only in the web app: measured to the SNS reminder that names the old key (an operator staged the next key first); baseline: the identity check of the staged key, after which a script would tell the operator at once.',
        'On loopback a vendor call takes about a millisecond, so the ratio is bounded by the fixed cost of a rotation (RotateSecret, four Lambda invocations, their Secrets Manager and KMS calls), which vendor calls of tens of milliseconds would dwarf on the internet.',
        `IAM denials during the run: ${bench.denials.length}.`,
      ],
      data: { runs, results },
    };
  } finally {
    app.destroy();
    await vendor.close();
    await bench.close();
  }
}

type CurrentKey = (secretArn: string) => Promise<string>;

async function polytomicCase(
  bench: DeployedBench,
  vendor: VendorCalls,
  currentKey: CurrentKey,
  policy: Policy,
): Promise<Case> {
  const name =
    policy === 'on-finish' ? 'bench/polytomic-two-user' : 'bench/polytomic-next-rotation';
  const fixture: PolytomicFixture = await putPolytomicKey(bench, name, { standby: true });
  const rotationsToRevoke = policy === 'on-finish' ? 1 : 2;
  // The script's own account: a partner key and two users, as the secret has.
  const { admin } = bench.world.polytomic;
  const organizationId = admin.createOrganization('direct').id;
  const users = [1, 2].map((n) => admin.createUser(organizationId, `direct-${n}@example.com`).id);
  const partnerKey = admin.createPartnerKey();
  let live = { user: 0, key: admin.issueUserKey(organizationId, users[0]) };
  return {
    label: `Polytomic, ${policy}${policy === 'next-rotation' ? ' (to the following rotation)' : ''}`,
    provider: 'polytomic',
    policy,
    async measure() {
      return msUntilRejected(vendor, await currentKey(fixture.secretArn), async () => {
        for (let i = 0; i < rotationsToRevoke; i++) {
          await forceRotation(bench, fixture.secretArn);
          await bench.world.aws.waitForRotations(fixture.secretArn);
          assertRotated(bench, fixture.secretArn);
        }
      });
    },
    direct() {
      return msUntilRejected(vendor, live.key, async () => {
        // One rotation: issue for the other user, check it; on-finish revokes the old user's key.
        // next-rotation: the second rotation's issue (force) is what revokes the first key.
        for (let i = 0; i < rotationsToRevoke; i++) {
          const next = 1 - live.user;
          const key = await vendor.issuePolytomicKey(partnerKey, organizationId, users[next]);
          await vendor.authenticates('polytomic', key);
          if (policy === 'on-finish') {
            await vendor.issuePolytomicKey(partnerKey, organizationId, users[live.user]);
          }
          live = { user: next, key };
        }
      });
    },
  };
}

async function poelisCase(
  bench: DeployedBench,
  vendor: VendorCalls,
  policy: Policy,
): Promise<Case> {
  const name = policy === 'on-finish' ? 'bench/poelis' : 'bench/poelis-next-rotation';
  const fixture: PoelisFixture = await putPoelisKey(bench, name);
  const rotationsToRevoke = policy === 'on-finish' ? 1 : 2;
  const base = fixture.keyName.replace(/ #\d+$/, '');
  let current = fixture.keyName;
  let staged = 1;
  return {
    label: `Poelis, ${policy}${policy === 'next-rotation' ? ' (to the following rotation)' : ''}, to the reminder`,
    provider: 'poelis',
    policy,
    async measure() {
      const oldName = current;
      const published = bench.world.aws.publishedMessages(bench.stack.topicArn).length;
      const started = performance.now();
      for (let i = 0; i < rotationsToRevoke; i++) {
        staged += 1;
        current = await stageKey(bench, fixture, `${base} #${staged}`);
        await forceRotation(bench, fixture.secretArn);
        if (i < rotationsToRevoke - 1) {
          await bench.world.aws.waitForRotations(fixture.secretArn);
          assertRotated(bench, fixture.secretArn);
        }
      }
      const remindedAt = await reminderNaming(bench, oldName, published);
      await bench.world.aws.waitForRotations(fixture.secretArn);
      assertRotated(bench, fixture.secretArn);
      // The operator revokes it in the web app, as reminded.
      bench.world.poelis.admin.revokeKey(fixture.organizationId, oldName);
      return remindedAt - started;
    },
    async direct() {
      const key = bench.world.poelis.admin.createKey(fixture.organizationId, `${base} direct`);
      const started = performance.now();
      for (let i = 0; i < rotationsToRevoke; i++) await vendor.authenticates('poelis', key);
      const elapsed = performance.now() - started;
      bench.world.poelis.admin.revokeKey(fixture.organizationId, `${base} direct`);
      return elapsed;
    },
  };
}

/** Ms from now until Polytomic first answers 401 for `key`, probed while `work` runs. */
async function msUntilRejected(
  vendor: VendorCalls,
  key: string,
  work: () => Promise<void>,
): Promise<number> {
  const started = performance.now();
  const rejected = vendor.firstRejection(
    'polytomic',
    key,
    () => performance.now(),
    PROBE_TIMEOUT_MS,
  );
  // Observed now, awaited below: a failing `work` must not leave the probe's rejection unhandled.
  rejected.catch(() => undefined);
  await work();
  return (await rejected) - started;
}

/** When (performance.now()) a message published after the first `skip` names the key `keyName`. */
async function reminderNaming(
  bench: DeployedBench,
  keyName: string,
  skip: number,
): Promise<number> {
  const deadline = performance.now() + PROBE_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const messages = bench.world.aws.publishedMessages(bench.stack.topicArn).slice(skip);
    if (
      messages.some((m) => m.subject?.startsWith('Revoke the old') && m.message.includes(keyName))
    ) {
      return performance.now();
    }
    await sleep(1);
  }
  throw new Error(`No reminder to revoke ${keyName} within ${PROBE_TIMEOUT_MS} ms`);
}
