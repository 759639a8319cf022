/**
 * Only a vendor's "invalid key" answer (401) proves a key dead. A 403 from a proxy or WAF in
 * front of the vendor proves nothing: the audit says it could not check, and a finishSecret
 * retry does not take the replaced key for revoked. For every registered vendor.
 */
import type { AuditFinding } from '../../lambda/audit/checks';
import { SafetyWorld, type SecretUnderTest } from '../support/safety-world';
import { VENDORS_UNDER_TEST } from './vendors';

jest.setTimeout(120_000);

let sw: SafetyWorld;

beforeAll(async () => {
  sw = await SafetyWorld.start({ attemptTimeoutMs: 300 });
});

afterAll(() => sw?.close());

afterEach(() => sw.clearFaults());

/** Every identity check (the vendors' only GETs) is answered 403 by something in front. */
function proxyAnswers403(secret: SecretUnderTest): void {
  secret.simulator.injectFault({ kind: 'status', status: 403, method: 'GET', times: 1_000 });
}

async function audit(secret: SecretUnderTest): Promise<Record<string, AuditFinding>> {
  const findings = await sw.audit(secret.arn);
  return Object.fromEntries(findings.map((finding) => [finding.check, finding]));
}

async function keyOf(secret: SecretUnderTest, label: string): Promise<string> {
  const stages = await sw.versionStages(secret);
  const values = await sw.allValues(secret);
  const id = Object.keys(stages).find((versionId) => stages[versionId].includes(label)) ?? '';
  return (JSON.parse(values.get(id) ?? '{}') as { apiKey: string }).apiKey;
}

describe.each(VENDORS_UNDER_TEST.map((vendor) => [vendor.provider.displayName, vendor] as const))(
  '%s: a proxy 403 is not proof',
  (_name, vendor) => {
    const provider = vendor.provider.name;
    const { options } = vendor.variants[0];

    it('the audit reports "could not check", not a revoked or a rejected key', async () => {
      const secret = await sw.newSecret({
        provider,
        options,
        policy: 'next-rotation',
        policyIn: 'tag',
      });
      for (let rotation = 0; rotation < 2; rotation++) {
        sw.clock.advance(60_000);
        await sw.stage(secret);
        expect((await sw.rotate(secret)).outcome).toBe('succeeded');
        sw.actOnReminders(secret);
      }
      expect((await audit(secret))['previous-key-revoked'].outcome).toBe('pass');
      proxyAnswers403(secret);
      const findings = await audit(secret);
      expect(findings['previous-key-revoked'].outcome).toBe('error');
      expect(findings['current-key-works'].outcome).toBe('error');
      await sw.retire(secret);
    });

    // Vendors revoked by a person get a reminder instead: nothing to retry.
    if (vendor.revocation !== 'automatic') return;
    it('a finishSecret retry does not take the replaced key for revoked', async () => {
      const secret = await sw.newSecret({ provider, options });
      // The revocation after the promotion fails: every non-GET vendor call of finishSecret.
      sw.tracer.interceptor = (call, proceed) => {
        if (call.step === 'finishSecret' && call.service === 'vendor' && call.method !== 'GET') {
          secret.simulator.injectFault({ kind: 'status', status: 503, route: call.path, times: 4 });
        }
        return proceed();
      };
      const record = await sw.rotate(secret);
      sw.clearFaults();
      expect(record.outcome).toBe('failed');
      const replaced = await keyOf(secret, 'AWSPREVIOUS');
      expect(secret.simulator.keyStatus(replaced)).toBe('live');

      proxyAnswers403(secret);
      const blocked = await sw.invokeStep(secret, 'finishSecret', record.token);
      sw.recordInvocation(blocked);
      expect(blocked.ok).toBe(false);
      expect(secret.simulator.keyStatus(replaced)).toBe('live');

      sw.clearFaults();
      const retried = await sw.invokeStep(secret, 'finishSecret', record.token);
      expect(retried.ok).toBe(true);
      expect(secret.simulator.keyStatus(replaced)).toBe('revoked');
      sw.collectOutputs();
      expect(sw.scanner.leaks()).toEqual([]);
      await sw.retire(secret);
    });
  },
);
