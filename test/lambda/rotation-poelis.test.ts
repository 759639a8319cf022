import { RotationMetric } from '../../lambda/shared/contracts';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { SecretFormatError } from '../../lambda/shared/secret';
import { KeyRejectedError, NothingStagedError } from '../../lambda/providers/errors';
import { createHarness, STEPS, type Harness } from './support/harness';
import { expectNoKeyInOutput, expectPoelisInvariants } from './support/invariants';
import { PoelisModel } from './support/vendors';

const TOKEN_1 = '11111111-1111-4111-8111-111111111111';
const TOKEN_2 = '22222222-2222-4222-8222-222222222222';

let h: Harness;
let model: PoelisModel;

beforeEach(() => {
  h = createHarness();
  model = new PoelisModel();
  model.install(h.agent);
});

afterEach(() => h.dispose());

function addSecret(fields: Record<string, unknown> = {}): string {
  return h.sm.addSecret(
    'poelis/app',
    JSON.stringify({
      provider: 'poelis',
      apiKey: model.createKey(),
      keyName: 'Production A',
      region: 'eu',
      ...fields,
    }),
  );
}

function current(arn: string): { apiKey: string; keyName?: string; region?: string } {
  return JSON.parse(h.sm.valueOf(arn, 'AWSCURRENT')!) as { apiKey: string; keyName?: string };
}

function stage(arn: string, keyName: string | null = 'Production B'): string {
  const apiKey = model.createKey();
  h.sm.stage(arn, JSON.stringify(keyName === null ? { apiKey } : { apiKey, keyName }));
  return apiKey;
}

describe('Poelis assisted rotation', () => {
  it('promotes the staged key, clears STAGED and names the old key to revoke', async () => {
    const arn = addSecret();
    const oldKey = current(arn).apiKey;
    const newKey = stage(arn);

    await h.rotate(arn, TOKEN_1);

    expect(current(arn)).toEqual({
      provider: 'poelis',
      apiKey: newKey,
      keyName: 'Production B',
      region: 'eu',
    });
    expect(h.sm.versionIdOf(arn, 'STAGED')).toBeUndefined();
    expect(h.metricNames()).toEqual(
      expect.arrayContaining([RotationMetric.Completed, RotationMetric.ManualRevocationRequired]),
    );
    expect(h.notifier.sent).toHaveLength(1);
    expect(h.notifier.sent[0].message).toContain(`"Production A" (${fingerprint(oldKey)})`);
    expectPoelisInvariants(h, model, arn);

    model.revoke(oldKey); // what the operator does with the reminder
    expect(model.live).toEqual(new Set([newKey]));
  });

  it('makes 15 Secrets Manager calls per rotation', async () => {
    const arn = addSecret();
    stage(arn);
    await h.rotate(arn, TOKEN_1);
    // setSecret reads the pending and STAGED values to clear STAGED only from the key it used;
    // finishSecret reads the pending value before promoting it.
    expect(h.sm.calls.filter((c) => c.secretId === arn)).toHaveLength(15);
  });

  it('drops the old key name when the staged key has none', async () => {
    const arn = addSecret();
    stage(arn, null);
    await h.rotate(arn, TOKEN_1);
    expect(current(arn).keyName).toBeUndefined();
    expect(current(arn).region).toBe('eu');
  });

  it('fails with the reminder when nothing is staged', async () => {
    const arn = addSecret();
    h.sm.startRotation(arn, TOKEN_1);

    const error = await h.invoke('createSecret', arn, TOKEN_1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NothingStagedError);
    expect((error as Error).message).toContain(`api-key-rotator stage ${arn}`);
    expect(h.sm.valueOf(arn, 'AWSPENDING')).toBeUndefined();
  });

  it('refuses a staged key that is already the current one', async () => {
    const arn = addSecret();
    h.sm.stage(arn, JSON.stringify({ apiKey: current(arn).apiKey }));
    h.sm.startRotation(arn, TOKEN_1);

    await expect(h.invoke('createSecret', arn, TOKEN_1)).rejects.toThrow(/already the current one/);
  });

  it('refuses a staged value that is not a Poelis key, without echoing it', async () => {
    const arn = addSecret();
    h.sm.stage(arn, JSON.stringify({ apiKey: 'sk_live_abcdefghijklmnopqrstuvwxyz' }));
    h.sm.startRotation(arn, TOKEN_1);

    const error = await h.invoke('createSecret', arn, TOKEN_1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as SecretFormatError).field).toBe('STAGED.apiKey');
    expect(h.output()).not.toContain('sk_live_abcdefghijklmnopqrstuvwxyz');
  });

  it('fails testSecret, leaving AWSCURRENT alone, when the staged key was revoked', async () => {
    const arn = addSecret();
    const oldKey = current(arn).apiKey;
    model.revoke(stage(arn));

    await expect(h.rotate(arn, TOKEN_1)).rejects.toThrow(KeyRejectedError);
    expect(current(arn).apiKey).toBe(oldKey);
    expect(h.notifier.sent).toHaveLength(0);
    expectPoelisInvariants(h, model, arn);
  });

  it('is idempotent when every step runs twice', async () => {
    const arn = addSecret();
    const newKey = stage(arn);
    h.sm.startRotation(arn, TOKEN_1);
    for (const step of STEPS) {
      await h.invoke(step, arn, TOKEN_1);
      await h.invoke(step, arn, TOKEN_1);
    }
    expect(current(arn).apiKey).toBe(newKey);
    // The repeated finishSecret repeats the reminder, about the same old key.
    expect(h.notifier.sent).toHaveLength(2);
    expect(new Set(h.notifier.sent.map((notice) => notice.message)).size).toBe(1);
  });

  it('under next-rotation, reminds about the key before the previous one', async () => {
    const arn = addSecret({ revokePrevious: 'next-rotation' });
    const firstKey = current(arn).apiKey;
    stage(arn);
    await h.rotate(arn, TOKEN_1);
    expect(h.notifier.sent).toHaveLength(0);

    stage(arn, 'Production C');
    await h.rotate(arn, TOKEN_2);
    expect(h.notifier.sent).toHaveLength(1);
    expect(h.notifier.sent[0].message).toContain(`"Production A" (${fingerprint(firstKey)})`);
    expectNoKeyInOutput(h, model.created);
  });

  it('still completes, and logs, when the notification cannot be published', async () => {
    const arn = addSecret();
    const newKey = stage(arn);
    h.notifier.failing = true;

    await h.rotate(arn, TOKEN_1);

    expect(current(arn).apiKey).toBe(newKey);
    expect(h.metricNames()).toContain(RotationMetric.ManualRevocationRequired);
    expect(
      h.logLines().some((line) => line.message === 'notification could not be published'),
    ).toBe(true);
  });
});
