/**
 * What a vendor sends back is untrusted: a vendor or proxy that reflects the request's
 * Authorization header into its request id and its body, at every vendor call a rotation makes,
 * must not turn the rotator's logs, errors, SNS messages or CLI output into a key leak; ids with
 * control characters or 10 KB of text must reach the logs capped and stripped.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { HttpClient } from '../../lambda/http/client';
import type { RotationStep } from '../../lambda/rotation/event';
import { REDACTED, UNTRUSTED_ID_MAX_LENGTH } from '../../lambda/shared/untrusted-text';
import type { FaultSpec } from '../../local/vendors';
import { checkInvariants } from '../support/invariants';
import { SafetyWorld, type SecretUnderTest } from '../support/safety-world';

let sw: SafetyWorld;

beforeAll(async () => {
  sw = await SafetyWorld.start({ attemptTimeoutMs: 1_000 });
});

afterAll(async () => {
  await sw?.close();
});

afterEach(() => sw.clearFaults());

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const ESC = '\u001b';

async function currentValue(secret: SecretUnderTest): Promise<string | undefined> {
  const output = await sw.clients.secrets.send(new GetSecretValueCommand({ SecretId: secret.arn }));
  return output.SecretString;
}

/**
 * Arms `fault` at the vendor just before the first call `operation` of `step` (earlier calls
 * of that route, e.g. createSecret's key issue before finishSecret's, go through untouched).
 */
function reflectAt(
  secret: SecretUnderTest,
  step: RotationStep,
  operation: string,
  fault: FaultSpec,
) {
  let armed = false;
  sw.tracer.interceptor = <T>(
    call: { step?: RotationStep; service: string; operation: string; path?: string },
    proceed: () => Promise<T>,
  ) => {
    if (!armed && call.service === 'vendor' && call.step === step && call.operation === operation) {
      armed = true;
      secret.simulator.injectFault({ ...fault, route: call.path });
    }
    return proceed();
  };
}

type Case = [
  provider: string,
  step: RotationStep,
  operation: string,
  status: number,
  errorType: string,
  says: string,
];

const POLYTOMIC_ISSUE = 'POST /api/organizations/:id/users/:id/keys';
const CASES: Case[] = [
  ['polytomic', 'createSecret', POLYTOMIC_ISSUE, 200, 'VendorResponseError', 'has no data.value'],
  [
    'polytomic',
    'createSecret',
    POLYTOMIC_ISSUE,
    401,
    'KeyRejectedError',
    'rejected the partner key',
  ],
  ['polytomic', 'createSecret', POLYTOMIC_ISSUE, 500, 'VendorUnavailableError', 'answered 500'],
  ['polytomic', 'testSecret', 'GET /api/me', 200, 'IdentityMismatchError', 'authenticates as'],
  ['polytomic', 'testSecret', 'GET /api/me', 401, 'KeyRejectedError', 'rejected the API key'],
  ['polytomic', 'testSecret', 'GET /api/me', 500, 'VendorUnavailableError', 'answered 500'],
  ['poelis', 'testSecret', 'GET /v1/public/workspaces', 200, 'VendorResponseError', 'no items'],
  [
    'poelis',
    'testSecret',
    'GET /v1/public/workspaces',
    401,
    'KeyRejectedError',
    'rejected the API key',
  ],
  [
    'poelis',
    'testSecret',
    'GET /v1/public/workspaces',
    500,
    'VendorUnavailableError',
    'answered 500',
  ],
  ['acme', 'createSecret', 'POST /v1/keys', 200, 'VendorResponseError', 'no Acme API key'],
  ['acme', 'createSecret', 'POST /v1/keys', 401, 'KeyRejectedError', 'rejected the partner key'],
  ['acme', 'createSecret', 'POST /v1/keys', 500, 'VendorUnavailableError', 'answered 500'],
  ['acme', 'testSecret', 'GET /v1/me', 200, 'IdentityMismatchError', 'authenticates as'],
  ['acme', 'testSecret', 'GET /v1/me', 401, 'VendorResponseError', 'not Acme\'s "invalid_api_key"'],
  ['acme', 'testSecret', 'GET /v1/me', 500, 'VendorUnavailableError', 'answered 500'],
];

describe('a vendor reflecting the Authorization header', () => {
  it.each(CASES)(
    '%s, %s %s answering %i: %s, no key in any output',
    async (provider, step, operation, status, errorType, says) => {
      const secret = await sw.newSecret({ provider });
      await sw.stage(secret);
      const before = await currentValue(secret);
      reflectAt(secret, step, operation, { kind: 'reflect-auth', status, times: 4 });

      const record = await sw.rotate(secret);

      const failed = record.steps.find((s) => !s.ok);
      expect(record.outcome).toBe('failed');
      expect(failed).toMatchObject({ step, errorType });
      expect(failed?.errorMessage).toContain(says);
      // The vendor's text was quoted, and what it reflected was redacted.
      expect(failed?.errorMessage).toContain(REDACTED);
      expect(await currentValue(secret)).toBe(before);

      // The operator looks: the CLI's status, and verify while the vendor still reflects.
      sw.clearFaults();
      secret.simulator.injectFault({ kind: 'reflect-auth', status, times: 8 });
      const status_ = await sw.runCli(['status', secret.arn]);
      const verify = await sw.runCli(['verify', secret.arn]);
      expect(status_.stdout).toContain(`safety/${secret.label}`);
      expect(`${verify.stdout}${verify.stderr}`).toMatch(/\S/);

      sw.collectOutputs();
      expect(sw.scanner.leaks()).toEqual([]);
      sw.clearFaults();
      expect(await checkInvariants(sw, secret, { settled: false })).toEqual([]);
      await sw.retire(secret);
    },
  );

  it.each([
    ['polytomic', POLYTOMIC_ISSUE],
    ['acme', 'DELETE /v1/keys/:id'],
  ])(
    '%s: a reflecting answer to the revocation (%s) leaks nothing, and the retry finishes it',
    async (provider, operation) => {
      for (const status of [200, 401, 500]) {
        const secret = await sw.newSecret({ provider });
        reflectAt(secret, 'finishSecret', operation, { kind: 'reflect-auth', status, times: 4 });
        await sw.rotate(secret);
        sw.collectOutputs();
        expect(sw.scanner.leaks()).toEqual([]);
        const text = sw.scanner.text();
        expect(text).toContain(REDACTED);
        sw.clearFaults();
        expect(await sw.retryFailedRotation(secret)).toBe(true);
        expect(await checkInvariants(sw, secret, { settled: false })).toEqual([]);
        await sw.retire(secret);
      }
    },
  );
});

describe('hostile request ids and identity fields', () => {
  const hostile = `evil\r\nX-Injected: 1${ESC}[2J${ESC}[31m\u009b31m\u0000{authorization}${'A'.repeat(10_240)}`;
  const identity: [string, string, string, string][] = [
    ['polytomic', 'GET /api/me', '/api/me', 'IdentityMismatchError'],
    ['acme', 'GET /v1/me', '/v1/me', 'IdentityMismatchError'],
    ['poelis', 'GET /v1/public/workspaces', '/v1/public/workspaces', 'VendorResponseError'],
  ];

  it.each(identity)(
    '%s: ids with CR/LF, escapes and 10 KB reach the logs and the error capped and stripped',
    async (provider, operation, path, errorType) => {
      const secret = await sw.newSecret({ provider });
      await sw.stage(secret);
      reflectAt(secret, 'testSecret', operation, {
        kind: 'reflect-auth',
        status: 200,
        reflected: hostile,
      });

      const record = await sw.rotate(secret);

      const failed = record.steps.find((s) => !s.ok);
      expect(failed).toMatchObject({ step: 'testSecret', errorType });
      const message = failed?.errorMessage ?? '';
      expect(CONTROL.test(message)).toBe(false);
      expect(message.length).toBeLessThan(1_500);
      if (errorType === 'IdentityMismatchError') {
        // A clean mismatch: who the key claims to be, quoted safely, and what the secret expects.
        expect(message).toContain('evil\\x0D\\x0AX-Injected: 1\\x1B[2J\\x1B[31m\\x9B31m\\x00');
        expect(message).toContain('but the secret expects');
      }

      // The HTTP client's own log line, as the deployed function writes it (the Logger).
      const logged: Record<string, unknown>[] = [];
      const log = (message: string, attributes: Record<string, unknown>): void => {
        logged.push({ message, ...attributes });
      };
      const http = new HttpClient({
        policy: { allowedOrigins: [secret.simulator.url], allowLoopbackHttp: true },
        log: { info: log, warn: log },
      });
      const key = (JSON.parse((await currentValue(secret)) ?? '{}') as { apiKey: string }).apiKey;
      secret.simulator.injectFault({ kind: 'reflect-auth', reflected: hostile, route: path });
      const response = await http.request({
        method: 'GET',
        url: new URL(path, secret.simulator.url),
        headers: { Authorization: `Bearer ${key}` },
        deadline: Date.now() + 10_000,
      });
      const id = String(logged[0]?.vendorRequestId);
      expect(response.requestId).toBe(id);
      // What a header can carry of it arrived: 10 KB, a C1 control and the Authorization header.
      expect(id.startsWith('evilX-Injected: 1[2J[31m\\x')).toBe(true);
      expect(id).toContain(`31m${REDACTED}AAAA`);
      expect(id).toHaveLength(UNTRUSTED_ID_MAX_LENGTH);
      expect(id).toMatch(/^[\x20-\x7e]*$/);
      expect(JSON.stringify(logged)).not.toContain(key);
      sw.scanner.add('log', JSON.stringify(logged));
      sw.collectOutputs();
      expect(sw.scanner.leaks()).toEqual([]);
      sw.clearFaults();
      expect(await checkInvariants(sw, secret, { settled: false })).toEqual([]);
      await sw.retire(secret);
    },
  );

  it.each([
    ['polytomic', 'GET /api/me'],
    ['acme', 'GET /v1/me'],
  ])(
    '%s: an identity naming someone else is a clean IdentityMismatchError',
    async (provider, operation) => {
      const secret = await sw.newSecret({ provider });
      reflectAt(secret, 'testSecret', operation, {
        kind: 'reflect-auth',
        status: 200,
        reflected: `someone-else${ESC}]0;owned\u0007`,
      });

      const record = await sw.rotate(secret);

      const failed = record.steps.find((s) => !s.ok);
      expect(failed?.errorType).toBe('IdentityMismatchError');
      expect(failed?.errorMessage).toContain('authenticates as');
      expect(failed?.errorMessage).toContain('someone-else\\x1B]0;owned\\x07');
      expect(CONTROL.test(failed?.errorMessage ?? '')).toBe(false);
      sw.collectOutputs();
      expect(sw.scanner.leaks()).toEqual([]);
      await sw.retire(secret);
    },
  );
});
