/**
 * The deploy-equivalent set-up in the local world: what `cdk deploy` plus a platform engineer's
 * first secrets would leave in an account, with time under the demo's control.
 */
import { ManualClock } from '../local/aws/types';
import {
  configureRotation,
  deployRotator,
  localClients,
  provisionPoelisSecret,
  provisionPolytomicSecret,
  type LocalClients,
  type PoelisFixture,
  type PolytomicFixture,
} from '../local/scenarios';
import { startLocalWorld, type LocalWorld } from '../local/world';

export const POLYTOMIC_SECRET_NAME = 'demo/polytomic/warehouse-sync';
export const POELIS_SECRET_NAME = 'demo/poelis/engineering-data';
/** The stack's default schedule. */
export const POLYTOMIC_SCHEDULE = 'rate(30 days)';
/** Assisted rotations need a person, so they come less often; not due when the demo moves time. */
export const POELIS_SCHEDULE = 'rate(90 days)';
export const FIRST_POELIS_KEY_NAME = 'Engineering data #1';

export interface DemoWorld {
  readonly world: LocalWorld;
  readonly clock: ManualClock;
  readonly clients: LocalClients;
  readonly kmsKeyArn: string;
  readonly topicArn: string;
  readonly functionArn: string;
  readonly polytomic: PolytomicFixture;
  readonly poelis: PoelisFixture;
  /** Every line the rotation function printed (the leak check scans them too). */
  readonly functionLog: readonly string[];
  close(): Promise<void>;
}

/** Starts the local world on a manual clock (started at the real time) and deploys into it. */
export async function deployDemoWorld(): Promise<DemoWorld> {
  const clock = new ManualClock();
  const functionLog: string[] = [];
  const world = await startLocalWorld({ clock, logSink: (line) => functionLog.push(line) });
  const clients = localClients(world);
  try {
    const { kmsKeyArn, topicArn, functionArn } = await deployRotator(world, clients);
    const polytomic = await provisionPolytomicSecret(world, clients, {
      name: POLYTOMIC_SECRET_NAME,
      kmsKeyId: kmsKeyArn,
    });
    const poelis = await provisionPoelisSecret(world, clients, {
      name: POELIS_SECRET_NAME,
      kmsKeyId: kmsKeyArn,
      keyName: FIRST_POELIS_KEY_NAME,
    });
    await configureRotation(clients, polytomic.secretArn, functionArn, {
      schedule: POLYTOMIC_SCHEDULE,
    });
    await configureRotation(clients, poelis.secretArn, functionArn, { schedule: POELIS_SCHEDULE });
    // Configuring rotation tests the current key (testSecret only), as Secrets Manager does.
    await world.aws.waitForRotations();
    assertConfigurationTestsPassed(world, [polytomic.secretArn, poelis.secretArn]);
    return {
      world,
      clock,
      clients,
      kmsKeyArn,
      topicArn,
      functionArn,
      polytomic,
      poelis,
      functionLog,
      async close() {
        clients.destroy();
        await world.close();
      },
    };
  } catch (error) {
    clients.destroy();
    await world.close();
    throw error;
  }
}

function assertConfigurationTestsPassed(world: LocalWorld, secretArns: readonly string[]): void {
  for (const arn of secretArns) {
    const test = world.aws.rotationHistory(arn).at(-1);
    if (test?.outcome !== 'succeeded') {
      const step = test?.steps.find((s) => !s.ok);
      throw new Error(
        `Configuring rotation of ${arn} failed its key test: ${step?.errorType ?? 'no record'} ${step?.errorMessage ?? ''}`,
      );
    }
  }
}
