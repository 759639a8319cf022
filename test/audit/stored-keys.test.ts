/**
 * stored-keys-dead: every key a secret still stores besides AWSCURRENT is dead at the vendor,
 * except AWSPREVIOUS while `next-rotation` keeps it. A key revived at the simulator (through its
 * `/_admin/revive-key` route, as a vendor fault or a restore would) must make the check fail,
 * including one older than the two keys previous-key-revoked looks at.
 */
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { auditSecret, type AuditFinding } from '../../lambda/audit/checks';
import { MAX_STORED_KEYS_PROBED } from '../../lambda/audit/stored-keys';
import { fingerprint } from '../../lambda/shared/fingerprint';
import {
  provisionPolytomicSecret,
  stagePoelisKey,
  provisionPoelisSecret,
} from '../../local/scenarios';
import { keyShapedStrings } from '../../local/vendors';
import { startChecksWorld, type ChecksTestWorld } from './support/checks-world';

let t: ChecksTestWorld;

beforeAll(async () => {
  t = await startChecksWorld();
});

afterAll(async () => {
  await t?.close();
});

async function storedKeysFinding(secretArn: string): Promise<AuditFinding[]> {
  const findings = await auditSecret(t.auditDependencies(), secretArn);
  const issued = keyShapedStrings(JSON.stringify(findings)).filter(
    (candidate) =>
      t.world.polytomic.isIssuedKey(candidate) || t.world.poelis.isIssuedKey(candidate),
  );
  expect(issued).toEqual([]);
  return findings;
}

function byCheck(findings: AuditFinding[], check: AuditFinding['check']): AuditFinding {
  const found = findings.find((candidate) => candidate.check === check);
  if (found === undefined) throw new Error(`no ${check} finding`);
  return found;
}

/** Revives a revoked key through the simulator's admin HTTP route. */
async function revive(vendorUrl: string, value: string): Promise<void> {
  const response = await fetch(`${vendorUrl}/_admin/revive-key`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value }),
  });
  expect(response.status).toBe(204);
}

/** A Polytomic secret rotated `times` times; returns its keys, oldest first. */
async function rotatedPolytomicSecret(
  name: string,
  times: number,
): Promise<{
  secretArn: string;
  keys: string[];
}> {
  const { secretArn } = await provisionPolytomicSecret(t.world, t.clients, {
    name,
    kmsKeyId: t.kmsKeyArn,
  });
  await t.enableRotation(secretArn);
  const keys = [(await t.current(secretArn)).apiKey];
  for (let i = 0; i < times; i += 1) {
    t.clock.advance(60_000);
    expect((await t.rotate(secretArn)).outcome).toBe('succeeded');
    keys.push((await t.current(secretArn)).apiKey);
  }
  return { secretArn, keys };
}

describe('stored-keys-dead', () => {
  it('passes when every stored old key is dead, and fails once the oldest is revived', async () => {
    const { secretArn, keys } = await rotatedPolytomicSecret('audit/stored-revived', 3);
    const healthy = byCheck(await storedKeysFinding(secretArn), 'stored-keys-dead');
    expect(healthy).toMatchObject({ outcome: 'pass' });
    expect(healthy.message).toContain('3 stored non-current key(s) probed, 3 revoked.');

    // The first key: neither AWSPREVIOUS nor the version before it.
    await revive(t.world.urls.polytomic, keys[0]);
    const findings = await storedKeysFinding(secretArn);

    expect(byCheck(findings, 'previous-key-revoked').outcome).toBe('pass');
    const found = byCheck(findings, 'stored-keys-dead');
    expect(found).toMatchObject({ outcome: 'fail', keyFingerprint: fingerprint(keys[0]) });
    expect(found.message).toContain('1 stored non-current key(s) still work');
    expect(found.message).toContain('policy on-finish keeps none of them live');
  });

  it('still probes the old keys when AWSCURRENT holds no usable key', async () => {
    const { secretArn, keys } = await rotatedPolytomicSecret('audit/stored-malformed', 2);
    await revive(t.world.urls.polytomic, keys[0]);
    // Someone overwrites AWSCURRENT with a value that is not in the secret format.
    await t.clients.secrets.send(
      new PutSecretValueCommand({ SecretId: secretArn, SecretString: '{"provider":"polytomic"}' }),
    );
    const findings = await storedKeysFinding(secretArn);

    expect(byCheck(findings, 'current-key-works').outcome).toBe('fail');
    expect(byCheck(findings, 'stored-keys-dead')).toMatchObject({
      outcome: 'fail',
      keyFingerprint: fingerprint(keys[0]),
    });
  });

  it(`probes at most ${MAX_STORED_KEYS_PROBED} stored keys per secret, and says how many it left`, async () => {
    const rotations = MAX_STORED_KEYS_PROBED + 2;
    const { secretArn, keys } = await rotatedPolytomicSecret('audit/stored-bound', rotations);
    const found = byCheck(await storedKeysFinding(secretArn), 'stored-keys-dead');
    expect(found.outcome).toBe('pass');
    expect(found.message).toContain(`${MAX_STORED_KEYS_PROBED} stored non-current key(s) probed`);
    expect(found.message).toContain(
      `2 older version(s) not probed (at most ${MAX_STORED_KEYS_PROBED} per secret)`,
    );
    // The bound is real: a key beyond it, revived, is not seen.
    await revive(t.world.urls.polytomic, keys[0]);
    expect(byCheck(await storedKeysFinding(secretArn), 'stored-keys-dead').outcome).toBe('pass');
  });

  it('keeps AWSPREVIOUS live under next-rotation, and leaves the key before it to previous-key-revoked', async () => {
    const fixture = await provisionPoelisSecret(t.world, t.clients, {
      name: 'audit/stored-next',
      kmsKeyId: t.kmsKeyArn,
      revokePrevious: 'next-rotation',
    });
    await t.enableRotation(fixture.secretArn);
    const first = (await t.current(fixture.secretArn)).apiKey;
    for (const n of [2, 3]) {
      t.clock.advance(60_000);
      await stagePoelisKey(t.world, t.clients, fixture, `audit/stored-next #${n}`);
      t.clock.advance(60_000);
      expect((await t.rotate(fixture.secretArn)).outcome).toBe('succeeded');
    }
    // The operator revokes #1 in the web app, as the reminder asked.
    t.world.poelis.admin.revokeKey(fixture.organizationId, fingerprint(first));
    const kept = byCheck(await storedKeysFinding(fixture.secretArn), 'stored-keys-dead');
    expect(kept.outcome).toBe('pass');
    expect(kept.message).toContain('is live as policy next-rotation keeps it');

    // Revived, #1 is the key the policy revokes next: previous-key-revoked reports it, once.
    await revive(t.world.urls.poelis, first);
    const revived = await storedKeysFinding(fixture.secretArn);
    expect(byCheck(revived, 'previous-key-revoked')).toMatchObject({
      outcome: 'fail',
      keyName: 'audit/stored-next #1',
    });
    const found = byCheck(revived, 'stored-keys-dead');
    expect(found.outcome).toBe('pass');
    expect(found.message).toContain('previous-key-revoked reports it');
  });
});
