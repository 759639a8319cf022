/**
 * The hostile input corpus: malformed events, malformed and malicious secret values, baseUrls
 * aimed elsewhere, and vendor answers that are not what they should be. Each must end in a
 * clear named error, AWSCURRENT unchanged, no request to an origin it should not reach, and no
 * key value in any output.
 */
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { HttpResponse } from '../../lambda/http/client';
import type { FaultSpec } from '../../local/vendors';
import { checkInvariants } from '../support/invariants';
import { SafetyWorld, type SecretUnderTest } from '../support/safety-world';

let sw: SafetyWorld;
let corpusSize = 0;

beforeAll(async () => {
  sw = await SafetyWorld.start({ attemptTimeoutMs: 300 });
});

afterAll(async () => {
  await sw?.close();
  console.log(
    `hostile input corpus: ${corpusSize} inputs, each a named error with state unchanged`,
  );
});

afterEach(() => sw.clearFaults());

type SecretValue = Record<string, unknown>;

async function currentValue(secret: SecretUnderTest): Promise<string | undefined> {
  const output = await sw.clients.secrets.send(new GetSecretValueCommand({ SecretId: secret.arn }));
  return output.SecretString ?? Buffer.from(output.SecretBinary ?? []).toString('base64');
}

/** Rotates and expects the named error, AWSCURRENT unchanged and no key in any output. */
async function expectRefused(secret: SecretUnderTest, errorType: string): Promise<void> {
  corpusSize += 1;
  const before = await currentValue(secret);
  const requestsBefore = vendorRequestCount();
  const record = await sw.rotate(secret);
  const failed = record.steps.find((step) => !step.ok);
  expect(record.outcome).toBe('failed');
  expect(failed?.errorType).toBe(errorType);
  expect(failed?.errorMessage).toMatch(/\S/);
  expect(await currentValue(secret)).toBe(before);
  sw.collectOutputs();
  expect(sw.scanner.leaks()).toEqual([]);
  return expectNoVendorRequestUnless(requestsBefore);
}

let allowVendorRequests = false;
function vendorRequestCount(): number {
  const count = (counts: Record<string, number>): number =>
    Object.values(counts).reduce((sum, n) => sum + n, 0);
  return count(sw.world.polytomic.routeCounts()) + count(sw.world.poelis.routeCounts());
}
function expectNoVendorRequestUnless(before: number): void {
  if (!allowVendorRequests) expect(vendorRequestCount()).toBe(before);
}

/** A provisioned secret whose AWSCURRENT is then replaced by `value` (text or binary). */
async function secretHolding(
  provider: 'polytomic' | 'poelis',
  value: (valid: SecretValue) => string | Uint8Array,
): Promise<SecretUnderTest> {
  const secret = await sw.newSecret({ provider });
  const valid = JSON.parse((await currentValue(secret)) ?? '{}') as SecretValue;
  const hostile = value(valid);
  await sw.clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: secret.arn,
      ...(typeof hostile === 'string' ? { SecretString: hostile } : { SecretBinary: hostile }),
    }),
  );
  return secret;
}

describe('malformed rotation events', () => {
  const events: [string, unknown][] = [
    ['null', null],
    ['a string', 'createSecret'],
    ['an array', [{ Step: 'createSecret' }]],
    ['no step', { SecretId: 'x', ClientRequestToken: 'y' }],
    ['an unknown step', { Step: 'deleteSecret', SecretId: 'x', ClientRequestToken: 'y' }],
    ['a numeric secret id', { Step: 'createSecret', SecretId: 42, ClientRequestToken: 'y' }],
    ['a blank token', { Step: 'createSecret', SecretId: 'x', ClientRequestToken: '  ' }],
    ['a prototype key', JSON.parse('{"__proto__":{"Step":"createSecret"},"SecretId":"x"}')],
  ];

  it.each(events)('refuses %s with InvalidRotationEventError', async (_name, event) => {
    corpusSize += 1;
    const result = await sw.world.runner.invoke(sw.functionArn, event);
    sw.recordInvocation(result);
    expect(result).toMatchObject({ ok: false, errorType: 'InvalidRotationEventError' });
  });

  it('refuses a token that is not a version, leaving the secret alone', async () => {
    corpusSize += 1;
    const secret = await sw.newSecret({ provider: 'polytomic' });
    const before = await currentValue(secret);
    const result = await sw.invokeStep(secret, 'createSecret', 'not-a-version-of-this-secret-0000');
    expect(result).toMatchObject({ ok: false, errorType: 'UnexpectedVersionError' });
    expect(await currentValue(secret)).toBe(before);
    expect(await checkInvariants(sw, secret, { settled: true })).toEqual([]);
  });
});

describe('hostile secret values', () => {
  const huge = 'k'.repeat(60_000);
  const values: [
    string,
    'polytomic' | 'poelis',
    (valid: SecretValue) => string | Uint8Array,
    string,
  ][] = [
    ['non-JSON text', 'polytomic', () => 'apiKey=abc; provider=polytomic', 'SecretFormatError'],
    ['truncated JSON', 'polytomic', (v) => JSON.stringify(v).slice(0, 40), 'SecretFormatError'],
    ['a JSON array', 'polytomic', (v) => JSON.stringify([v]), 'SecretFormatError'],
    ['JSON null', 'polytomic', () => 'null', 'SecretFormatError'],
    ['a binary secret', 'polytomic', (v) => Buffer.from(JSON.stringify(v)), 'SecretFormatError'],
    [
      'an unknown provider',
      'polytomic',
      (v) => JSON.stringify({ ...v, provider: 'github' }),
      'SecretFormatError',
    ],
    [
      'a numeric provider',
      'polytomic',
      (v) => JSON.stringify({ ...v, provider: 7 }),
      'SecretFormatError',
    ],
    [
      'no apiKey besides the provider',
      'polytomic',
      () => '{"provider":"polytomic"}',
      'FirstKeyMissingError',
    ],
    [
      'apiKey null',
      'polytomic',
      (v) => JSON.stringify({ ...v, apiKey: null }),
      'SecretFormatError',
    ],
    [
      'a numeric apiKey',
      'polytomic',
      (v) => JSON.stringify({ ...v, apiKey: 12345 }),
      'SecretFormatError',
    ],
    [
      'userId as an array',
      'polytomic',
      (v) => JSON.stringify({ ...v, userId: [v.userId] }),
      'SecretFormatError',
    ],
    [
      'organizationId missing',
      'polytomic',
      (v) => JSON.stringify({ ...v, organizationId: undefined }),
      'SecretFormatError',
    ],
    [
      'standby equal to user',
      'polytomic',
      (v) => JSON.stringify({ ...v, standbyUserId: v.userId }),
      'SecretFormatError',
    ],
    [
      'an unknown revoke policy',
      'polytomic',
      (v) => JSON.stringify({ ...v, revokePrevious: 'never' }),
      'SecretFormatError',
    ],
    [
      'a __proto__ key',
      'polytomic',
      (v) => JSON.stringify(v).replace('{', '{"__proto__":{"provider":"poelis"},'),
      'SecretFormatError',
    ],
    [
      'a constructor key',
      'polytomic',
      (v) => JSON.stringify({ ...v, constructor: { prototype: {} } }),
      'SecretFormatError',
    ],
    [
      'a nested __proto__',
      'polytomic',
      (v) => JSON.stringify(v).replace('{', '{"extra":{"__proto__":{"x":1}},'),
      'SecretFormatError',
    ],
    [
      'a huge userId',
      'polytomic',
      (v) => JSON.stringify({ ...v, userId: huge }),
      'SecretFormatError',
    ],
    [
      'a userId that is a path',
      'polytomic',
      (v) => JSON.stringify({ ...v, userId: '../../partner' }),
      'SecretFormatError',
    ],
    [
      'a Poelis key of the wrong format',
      'poelis',
      (v) => JSON.stringify({ ...v, apiKey: 'sk_live_0123456789abcdef' }),
      'SecretFormatError',
    ],
    [
      'a Poelis key with a newline',
      'poelis',
      (v) => JSON.stringify({ ...v, apiKey: `${String(v.apiKey)}\nX-Injected: 1` }),
      'SecretFormatError',
    ],
    [
      'a huge Poelis key',
      'poelis',
      (v) => JSON.stringify({ ...v, apiKey: `poelis_api_${huge}` }),
      'SecretFormatError',
    ],
  ];

  it.each(values)('refuses %s (%s)', async (_name, provider, value, errorType) => {
    const secret = await secretHolding(provider, value);
    await expectRefused(secret, errorType);
  });

  it('refuses a staged value that is not a Poelis key, keeping AWSCURRENT', async () => {
    const secret = await sw.newSecret({ provider: 'poelis' });
    await sw.clients.secrets.send(
      new PutSecretValueCommand({
        SecretId: secret.arn,
        SecretString: JSON.stringify({ apiKey: 'ghp_not_a_poelis_key_0123456789' }),
        VersionStages: ['STAGED'],
      }),
    );
    await expectRefused(secret, 'SecretFormatError');
  });
});

describe('baseUrl aimed elsewhere', () => {
  const origins: [string, (valid: SecretValue) => string, string][] = [
    ['the EC2 metadata service over http', () => 'http://169.254.169.254', 'InsecureUrlError'],
    [
      'the EC2 metadata service over https',
      () => 'https://169.254.169.254',
      'OriginNotAllowedError',
    ],
    ['the ECS credentials endpoint', () => 'http://169.254.170.2', 'InsecureUrlError'],
    ['a GCP metadata host', () => 'http://metadata.google.internal', 'InsecureUrlError'],
    ['another https host', () => 'https://attacker.example.com', 'OriginNotAllowedError'],
    [
      'a look-alike host',
      () => 'https://app.polytomic.com.attacker.example',
      'OriginNotAllowedError',
    ],
    ['the real vendor over http', () => 'http://app.polytomic.com', 'InsecureUrlError'],
    ['an IPv6 loopback literal', () => 'http://[::1]:80', 'InsecureUrlError'],
    ['a decimal IP literal', () => 'https://2852039166', 'OriginNotAllowedError'],
    ['an odd port of the vendor', () => 'https://app.polytomic.com:8443', 'OriginNotAllowedError'],
    [
      'an allowed simulator on another port',
      (v) => `${String(v.baseUrl).replace(/:(\d+)$/, ':1')}`,
      'OriginNotAllowedError',
    ],
    [
      'userinfo before the host',
      (v) => String(v.baseUrl).replace('//', '//admin:secret@'),
      'SecretFormatError',
    ],
    [
      'a userinfo host trick',
      () => 'https://app.polytomic.com@attacker.example.com',
      'SecretFormatError',
    ],
    ['a path', (v) => `${String(v.baseUrl)}/redirect`, 'SecretFormatError'],
    [
      'a query',
      (v) => `${String(v.baseUrl)}/?next=https://attacker.example.com`,
      'SecretFormatError',
    ],
    ['a file URL', () => 'file:///etc/passwd', 'SecretFormatError'],
    ['a bare file origin', () => 'file://', 'InsecureUrlError'],
    ['not a URL', () => 'app.polytomic.com', 'SecretFormatError'],
  ];

  it.each(origins)('refuses %s before any request', async (_name, baseUrl, errorType) => {
    const secret = await secretHolding('polytomic', (v) =>
      JSON.stringify({ ...v, baseUrl: baseUrl(v) }),
    );
    await expectRefused(secret, errorType);
  });
});

describe('hostile vendor answers', () => {
  beforeAll(() => {
    allowVendorRequests = true;
  });
  afterAll(() => {
    allowVendorRequests = false;
  });

  const issueRoute = '/api/organizations/:org/users/:user/keys';
  // The tracer names calls by path with ids generalised, whatever the vendor.
  const issueOperation = 'POST /api/organizations/:id/users/:id/keys';
  const answers: [string, 'polytomic' | 'poelis', FaultSpec, string][] = [
    [
      'an HTML page to the key issue',
      'polytomic',
      { kind: 'html', route: issueRoute, times: 4 },
      'VendorResponseError',
    ],
    [
      'an empty body to the key issue',
      'polytomic',
      { kind: 'empty', route: issueRoute, times: 4 },
      'VendorResponseError',
    ],
    [
      'a huge body to the key issue',
      'polytomic',
      { kind: 'huge', route: issueRoute, times: 4 },
      'ResponseTooLargeError',
    ],
    [
      'a redirect to the metadata service',
      'polytomic',
      { kind: 'redirect', location: 'http://169.254.169.254/latest', route: issueRoute, times: 4 },
      'RedirectRefusedError',
    ],
    [
      'a slow key issue',
      'polytomic',
      { kind: 'latency', latencyMs: 700, route: issueRoute, times: 4 },
      'VendorUnavailableError',
    ],
    [
      'an HTML identity check',
      'polytomic',
      { kind: 'html', route: '/api/me', times: 4 },
      'VendorResponseError',
    ],
    [
      'a redirect from the identity check',
      'polytomic',
      { kind: 'redirect', route: '/api/me', times: 4 },
      'RedirectRefusedError',
    ],
    [
      'an empty Poelis identity check',
      'poelis',
      { kind: 'empty', route: '/v1/public/workspaces', times: 4 },
      'VendorResponseError',
    ],
    [
      'a huge Poelis identity check',
      'poelis',
      { kind: 'huge', route: '/v1/public/workspaces', times: 4 },
      'ResponseTooLargeError',
    ],
    [
      'a slow Poelis identity check',
      'poelis',
      { kind: 'latency', latencyMs: 700, route: '/v1/public/workspaces', times: 4 },
      'VendorUnavailableError',
    ],
  ];

  it.each(answers)('fails on %s', async (_name, provider, fault, errorType) => {
    const secret = await sw.newSecret({ provider });
    await sw.stage(secret);
    (provider === 'polytomic' ? sw.world.polytomic : sw.world.poelis).injectFault(fault);
    await expectRefused(secret, errorType);
    sw.clearFaults();
    expect(await checkInvariants(sw, secret, { settled: false })).toEqual([]);
  });

  /** Answers the key issue with a body of the test's choosing, as a misbehaving vendor would. */
  function answerKeyIssueWith(
    body: (secret: SecretUnderTest) => unknown,
    secret: SecretUnderTest,
  ): void {
    sw.tracer.interceptor = <T>(call: { operation: string }, proceed: () => Promise<T>) => {
      if (call.operation !== issueOperation) return proceed();
      const response: HttpResponse = {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body(secret)),
        requestId: 'hostile-1',
      };
      return Promise.resolve(response as T);
    };
  }

  it.each([
    ['a numeric key', () => ({ data: { value: 12345 } })],
    ['an empty key', () => ({ data: { value: '' } })],
    ['no data', () => ({ value: 'x' })],
  ])('refuses a key issue answering %s', async (_name, body) => {
    const secret = await sw.newSecret({ provider: 'polytomic' });
    answerKeyIssueWith(body, secret);
    await expectRefused(secret, 'VendorResponseError');
  });

  it('refuses a key issued for the wrong user at testSecret, keeping AWSCURRENT', async () => {
    const secret = await sw.newSecret({ provider: 'polytomic' });
    const other = sw.world.polytomic.admin.createUser(
      secret.organizationId,
      'intruder@example.com',
    );
    const wrongKey = sw.world.polytomic.admin.issueUserKey(secret.organizationId, other.id);
    answerKeyIssueWith(() => ({ data: { value: wrongKey } }), secret);
    await expectRefused(secret, 'IdentityMismatchError');
    sw.world.polytomic.admin.revokeKey(
      sw.world.polytomic.ledger().find((entry) => entry.userId === other.id)?.fingerprint ?? '',
    );
  });

  it('refuses a key of the wrong format (not a live key) at testSecret', async () => {
    const secret = await sw.newSecret({ provider: 'polytomic' });
    answerKeyIssueWith(() => ({ data: { value: '<script>alert(1)</script>' } }), secret);
    await expectRefused(secret, 'KeyRejectedError');
  });
});
