/**
 * The audit's five checks, in process through `auditSecret`, on secrets rotated by the bundled
 * rotation function in the local world, each with one drift an operator must hear about.
 */
import { CreateKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { auditSecret, AUDIT_CHECKS, type AuditFinding } from '../../lambda/audit/checks';
import { fingerprint } from '../../lambda/shared/fingerprint';
import {
  provisionPoelisSecret,
  provisionPolytomicSecret,
  stagePoelisKey,
  type PoelisFixture,
} from '../../local/scenarios';
import { keyShapedStrings } from '../../local/vendors';
import { DAY_MS, startChecksWorld, type ChecksTestWorld } from './support/checks-world';

let t: ChecksTestWorld;

beforeAll(async () => {
  t = await startChecksWorld();
});

afterAll(async () => {
  await t?.close();
});

async function audit(secretArn: string, expectedKmsKeyArn = t.kmsKeyArn): Promise<AuditFinding[]> {
  const findings = await auditSecret(t.auditDependencies({ expectedKmsKeyArn }), secretArn);
  expectNoKeyValues(findings);
  return findings;
}

function outcomes(findings: AuditFinding[]): Record<string, string> {
  return Object.fromEntries(findings.map((found) => [found.check, found.outcome]));
}

function findingOf(findings: AuditFinding[], check: AuditFinding['check']): AuditFinding {
  const found = findings.find((candidate) => candidate.check === check);
  if (found === undefined) throw new Error(`no ${check} finding`);
  return found;
}

/** Invariant 4: findings name keys by fingerprint and name, never by value. */
function expectNoKeyValues(findings: AuditFinding[]): void {
  const text = JSON.stringify(findings);
  const issued = keyShapedStrings(text).filter(
    (candidate) =>
      t.world.polytomic.isIssuedKey(candidate) || t.world.poelis.isIssuedKey(candidate),
  );
  expect(issued).toEqual([]);
}

const ALL_PASS = Object.fromEntries(AUDIT_CHECKS.map((check) => [check, 'pass']));

/** A Poelis secret with rotation configured, rotated once onto a staged key. */
async function rotatedPoelisSecret(
  name: string,
  revokePrevious?: 'on-finish' | 'next-rotation',
): Promise<PoelisFixture> {
  const fixture = await provisionPoelisSecret(t.world, t.clients, {
    name,
    kmsKeyId: t.kmsKeyArn,
    revokePrevious,
  });
  await t.enableRotation(fixture.secretArn);
  t.clock.advance(60_000);
  await stagePoelisKey(t.world, t.clients, fixture, `${name} #2`);
  t.clock.advance(60_000);
  expect((await t.rotate(fixture.secretArn)).outcome).toBe('succeeded');
  return fixture;
}

describe('a secret in sync', () => {
  it('passes all five checks after a Polytomic rotation, naming the keys by fingerprint', async () => {
    const { secretArn } = await provisionPolytomicSecret(t.world, t.clients, {
      name: 'audit/healthy-polytomic',
      kmsKeyId: t.kmsKeyArn,
    });
    await t.enableRotation(secretArn);
    const firstKey = (await t.current(secretArn)).apiKey;
    expect((await t.rotate(secretArn)).outcome).toBe('succeeded');

    const findings = await audit(secretArn);

    expect(outcomes(findings)).toEqual(ALL_PASS);
    expect(findings.map((found) => found.check)).toEqual(AUDIT_CHECKS);
    expect(findings[0]).toMatchObject({
      secretArn,
      secretName: 'audit/healthy-polytomic',
      keyFingerprint: fingerprint((await t.current(secretArn)).apiKey),
    });
    expect(findingOf(findings, 'previous-key-revoked')).toMatchObject({
      keyFingerprint: fingerprint(firstKey),
      message: expect.stringContaining('is revoked') as string,
    });
  });

  it('never changes the secret or the vendor accounts', async () => {
    const { secretArn } = await provisionPolytomicSecret(t.world, t.clients, {
      name: 'audit/read-only',
      kmsKeyId: t.kmsKeyArn,
    });
    await t.enableRotation(secretArn);
    const ledgerBefore = t.world.polytomic.ledger();
    t.world.aws.resetCalls();

    await audit(secretArn);

    const targets = Object.keys(t.world.aws.calls());
    expect(targets.sort()).toEqual([
      'TrentService.DescribeKey',
      'secretsmanager.DescribeSecret',
      'secretsmanager.GetSecretValue',
      'secretsmanager.ListSecretVersionIds',
    ]);
    expect(t.world.polytomic.ledger()).toEqual(ledgerBefore);
  });
});

describe('current-key-works', () => {
  it('fails when the vendor rejects AWSCURRENT (revoked in the admin)', async () => {
    const { secretArn } = await provisionPolytomicSecret(t.world, t.clients, {
      name: 'audit/revoked-current',
      kmsKeyId: t.kmsKeyArn,
    });
    await t.enableRotation(secretArn);
    const key = fingerprint((await t.current(secretArn)).apiKey);
    t.world.polytomic.admin.revokeKey(key);

    const found = findingOf(await audit(secretArn), 'current-key-works');

    expect(found).toMatchObject({ outcome: 'fail', keyFingerprint: key });
    expect(found.message).toContain(`rejects the AWSCURRENT key ${key} with 401`);
    expect(found.message).toContain('api-key-rotator rotate audit/revoked-current');
  });

  it('reports an error, not a failure, when the vendor is down', async () => {
    const fixture = await provisionPoelisSecret(t.world, t.clients, {
      name: 'audit/vendor-down',
      kmsKeyId: t.kmsKeyArn,
    });
    await t.enableRotation(fixture.secretArn);
    t.world.poelis.injectFault({
      kind: 'status',
      status: 503,
      route: '/v1/public/workspaces',
      times: 10,
    });
    try {
      const found = findingOf(await audit(fixture.secretArn), 'current-key-works');
      expect(found).toMatchObject({ outcome: 'error', keyName: 'audit/vendor-down #1' });
      expect(found.message).toMatch(/^Could not check AWSCURRENT key .*VendorUnavailableError/);
    } finally {
      t.world.poelis.clearFaults();
    }
  });
});

describe('previous-key-revoked', () => {
  it('reminds the operator to revoke the old Poelis key until it is revoked', async () => {
    const fixture = await rotatedPoelisSecret('audit/poelis-reminder');
    const oldKeyName = 'audit/poelis-reminder #1';
    const live = t.world.poelis.admin.listKeys(fixture.organizationId);
    const oldKey = live.find((entry) => entry.keyName === oldKeyName)!.fingerprint;

    const pending = findingOf(await audit(fixture.secretArn), 'previous-key-revoked');
    expect(pending).toMatchObject({ outcome: 'fail', keyName: oldKeyName, keyFingerprint: oldKey });
    expect(pending.message).toContain(
      `Revoke "${oldKeyName}" (${oldKey}) in the Poelis web app (Settings > Manage REST API Keys > Revoke)`,
    );

    t.world.poelis.admin.revokeKey(fixture.organizationId, oldKeyName);
    const findings = await audit(fixture.secretArn);
    expect(outcomes(findings)).toEqual(ALL_PASS);
    expect(findingOf(findings, 'previous-key-revoked').message).toContain('answers 401');
  });

  it('fails when a Polytomic revocation did not happen, and says how to finish it', async () => {
    const fixture = await provisionPolytomicSecret(t.world, t.clients, {
      name: 'audit/polytomic-alive',
      kmsKeyId: t.kmsKeyArn,
    });
    await t.enableRotation(fixture.secretArn);
    const firstKey = (await t.current(fixture.secretArn)).apiKey;
    t.world.polytomic.injectFault({
      kind: 'status',
      status: 503,
      method: 'POST',
      route: `/api/organizations/${fixture.organizationId}/users/${fixture.userId}/keys`,
      times: 10,
    });
    const rotation = await t.rotate(fixture.secretArn);
    t.world.polytomic.clearFaults();
    expect(rotation.outcome).toBe('failed');
    expect(t.world.polytomic.admin.keyStatus(firstKey)).toBe('live');

    const found = findingOf(await audit(fixture.secretArn), 'previous-key-revoked');

    expect(found).toMatchObject({ outcome: 'fail', keyFingerprint: fingerprint(firstKey) });
    expect(found.message).toContain(
      'still works at polytomic, but policy on-finish says it is revoked',
    );
    expect(found.message).toContain(`re-issues user ${fixture.userId}'s key`);
  });

  it('with next-rotation, leaves AWSPREVIOUS alone and checks the key before it', async () => {
    const fixture = await rotatedPoelisSecret('audit/next-rotation', 'next-rotation');
    const first = await audit(fixture.secretArn);
    expect(findingOf(first, 'previous-key-revoked')).toMatchObject({
      outcome: 'pass',
      keyName: 'audit/next-rotation #1',
      message: expect.stringContaining('keeps AWSPREVIOUS key') as string,
    });

    t.clock.advance(60_000);
    await stagePoelisKey(t.world, t.clients, fixture, 'audit/next-rotation #3');
    t.clock.advance(60_000);
    expect((await t.rotate(fixture.secretArn)).outcome).toBe('succeeded');

    const found = findingOf(await audit(fixture.secretArn), 'previous-key-revoked');
    expect(found).toMatchObject({ outcome: 'fail', keyName: 'audit/next-rotation #1' });
    expect(found.message).toMatch(
      /^Key "audit\/next-rotation #1" \([0-9a-f]{8}\) \(the version before AWSPREVIOUS\) still works at poelis/,
    );
  });
});

describe('no-stuck-pending', () => {
  it('fails when a rotation left AWSPENDING for longer than its window', async () => {
    const fixture = await t.inThePast(3 * DAY_MS, async () => {
      const created = await provisionPolytomicSecret(t.world, t.clients, {
        name: 'audit/stuck',
        kmsKeyId: t.kmsKeyArn,
      });
      await t.enableRotation(created.secretArn);
      t.world.polytomic.injectFault({ kind: 'status', status: 401, route: '/api/me', times: 1 });
      expect((await t.rotate(created.secretArn)).outcome).toBe('failed');
      return created;
    });
    t.world.polytomic.clearFaults();

    const findings = await audit(fixture.secretArn);

    expect(outcomes(findings)).toEqual({ ...ALL_PASS, 'no-stuck-pending': 'fail' });
    const found = findingOf(findings, 'no-stuck-pending');
    expect(found.message).toMatch(/longer than the 24h rotation window: the rotation is stuck/);
    expect(found.message).toContain('api-key-rotator recover audit/stuck');
    expect(found.keyFingerprint).toMatch(/^[0-9a-f]{8}$/);
  });

  it('passes while a rotation is within its window', async () => {
    const fixture = await provisionPolytomicSecret(t.world, t.clients, {
      name: 'audit/in-progress',
      kmsKeyId: t.kmsKeyArn,
    });
    await t.enableRotation(fixture.secretArn);
    t.world.polytomic.injectFault({ kind: 'status', status: 401, route: '/api/me', times: 1 });
    expect((await t.rotate(fixture.secretArn)).outcome).toBe('failed');

    const found = findingOf(await audit(fixture.secretArn), 'no-stuck-pending');
    expect(found).toMatchObject({ outcome: 'pass' });
    expect(found.message).toContain('A rotation is in progress');
  });
});

describe('rotation-not-overdue', () => {
  it('fails once NextRotationDate has passed by more than the grace', async () => {
    const fixture = await t.inThePast(40 * DAY_MS, async () => {
      const created = await provisionPoelisSecret(t.world, t.clients, {
        name: 'audit/overdue',
        kmsKeyId: t.kmsKeyArn,
      });
      await t.enableRotation(created.secretArn);
      return created;
    });

    const findings = await audit(fixture.secretArn);

    expect(outcomes(findings)).toEqual({ ...ALL_PASS, 'rotation-not-overdue': 'fail' });
    const { message } = findingOf(findings, 'rotation-not-overdue');
    expect(message).toMatch(
      /^Rotation is overdue: it was due by \S+ \(\d+(\.\d)?h ago\); last rotated never/,
    );
    expect(message).toContain('api-key-rotator stage audit/overdue');
  });

  it('fails when rotation is not enabled at all', async () => {
    const { secretArn } = await provisionPoelisSecret(t.world, t.clients, {
      name: 'audit/not-enabled',
      kmsKeyId: t.kmsKeyArn,
    });
    const found = findingOf(await audit(secretArn), 'rotation-not-overdue');
    expect(found).toMatchObject({ outcome: 'fail' });
    expect(found.message).toContain('Rotation is not enabled');
  });
});

describe('encryption-key-ok', () => {
  it('fails when the secret’s KMS key is disabled, and the current key cannot be read', async () => {
    const keyArn = (
      await t.clients.kms.send(new CreateKeyCommand({ Description: 'soon disabled' }))
    ).KeyMetadata!.Arn!;
    const { secretArn } = await provisionPolytomicSecret(t.world, t.clients, {
      name: 'audit/disabled-key',
      kmsKeyId: keyArn,
    });
    await t.enableRotation(secretArn);
    await t.clients.kms.send(new DisableKeyCommand({ KeyId: keyArn }));

    const findings = await audit(secretArn, keyArn);

    expect(findingOf(findings, 'encryption-key-ok')).toMatchObject({
      outcome: 'fail',
      message: expect.stringContaining(`KMS key ${keyArn} is Disabled`) as string,
    });
    expect(findingOf(findings, 'current-key-works')).toMatchObject({
      outcome: 'error',
      message: expect.stringMatching(/^Could not read AWSCURRENT/) as string,
    });
  });

  it('fails when the secret is not encrypted with the expected key', async () => {
    const { secretArn } = await provisionPoelisSecret(t.world, t.clients, {
      name: 'audit/aws-managed',
    });
    await t.enableRotation(secretArn);

    const findings = await audit(secretArn);

    expect(outcomes(findings)).toEqual({ ...ALL_PASS, 'encryption-key-ok': 'fail' });
    expect(findingOf(findings, 'encryption-key-ok').message).toContain(
      `Encrypted with the AWS managed key aws/secretsmanager, not the expected customer-managed key ${t.kmsKeyArn}`,
    );
  });

  it('accepts the expected key named by its alias', async () => {
    const { secretArn } = await provisionPoelisSecret(t.world, t.clients, {
      name: 'audit/alias',
      kmsKeyId: t.kmsKeyArn,
    });
    await t.enableRotation(secretArn);
    const found = findingOf(await audit(secretArn, 'alias/api-key-rotator'), 'encryption-key-ok');
    expect(found).toMatchObject({ outcome: 'pass' });
  });
});

describe('a secret that cannot be read', () => {
  it('reports every check as an error naming the cause', async () => {
    const findings = await audit('audit/does-not-exist');
    expect(findings.map((found) => [found.check, found.outcome])).toEqual(
      AUDIT_CHECKS.map((check) => [check, 'error']),
    );
    expect(findings[0].message).toContain(
      'Could not describe the secret: ResourceNotFoundException',
    );
  });

  it('fails current-key-works with the field when the value is malformed', async () => {
    const { secretArn } = await provisionPoelisSecret(t.world, t.clients, {
      name: 'audit/malformed',
      kmsKeyId: t.kmsKeyArn,
    });
    await t.clients.secrets.send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        SecretString: JSON.stringify({ provider: 'poelis', apiKey: 'not-a-poelis-key' }),
      }),
    );
    const found = findingOf(await audit(secretArn), 'current-key-works');
    expect(found).toMatchObject({ outcome: 'fail' });
    expect(found.message).toContain(
      'AWSCURRENT: Secret field "apiKey" must be a Poelis REST API key',
    );
    expect(found.message).not.toContain('not-a-poelis-key');
  });
});
