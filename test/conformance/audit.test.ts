/**
 * The audit's key checks for every registered vendor, with the registry the function would be
 * given: a rotated secret audits clean (its revoke policy set by the stack's tag alone, as the
 * rotation and the CLI read it), a dead AWSCURRENT key fails with the vendor's own advice, and no
 * finding carries a key.
 */
import type { AuditFinding } from '../../lambda/audit/checks';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { SafetyWorld, type SecretUnderTest } from '../support/safety-world';
import { VENDORS_UNDER_TEST } from './vendors';

jest.setTimeout(120_000);

let sw: SafetyWorld;

beforeAll(async () => {
  sw = await SafetyWorld.start();
});

afterAll(() => sw?.close());

function audit(secret: SecretUnderTest): Promise<AuditFinding[]> {
  return sw.audit(secret.arn);
}

function outcome(findings: readonly AuditFinding[], check: AuditFinding['check']): AuditFinding {
  const found = findings.find((finding) => finding.check === check);
  if (found === undefined) throw new Error(`no ${check} finding`);
  return found;
}

/** Rotates (staging first for assisted vendors) and does what the reminders ask. */
async function rotate(secret: SecretUnderTest): Promise<void> {
  // Versions are told apart by their creation time, as on AWS: let a minute pass.
  sw.clock.advance(60_000);
  await sw.stage(secret);
  expect((await sw.rotate(secret)).outcome).toBe('succeeded');
  sw.actOnReminders(secret);
}

async function currentKey(secret: SecretUnderTest): Promise<string> {
  const stages = await sw.versionStages(secret);
  const values = await sw.allValues(secret);
  const currentId = Object.keys(stages).find((id) => stages[id].includes('AWSCURRENT')) ?? '';
  return (JSON.parse(values.get(currentId) ?? '{}') as { apiKey: string }).apiKey;
}

describe.each(VENDORS_UNDER_TEST.map((vendor) => [vendor.provider.displayName, vendor] as const))(
  'audit of %s secrets',
  (_name, vendor) => {
    const provider = vendor.provider.name;
    const options = vendor.variants[0].options;

    it('audits clean after rotations under next-rotation set by the stack tag alone', async () => {
      sw.scanner.reset();
      const secret = await sw.newSecret({
        provider,
        options,
        policy: 'next-rotation',
        policyIn: 'tag',
      });
      await rotate(secret);
      await rotate(secret);
      const findings = await audit(secret);
      expect(outcome(findings, 'current-key-works').outcome).toBe('pass');
      const previous = outcome(findings, 'previous-key-revoked');
      expect(previous.outcome).toBe('pass');
      expect(previous.message).toContain('(the version before AWSPREVIOUS) is revoked');
      // The CLI reads the policy through the same resolver: it shows what the audit judged by.
      const status = await sw.runCli(['status', secret.arn, '--json']);
      expect(status.exitCode).toBe(0);
      expect(JSON.parse(status.stdout)).toEqual([
        expect.objectContaining({ provider, revokePolicy: 'next-rotation' }),
      ]);
      sw.scanner.expectClean();
      await sw.retire(secret);
    });

    it('audits clean after a rotation under on-finish', async () => {
      sw.scanner.reset();
      const secret = await sw.newSecret({ provider, options });
      await rotate(secret);
      const findings = await audit(secret);
      expect(outcome(findings, 'current-key-works').outcome).toBe('pass');
      expect(outcome(findings, 'previous-key-revoked').message).toMatch(
        /^AWSPREVIOUS key .* is revoked/,
      );
      sw.scanner.expectClean();
      await sw.retire(secret);
    });

    it("fails a dead AWSCURRENT key with the vendor's advice, naming it by fingerprint", async () => {
      sw.scanner.reset();
      const secret = await sw.newSecret({ provider, options });
      const key = await currentKey(secret);
      secret.simulator.revokeByHand(secret.organizationId, fingerprint(key));
      const current = outcome(await audit(secret), 'current-key-works');
      expect(current.outcome).toBe('fail');
      expect(current.keyFingerprint).toBe(fingerprint(key));
      expect(current.message).toContain(vendor.provider.guidance.replaceKey(current.secretName));
      sw.scanner.expectClean();
      await sw.retire(secret);
    });
  },
);
