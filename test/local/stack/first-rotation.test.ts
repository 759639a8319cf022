/**
 * The first rotation after Deploy step 3, in the deployed stack: putting the first key leaves the
 * stack's placeholder as AWSPREVIOUS, which finishSecret must take for "no earlier key" under both
 * revoke policies (it once failed there with SecretFormatError, in every deployed account).
 */
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  type DescribeSecretCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { putFirstPoelisKey, putFirstPolytomicKey, stagePoelisKey } from '../../../local/scenarios';
import { startDeployedWorld, type DeployedWorld } from '../../../local/stack/world';

let deployed: DeployedWorld;

beforeAll(async () => {
  deployed = await startDeployedWorld();
}, 120_000);

afterAll(() => deployed.close());

/** Runs the deployed audit as its schedule does and returns the findings other than `pass`. */
async function auditFindings(): Promise<{ secretName: string; check: string; outcome: string }[]> {
  const { aws } = deployed.world;
  const [schedule] = aws.scheduler.schedules();
  const result = await aws.scheduler.runSchedule(schedule.name, new Date(aws.clock.now()));
  expect(result.ok).toBe(true);
  return (result.payload as { findings: { secretName: string; check: string; outcome: string }[] })
    .findings;
}

async function rotate(secretArn: string): Promise<DescribeSecretCommandOutput> {
  const admin = deployed.clientsAs();
  await admin.secrets.send(new RotateSecretCommand({ SecretId: secretArn }));
  await deployed.world.aws.waitForRotations(secretArn);
  const steps = deployed.world.aws.rotationHistory(secretArn).at(-1)?.steps ?? [];
  expect(steps.map((step) => [step.step, step.ok, step.errorType])).toEqual([
    ['createSecret', true, undefined],
    ['setSecret', true, undefined],
    ['testSecret', true, undefined],
    ['finishSecret', true, undefined],
  ]);
  return admin.secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
}

it('rotates a Poelis secret (next-rotation) whose AWSPREVIOUS is the placeholder', async () => {
  const { world, stack } = deployed;
  const secretArn = stack.secretArns['api-key-rotator/poelis/production'];
  const fixture = await putFirstPoelisKey(world, deployed.clientsAs(), {
    secretArn,
    keyName: 'Production #1',
  });
  // Before any rotation the placeholder is AWSPREVIOUS; the audit takes it for "no earlier key".
  expect(
    (await auditFindings()).filter(
      (f) =>
        f.secretName === 'api-key-rotator/poelis/production' && f.check === 'previous-key-revoked',
    ),
  ).toEqual([]);
  await stagePoelisKey(world, deployed.clientsAs(stack.operatorRoleArn), fixture, 'Production #2');
  const described = await rotate(secretArn);
  expect(Object.values(described.VersionIdsToStages ?? {}).flat()).toEqual(
    expect.arrayContaining(['AWSCURRENT', 'AWSPREVIOUS']),
  );
  // The stack's tag says next-rotation: the audit, like the rotation, keeps AWSPREVIOUS live.
  expect(
    (await auditFindings()).filter(
      (f) =>
        f.secretName === 'api-key-rotator/poelis/production' && f.check === 'previous-key-revoked',
    ),
  ).toEqual([]);
});

it('rotates a Polytomic secret (on-finish) whose AWSPREVIOUS is the placeholder', async () => {
  const { world, stack } = deployed;
  const secretArn = stack.secretArns['api-key-rotator/polytomic/production'];
  if (stack.partnerKeySecretArn === undefined) throw new Error('the stack has no partner key');
  const fixture = await putFirstPolytomicKey(world, deployed.clientsAs(), {
    secretArn,
    partnerKeySecretArn: stack.partnerKeySecretArn,
  });
  await rotate(secretArn);
  // The first key (the primary user's) was revoked at finish; Polytomic revokes by re-issuing.
  const ledger = world.polytomic
    .ledger()
    .filter((entry) => entry.organizationId === fixture.organizationId);
  expect(
    ledger.filter((entry) => entry.userId === fixture.userId).map((entry) => entry.status),
  ).toEqual(['revoked', 'live']);
  expect(
    ledger.filter((entry) => entry.userId === fixture.standbyUserId).map((entry) => entry.status),
  ).toEqual(['live']);
});
