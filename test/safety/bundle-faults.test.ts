/**
 * Representative rows of the fault matrix run through the bundled file
 * (dist/lambda/rotation/index.js, built by `npm run bundle`) in Lambda-like child processes:
 * the deployed artifact keeps the invariants under a lost answer, a kill mid-call, a failed
 * revocation and a disabled KMS key, and prints no key.
 */
import { expectInvariants, checkInvariants } from '../support/invariants';
import { SafetyWorld, type SecretUnderTest } from '../support/safety-world';

const ISSUE_ROUTE = '/api/organizations/:org/users/:user/keys';

let sw: SafetyWorld;

beforeAll(async () => {
  sw = await SafetyWorld.start({ bundle: true });
});

afterAll(() => sw?.close());

beforeEach(() => sw.scanner.reset());

/** Retries, then the next rotation; the invariants after each. */
async function expectRecovered(secret: SecretUnderTest): Promise<void> {
  expect(await checkInvariants(sw, secret, { settled: false })).toEqual([]);
  expect(await sw.retryFailedRotation(secret)).toBe(true);
  await expectInvariants(sw, secret);
  await sw.stage(secret);
  expect((await sw.rotate(secret)).outcome).toBe('succeeded');
  await expectInvariants(sw, secret, { settled: true, idempotence: true });
  expect(sw.scanner.textOf('log')).toContain('rotation step succeeded');
}

/** Resolves once the simulator has received one more request on `route`. */
async function whenReceived(requests: () => Record<string, number>, route: string): Promise<void> {
  const before = requests()[route] ?? 0;
  for (let polls = 0; polls < 1_000 && (requests()[route] ?? 0) === before; polls++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Kills the function's containers while a slowed vendor call is in flight: once the AWS
 * emulator has seen `calls` more `target` calls (the last AWS call before that vendor call),
 * and a moment more for the vendor call to go out.
 */
async function killAfterAwsCalls(target: string, calls: number): Promise<void> {
  const count = (): number => sw.world.aws.calls()[target] ?? 0;
  const before = count();
  for (let polls = 0; polls < 1_000 && count() < before + calls; polls++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  sw.world.runner.kill(sw.functionName);
}

it('Polytomic: the key issue commits but its answer is lost, every attempt', async () => {
  const secret = await sw.newSecret({ provider: 'polytomic' });
  sw.world.polytomic.injectFault({ kind: 'commit-then-drop', route: ISSUE_ROUTE, times: 4 });
  expect((await sw.rotate(secret)).steps.at(-1)).toMatchObject({
    step: 'createSecret',
    errorType: 'VendorUnavailableError',
  });
  sw.clearFaults();
  await expectRecovered(secret);
});

it('Polytomic: the function is killed while the key issue is in flight', async () => {
  const secret = await sw.newSecret({ provider: 'polytomic' });
  sw.world.polytomic.injectFault({ kind: 'latency', latencyMs: 2_000, route: ISSUE_ROUTE });
  const rotation = sw.rotate(secret);
  // createSecret reads the pending version, AWSCURRENT and the partner key, then issues.
  await killAfterAwsCalls('secretsmanager.GetSecretValue', 3);
  expect((await rotation).steps.at(-1)).toMatchObject({
    step: 'createSecret',
    errorType: 'Runtime.ExitError',
  });
  // The issue commits after the kill; the retry's Idempotency-Key replays it.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await expectRecovered(secret);
});

it('Polytomic: the revocation fails after the promotion, and the retry revokes', async () => {
  const secret = await sw.newSecret({ provider: 'polytomic' });
  // testSecret's identity check is slowed; once it arrives, the 503s are armed for the
  // revocation that finishSecret sends next (the issue has gone by then).
  sw.world.polytomic.injectFault({ kind: 'latency', latencyMs: 300, route: '/api/me' });
  const rotation = sw.rotate(secret);
  await whenReceived(() => sw.world.polytomic.routeCounts(), 'GET /api/me');
  sw.world.polytomic.injectFault({ kind: 'status', status: 503, route: ISSUE_ROUTE, times: 4 });
  const record = await rotation;
  sw.clearFaults();
  expect(record.steps.at(-1)).toMatchObject({
    step: 'finishSecret',
    errorType: 'RevocationFailedError',
  });
  await expectRecovered(secret);
});

it('Poelis: the function is killed while the identity check is in flight', async () => {
  const secret = await sw.newSecret({ provider: 'poelis' });
  await sw.stage(secret);
  const route = '/v1/public/workspaces';
  sw.world.poelis.injectFault({ kind: 'latency', latencyMs: 2_000, route });
  const rotation = sw.rotate(secret);
  // setSecret clears STAGED (the only label move before finishSecret); testSecret follows.
  await killAfterAwsCalls('secretsmanager.UpdateSecretVersionStage', 1);
  expect((await rotation).steps.at(-1)).toMatchObject({
    step: 'testSecret',
    errorType: 'Runtime.ExitError',
  });
  await expectRecovered(secret);
});

it('the KMS key is disabled: a named error before any vendor call, then recovery', async () => {
  const secret = await sw.newSecret({ provider: 'polytomic' });
  await sw.setKeyEnabled(secret, false);
  const ledger = sw.world.polytomic.ledger().length;
  expect((await sw.rotate(secret)).steps.at(-1)).toMatchObject({
    step: 'createSecret',
    errorType: 'KmsKeyUnusableError',
  });
  expect(sw.world.polytomic.ledger()).toHaveLength(ledger);
  await sw.setKeyEnabled(secret, true);
  await expectRecovered(secret);
});
