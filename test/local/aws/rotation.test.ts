import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startAwsEmulator, type AwsEmulator } from '../../../local/aws';
import { ManualClock, type RotationEvent } from '../../../local/aws/types';
import {
  API_BEHAVIOUR_SUITE,
  clientsFor,
  errorName,
  rejection,
  RecordingInvoker,
  templateStep,
  type Clients,
} from './helpers';

const DAY_MS = 86_400_000;
const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:rotator';

function failing(
  step: RotationEvent['Step'],
  sm: SecretsManagerClient,
): (event: RotationEvent) => Promise<void> {
  return async (event) => {
    if (event.Step === step)
      throw Object.assign(new Error(`${step} exploded`), { name: 'VendorError' });
    await templateStep(sm, event);
  };
}

describe('Secrets Manager emulator: rotation', () => {
  let emulator: AwsEmulator;
  let clients: Clients;
  let invoker: RecordingInvoker;
  const clock = new ManualClock(Date.UTC(2026, 0, 10, 12));

  beforeEach(async () => {
    clock.set(Date.UTC(2026, 0, 10, 12));
    invoker = new RecordingInvoker();
    emulator = await startAwsEmulator({
      clock,
      invoker,
      administratorForUnknownKeys: API_BEHAVIOUR_SUITE,
    });
    clients = clientsFor(emulator);
    invoker.setHandler((event) => templateStep(clients.sm, event));
  });
  afterEach(async () => {
    clients.destroy();
    await emulator.close();
  });

  async function createSecret(name: string): Promise<string> {
    return (await clients.sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' })))
      .VersionId as string;
  }

  it('invokes the four steps in order with the ARN, the new version id and one RotationToken, then promotes the version', async () => {
    const first = await createSecret('rot');
    const rotated = await clients.sm.send(
      new RotateSecretCommand({
        SecretId: 'rot',
        RotationLambdaARN: LAMBDA_ARN,
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      }),
    );
    await emulator.waitForRotations('rot');
    const describe = await clients.sm.send(new DescribeSecretCommand({ SecretId: 'rot' }));
    expect(invoker.events.map(({ event }) => event.Step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    for (const { functionName, event } of invoker.events) {
      expect(functionName).toBe(LAMBDA_ARN);
      expect(event).toMatchObject({
        SecretId: describe.ARN,
        ClientRequestToken: rotated.VersionId,
      });
      expect(event.RotationToken).toBe(invoker.events[0].event.RotationToken);
    }
    expect(describe.VersionIdsToStages).toEqual({
      [first]: ['AWSPREVIOUS'],
      // AWS clears AWSPENDING from the promoted version when the rotation completes.
      [rotated.VersionId as string]: ['AWSCURRENT'],
    });
    expect(
      (await clients.sm.send(new GetSecretValueCommand({ SecretId: 'rot' }))).SecretString,
    ).toBe('v1+');
    expect(describe).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: LAMBDA_ARN,
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    expect(describe.LastRotatedDate?.getTime()).toBe(clock.now());
    // rate(N days) windows open at midnight UTC and close at the end of that day.
    expect(describe.NextRotationDate?.toISOString()).toBe('2026-02-09T23:59:59.000Z');
    const [record] = emulator.rotationHistory('rot');
    expect(record).toMatchObject({
      secretArn: describe.ARN,
      token: rotated.VersionId,
      trigger: 'api',
      outcome: 'succeeded',
    });
    expect(record.steps.map((step) => [step.step, step.ok])).toEqual([
      ['createSecret', true],
      ['setSecret', true],
      ['testSecret', true],
      ['finishSecret', true],
    ]);
  });

  it('returns before the steps run; the pending version has no value until the function stores one', async () => {
    await createSecret('async');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let pendingBeforeCreate = '';
    invoker.setHandler(async (event) => {
      if (event.Step === 'createSecret') {
        pendingBeforeCreate = await errorName(
          clients.sm.send(
            new GetSecretValueCommand({ SecretId: event.SecretId, VersionStage: 'AWSPENDING' }),
          ),
        );
        await gate;
      }
      await templateStep(clients.sm, event);
    });
    const { VersionId } = await clients.sm.send(
      new RotateSecretCommand({ SecretId: 'async', RotationLambdaARN: LAMBDA_ARN }),
    );
    expect(emulator.rotationHistory('async')[0].outcome).toBe('running');
    const stages =
      (await clients.sm.send(new DescribeSecretCommand({ SecretId: 'async' })))
        .VersionIdsToStages ?? {};
    expect(stages[VersionId as string]).toEqual(['AWSPENDING']);
    const byId = await rejection(
      clients.sm.send(new GetSecretValueCommand({ SecretId: 'async', VersionId })),
    );
    expect(byId.name).toBe('ResourceNotFoundException');
    release();
    await emulator.waitForRotations();
    expect(pendingBeforeCreate).toBe('ResourceNotFoundException');
    expect(emulator.rotationHistory('async')[0].outcome).toBe('succeeded');
  });

  it('uses the caller ClientRequestToken as the pending version id', async () => {
    await createSecret('own-token');
    const token = 'a'.repeat(8) + '-bbbb-cccc-dddd-' + 'e'.repeat(12);
    const { VersionId } = await clients.sm.send(
      new RotateSecretCommand({
        SecretId: 'own-token',
        RotationLambdaARN: LAMBDA_ARN,
        ClientRequestToken: token,
      }),
    );
    await emulator.waitForRotations();
    expect(VersionId).toBe(token);
    expect(invoker.events[0].event.ClientRequestToken).toBe(token);
  });

  it('stops at the first failing step, records it and leaves AWSPENDING where it is', async () => {
    const first = await createSecret('fail');
    invoker.setHandler(failing('setSecret', clients.sm));
    const { VersionId } = await clients.sm.send(
      new RotateSecretCommand({ SecretId: 'fail', RotationLambdaARN: LAMBDA_ARN }),
    );
    await emulator.waitForRotations('fail');
    expect(invoker.events.map(({ event }) => event.Step)).toEqual(['createSecret', 'setSecret']);
    const [record] = emulator.rotationHistory('fail');
    expect(record.outcome).toBe('failed');
    expect(record.steps[1]).toMatchObject({
      step: 'setSecret',
      ok: false,
      errorType: 'VendorError',
      errorMessage: 'setSecret exploded',
    });
    const describe = await clients.sm.send(new DescribeSecretCommand({ SecretId: 'fail' }));
    expect(describe.VersionIdsToStages).toEqual({
      [first]: ['AWSCURRENT'],
      [VersionId as string]: ['AWSPENDING'],
    });
    expect(describe.LastRotatedDate).toBeUndefined();
  });

  it('refuses a new rotation while AWSPENDING sits on another version than AWSCURRENT', async () => {
    await createSecret('stuck');
    invoker.setHandler(failing('testSecret', clients.sm));
    const { VersionId } = await clients.sm.send(
      new RotateSecretCommand({ SecretId: 'stuck', RotationLambdaARN: LAMBDA_ARN }),
    );
    await emulator.waitForRotations();
    const error = await rejection(
      clients.sm.send(
        new RotateSecretCommand({
          SecretId: 'stuck',
          RotationRules: { AutomaticallyAfterDays: 1 },
        }),
      ),
    );
    expect(error.name).toBe('InvalidRequestException');
    expect(error.message).toBe(
      "A previous rotation isn't complete. That rotation will be reattempted.",
    );
    // Rules are not changed by a refused call.
    expect(
      (await clients.sm.send(new DescribeSecretCommand({ SecretId: 'stuck' }))).RotationRules,
    ).toBeUndefined();
    // Clearing AWSPENDING lets a new rotation start.
    await clients.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'stuck',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: VersionId,
      }),
    );
    invoker.setHandler((event) => templateStep(clients.sm, event));
    await clients.sm.send(new RotateSecretCommand({ SecretId: 'stuck' }));
    await emulator.waitForRotations();
    expect(emulator.rotationHistory('stuck').map((record) => record.outcome)).toEqual([
      'failed',
      'succeeded',
    ]);
  });

  it('also refuses while a rotation is still running', async () => {
    await createSecret('busy');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    invoker.setHandler(async (event) => {
      await gate;
      await templateStep(clients.sm, event);
    });
    await clients.sm.send(
      new RotateSecretCommand({ SecretId: 'busy', RotationLambdaARN: LAMBDA_ARN }),
    );
    expect(await errorName(clients.sm.send(new RotateSecretCommand({ SecretId: 'busy' })))).toBe(
      'InvalidRequestException',
    );
    release();
    await emulator.waitForRotations();
  });

  it('the scheduler reattempts a failed rotation with the same pending version while it is due', async () => {
    await createSecret('retry');
    invoker.setHandler(failing('createSecret', clients.sm));
    const { VersionId } = await clients.sm.send(
      new RotateSecretCommand({
        SecretId: 'retry',
        RotationLambdaARN: LAMBDA_ARN,
        RotationRules: { AutomaticallyAfterDays: 1 },
      }),
    );
    await emulator.waitForRotations();
    clock.advance(DAY_MS);
    invoker.setHandler((event) => templateStep(clients.sm, event));
    expect(await emulator.runDueRotations()).toBe(1);
    await emulator.waitForRotations();
    const [failed, retried] = emulator.rotationHistory('retry');
    expect(failed).toMatchObject({ trigger: 'api', outcome: 'failed', token: VersionId });
    expect(retried).toMatchObject({ trigger: 'schedule', outcome: 'succeeded', token: VersionId });
    expect(
      (await clients.sm.send(new GetSecretValueCommand({ SecretId: 'retry' }))).VersionId,
    ).toBe(VersionId);
  });

  it('RotateImmediately=false runs only testSecret and removes the version it created for the test', async () => {
    const first = await createSecret('test-only');
    invoker.setHandler(() => undefined);
    await clients.sm.send(
      new RotateSecretCommand({
        SecretId: 'test-only',
        RotationLambdaARN: LAMBDA_ARN,
        RotateImmediately: false,
        RotationRules: { ScheduleExpression: 'rate(10 days)' },
      }),
    );
    await emulator.waitForRotations();
    expect(invoker.events.map(({ event }) => event.Step)).toEqual(['testSecret']);
    const describe = await clients.sm.send(new DescribeSecretCommand({ SecretId: 'test-only' }));
    expect(describe.VersionIdsToStages).toEqual({ [first]: ['AWSCURRENT'] });
    expect(describe.RotationEnabled).toBe(true);
    expect(describe.LastRotatedDate).toBeUndefined();
    expect(describe.NextRotationDate?.toISOString()).toBe('2026-01-20T23:59:59.000Z');
  });

  it('a failed configuration test still removes the version it created', async () => {
    const first = await createSecret('test-fails');
    invoker.setHandler(failing('testSecret', clients.sm));
    await clients.sm.send(
      new RotateSecretCommand({
        SecretId: 'test-fails',
        RotationLambdaARN: LAMBDA_ARN,
        RotateImmediately: false,
      }),
    );
    await emulator.waitForRotations();
    expect(emulator.rotationHistory('test-fails')[0].outcome).toBe('failed');
    expect(
      (await clients.sm.send(new DescribeSecretCommand({ SecretId: 'test-fails' })))
        .VersionIdsToStages,
    ).toEqual({ [first]: ['AWSCURRENT'] });
  });

  it('without an invoker the rotation fails as AWS reports a function it cannot invoke', async () => {
    await emulator.close();
    clients.destroy();
    emulator = await startAwsEmulator({ clock, administratorForUnknownKeys: API_BEHAVIOUR_SUITE });
    clients = clientsFor(emulator);
    await createSecret('no-invoker');
    await clients.sm.send(
      new RotateSecretCommand({ SecretId: 'no-invoker', RotationLambdaARN: LAMBDA_ARN }),
    );
    await emulator.waitForRotations();
    const [record] = emulator.rotationHistory('no-invoker');
    expect(record.outcome).toBe('failed');
    expect(record.steps).toHaveLength(1);
    expect(record.steps[0]).toMatchObject({
      step: 'createSecret',
      ok: false,
      errorType: 'AccessDeniedException',
    });
    expect(record.steps[0].errorMessage).toContain(
      'Secrets Manager cannot invoke the specified Lambda function',
    );
  });

  it('an invoker reporting an unknown function fails the rotation with its error', async () => {
    await createSecret('unknown-fn');
    emulator.setInvoker({
      invoke: () =>
        Promise.resolve({
          ok: false,
          errorType: 'ResourceNotFoundException',
          errorMessage: `Function not found: ${LAMBDA_ARN}`,
          durationMs: 0,
        }),
    });
    await clients.sm.send(
      new RotateSecretCommand({ SecretId: 'unknown-fn', RotationLambdaARN: LAMBDA_ARN }),
    );
    await emulator.waitForRotations();
    expect(emulator.rotationHistory('unknown-fn')[0].steps).toEqual([
      expect.objectContaining({
        step: 'createSecret',
        ok: false,
        errorType: 'ResourceNotFoundException',
        errorMessage: `Function not found: ${LAMBDA_ARN}`,
      }),
    ]);
  });

  it('PutSecretValue accepts the rotation RotationToken and refuses one it did not issue', async () => {
    await createSecret('rotation-token');
    await clients.sm.send(
      new RotateSecretCommand({ SecretId: 'rotation-token', RotationLambdaARN: LAMBDA_ARN }),
    );
    await emulator.waitForRotations();
    const call = clients.sm.send(
      new PutSecretValueCommand({
        SecretId: 'rotation-token',
        SecretString: 'x',
        RotationToken: 'not-issued-by-secrets-manager',
      }),
    );
    expect(await errorName(call)).toBe('InvalidParameterException');
  });

  it('validates the rotation configuration', async () => {
    await createSecret('config');
    expect(await errorName(clients.sm.send(new RotateSecretCommand({ SecretId: 'config' })))).toBe(
      'InvalidRequestException',
    );
    const both = new RotateSecretCommand({
      SecretId: 'config',
      RotationLambdaARN: LAMBDA_ARN,
      RotationRules: { AutomaticallyAfterDays: 2, ScheduleExpression: 'rate(2 days)' },
    });
    expect(await errorName(clients.sm.send(both))).toBe('InvalidParameterException');
    for (const ScheduleExpression of ['rate(1 hours)', 'cron(0 8 * * * *)', 'every day']) {
      const call = clients.sm.send(
        new RotateSecretCommand({
          SecretId: 'config',
          RotationLambdaARN: LAMBDA_ARN,
          RotationRules: { ScheduleExpression },
        }),
      );
      expect(await errorName(call)).toBe('InvalidParameterException');
    }
    const badDuration = clients.sm.send(
      new RotateSecretCommand({
        SecretId: 'config',
        RotationLambdaARN: LAMBDA_ARN,
        RotationRules: { ScheduleExpression: 'rate(1 days)', Duration: '30h' },
      }),
    );
    expect(await errorName(badDuration)).toBe('InvalidParameterException');
    expect(invoker.events).toHaveLength(0);
  });

  it('runDueRotations starts rotations once their window opens; CancelRotateSecret stops the schedule', async () => {
    await createSecret('due');
    await createSecret('cancelled');
    for (const SecretId of ['due', 'cancelled']) {
      await clients.sm.send(
        new RotateSecretCommand({
          SecretId,
          RotationLambdaARN: LAMBDA_ARN,
          RotationRules: { ScheduleExpression: 'cron(0 6 ? * MON *)', Duration: '2h' },
        }),
      );
    }
    await emulator.waitForRotations();
    await clients.sm.send(new CancelRotateSecretCommand({ SecretId: 'cancelled' }));
    const cancelled = await clients.sm.send(new DescribeSecretCommand({ SecretId: 'cancelled' }));
    expect(cancelled.RotationEnabled).toBe(false);
    expect(cancelled.RotationRules).toEqual({
      ScheduleExpression: 'cron(0 6 ? * MON *)',
      Duration: '2h',
    });
    // 2026-01-10 is a Saturday: the next window is Monday 06:00-08:00 UTC.
    const next = (await clients.sm.send(new DescribeSecretCommand({ SecretId: 'due' })))
      .NextRotationDate;
    expect(next?.toISOString()).toBe('2026-01-12T07:59:59.000Z');
    expect(await emulator.runDueRotations()).toBe(0);
    clock.set(Date.UTC(2026, 0, 12, 6, 30));
    expect(await emulator.runDueRotations()).toBe(1);
    await emulator.waitForRotations();
    const history = emulator.rotationHistory('due');
    expect(history.map((record) => [record.trigger, record.outcome])).toEqual([
      ['api', 'succeeded'],
      ['schedule', 'succeeded'],
    ]);
    expect(emulator.rotationHistory('cancelled')).toHaveLength(1);
    const after = await clients.sm.send(new DescribeSecretCommand({ SecretId: 'due' }));
    expect(after.NextRotationDate?.toISOString()).toBe('2026-01-19T07:59:59.000Z');
    expect(await emulator.runDueRotations()).toBe(0);
  });

  it('startScheduler runs due rotations on its own until stopScheduler', async () => {
    await createSecret('timer');
    await clients.sm.send(
      new RotateSecretCommand({
        SecretId: 'timer',
        RotationLambdaARN: LAMBDA_ARN,
        RotationRules: { AutomaticallyAfterDays: 1 },
      }),
    );
    await emulator.waitForRotations();
    const scheduled = new Promise<void>((resolve) => {
      invoker.setHandler(async (event) => {
        await templateStep(clients.sm, event);
        if (event.Step === 'finishSecret') resolve();
      });
    });
    clock.advance(2 * DAY_MS);
    emulator.startScheduler(5);
    await scheduled;
    emulator.stopScheduler();
    await emulator.waitForRotations();
    expect(emulator.rotationHistory('timer').map((record) => record.trigger)).toEqual([
      'api',
      'schedule',
    ]);
  });
});
