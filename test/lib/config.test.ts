import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allowedOriginsSetting,
  auditIntervalMinutes,
  CONFIG_CONTEXT_KEY,
  ConfigError,
  defaultPartnerSecretName,
  loadRotatorConfig,
  MissingConfigError,
  parseRotatorConfig,
  resolveConfigPath,
} from '../../lib/config';

const validSecret = {
  name: 'api-key-rotator/polytomic/prod',
  provider: 'polytomic',
  schedule: 'rate(30 days)',
  rotationWindow: '4h',
};

/** The problems a config raises, or a failure if it is accepted. */
function problemsOf(raw: unknown): readonly string[] {
  try {
    parseRotatorConfig(raw);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config was accepted');
}

function withSecret(overrides: Record<string, unknown>): unknown {
  return { secrets: [{ ...validSecret, ...overrides }] };
}

describe('parseRotatorConfig', () => {
  it('applies the documented defaults to a minimal config', () => {
    const config = parseRotatorConfig({ secrets: [validSecret] });
    expect(config.stackName).toBe('ApiKeyRotator');
    expect(config.allowedOrigins).toEqual({
      polytomic: ['https://app.polytomic.com'],
      poelis: ['https://api.poelis.com'],
    });
    expect(config.reservedConcurrency).toBeUndefined();
    expect(config.audit.reservedConcurrency).toBeUndefined();
    expect(config.logRetentionDays).toBe(90);
    expect(config.partnerKey).toEqual({
      kind: 'created',
      secretName: 'api-key-rotator/polytomic-partner-key',
    });
    const [secret] = config.secrets;
    expect(secret.revokePolicy).toBe('on-finish');
    expect(secret.rotationWindow.toHours()).toBe(4);
    expect(secret.readerRoleArns).toEqual([]);
    expect(config.secretNamePrefixes).toEqual(['api-key-rotator/']);
    expect(config.audit).toEqual({ schedule: 'cron(0 6 * * ? *)', enabled: true });
  });

  it('accepts cron schedules, hour rates, readers and an imported partner key', () => {
    const config = parseRotatorConfig({
      partnerKey: {
        secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:partner-AbC123',
        kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
      secrets: [
        {
          ...validSecret,
          schedule: 'cron(0 9 ? * MON#1 *)',
          revokePolicy: 'next-rotation',
          readerRoleArns: ['arn:aws:iam::111122223333:role/app/reader'],
        },
        {
          ...validSecret,
          name: 'poelis/prod',
          provider: 'poelis',
          schedule: 'rate(12 hours)',
          rotationWindow: '2h',
        },
      ],
    });
    expect(config.partnerKey.kind).toBe('imported');
    expect(config.secrets.map((s) => s.schedule)).toEqual([
      'cron(0 9 ? * MON#1 *)',
      'rate(12 hours)',
    ]);
    expect(config.secretNamePrefixes).toEqual(['api-key-rotator/', 'poelis/']);
  });

  it.each([
    ['rate(30 dayz)'],
    ['rate(0 days)'],
    ['rate(1001 days)'],
    ['rate(2 hours)'],
    ['every 30 days'],
    ['cron(0 9 * *)'],
  ])('rejects the schedule %s with the accepted forms', (schedule) => {
    expect(problemsOf(withSecret({ schedule }))).toEqual([
      expect.stringMatching(
        /^secrets\[0\]\.schedule: .* is not a Secrets Manager schedule: use "rate\(N days\)"/,
      ),
    ]);
  });

  it('rejects an unknown provider, naming the allowed ones', () => {
    expect(problemsOf(withSecret({ provider: 'stripe' }))).toEqual([
      'secrets[0].provider: "stripe" is not one of "polytomic", "poelis"',
    ]);
  });

  it.each([['4'], ['0h'], ['25h'], ['90m'], [4]])(
    'rejects the rotation window %p',
    (rotationWindow) => {
      expect(problemsOf(withSecret({ rotationWindow }))).toEqual([
        expect.stringMatching(/^secrets\[0\]\.rotationWindow: /),
      ]);
    },
  );

  it('rejects a window that reaches the next rotation', () => {
    expect(problemsOf(withSecret({ schedule: 'rate(6 hours)', rotationWindow: '6h' }))).toEqual([
      'secrets[0].rotationWindow: "6h" must be shorter than the interval of rate(6 hours)',
    ]);
  });

  it('rejects an unknown revoke policy', () => {
    expect(problemsOf(withSecret({ revokePolicy: 'never' }))).toEqual([
      'secrets[0].revokePolicy: "never" is not one of "on-finish", "next-rotation"',
    ]);
  });

  it('rejects reader ARNs that are not IAM roles', () => {
    expect(
      problemsOf(withSecret({ readerRoleArns: ['arn:aws:iam::111122223333:user/alice', '*'] })),
    ).toEqual([
      'secrets[0].readerRoleArns[0]: "arn:aws:iam::111122223333:user/alice" is not an IAM role ARN',
      'secrets[0].readerRoleArns[1]: "*" is not an IAM role ARN',
    ]);
  });

  it('refuses replicas, naming the field and why', () => {
    expect(
      problemsOf(
        withSecret({
          replicas: [
            { region: 'us-east-1', kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/abcd' },
          ],
        }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^secrets\[0\]\.replicas: replicas are not supported: ReplicateSecretToRegions decrypts/,
      ),
    ]);
  });

  it('takes the name prefixes from the names, or checks every name is under the given ones', () => {
    expect(
      parseRotatorConfig({ secrets: [validSecret, { ...validSecret, name: 'fleet/a/b' }] })
        .secretNamePrefixes,
    ).toEqual(['api-key-rotator/', 'fleet/']);
    expect(problemsOf({ secretNamePrefixes: ['fleet/'], secrets: [validSecret] })).toEqual([
      expect.stringMatching(
        /^secrets\[0\]\.name: "api-key-rotator\/polytomic\/prod" is not under a name prefix \(fleet\/\)/,
      ),
    ]);
    expect(problemsOf(withSecret({ name: 'no-prefix' }))).toEqual([
      expect.stringMatching(/^secrets\[0\]\.name: "no-prefix" is not under a name prefix \(none\)/),
    ]);
    expect(problemsOf({ secretNamePrefixes: ['fleet', '*/'], secrets: [validSecret] })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^secretNamePrefixes\[0\]: "fleet" is not a name prefix/),
        expect.stringMatching(/^secretNamePrefixes\[1\]: "\*\/" is not a name prefix/),
      ]),
    );
  });

  it('bounds the reader roles the key policy names', () => {
    const readers = Array.from({ length: 41 }, (_, i) => `arn:aws:iam::111122223333:role/r${i}`);
    expect(problemsOf(withSecret({ readerRoleArns: readers }))).toEqual([
      expect.stringMatching(/^readerRoleArns: 41 distinct reader roles .* at most 40/),
    ]);
  });

  it('rejects unknown fields, duplicate names and an empty secret list', () => {
    expect(problemsOf(withSecret({ rotationSchedule: 'rate(1 day)' }))).toEqual([
      expect.stringMatching(/^secrets\[0\]\.rotationSchedule: unknown field/),
    ]);
    expect(problemsOf({ secrets: [validSecret, validSecret] })).toEqual([
      'secrets: "api-key-rotator/polytomic/prod" is declared twice',
    ]);
    expect(problemsOf({ secrets: [] })).toEqual([
      'secrets: must be a non-empty list of managed secrets',
    ]);
  });

  it('rejects non-https origins and bad top-level values together', () => {
    expect(
      problemsOf({
        secrets: [validSecret],
        allowedOrigins: { polytomic: ['http://app.polytomic.com'] },
        reservedConcurrency: 0,
        logRetentionDays: 42,
      }),
    ).toEqual([
      'allowedOrigins.polytomic[0]: uses plain http, allowed only to 127.0.0.1 or localhost with loopback http enabled (allowLoopbackHttp)',
      'reservedConcurrency: 0 must be an integer from 1 to 10, or left out to reserve none',
      expect.stringMatching(/^logRetentionDays: 42 must be one of 1, 3, 5/),
    ]);
  });

  it("reads each vendor's origins, defaulting the vendors it does not name", () => {
    const config = parseRotatorConfig({
      secrets: [validSecret],
      allowedOrigins: { poelis: ['https://eu.api.poelis.com', 'https://api.poelis.com:8443'] },
    });
    expect(config.allowedOrigins).toEqual({
      polytomic: ['https://app.polytomic.com'],
      poelis: ['https://eu.api.poelis.com', 'https://api.poelis.com:8443'],
    });
    const local = parseRotatorConfig({
      secrets: [validSecret],
      allowLoopbackHttp: true,
      allowedOrigins: { polytomic: ['http://127.0.0.1'], poelis: ['http://127.0.0.1'] },
    });
    expect(local.allowedOrigins.poelis).toEqual(['http://127.0.0.1']);
  });

  // Every hostile origin config is refused naming its path, without quoting the entry.
  const SECRET_LOOKING = 'hunter2-s3cr3t';
  const hostileOrigins: readonly [string, unknown, string][] = [
    [
      'the old flat list',
      ['https://app.polytomic.com'],
      "allowedOrigins: must name each vendor's origins",
    ],
    ['a string', 'https://app.polytomic.com', 'allowedOrigins: must be an object'],
    ['null', null, 'allowedOrigins: must be an object'],
    [
      'an unknown vendor',
      { stripe: ['https://api.stripe.com'] },
      'allowedOrigins.<key>: names no vendor',
    ],
    ['a prototype key', JSON.parse('{"__proto__": ["https://a.example.com"]}'), 'names no vendor'],
    ['an empty list', { poelis: [] }, 'allowedOrigins.poelis: must be a non-empty list'],
    [
      'a string for a list',
      { poelis: 'https://api.poelis.com' },
      'allowedOrigins.poelis: must be a non-empty list',
    ],
    ['a number', { poelis: [443] }, 'allowedOrigins.poelis[0]: must be a string'],
    ['an empty origin', { poelis: [''] }, 'allowedOrigins.poelis[0]: is empty'],
    ['a path', { poelis: ['https://api.poelis.com/v1'] }, 'has a path'],
    ['a trailing slash', { poelis: ['https://api.poelis.com/'] }, 'has a path'],
    ['a query', { poelis: ['https://api.poelis.com?a=b'] }, 'query'],
    ['userinfo', { poelis: [`https://u:${SECRET_LOOKING}@api.poelis.com`] }, 'credentials'],
    ['javascript:', { poelis: ['javascript:alert(1)'] }, 'not an https:// origin'],
    ['file:', { poelis: ['file:///etc/passwd'] }, 'not an https:// origin'],
    ['port 0', { poelis: ['https://api.poelis.com:0'] }, 'port 0'],
    ['a port past 65535', { poelis: ['https://api.poelis.com:70000'] }, 'not a valid URL'],
    [
      'the default port spelled out',
      { poelis: ['https://api.poelis.com:443'] },
      'not spelled as an origin',
    ],
    ['an IPv4 literal', { poelis: ['https://169.254.169.254'] }, 'IP literals'],
    ['an IPv6 literal', { poelis: ['https://[::1]'] }, 'IP literals'],
    ['trailing junk', { poelis: ['https://api.poelis.com x'] }, 'blank'],
    ['plain http to a remote host', { poelis: ['http://api.poelis.com'] }, 'plain http'],
    [
      'loopback http without the switch',
      { poelis: ['http://127.0.0.1:4010'] },
      '(allowLoopbackHttp)',
    ],
    [
      'an origin listed twice',
      { poelis: ['https://api.poelis.com', 'https://api.poelis.com'] },
      'allowedOrigins.poelis[1]: is listed twice',
    ],
    [
      "another vendor's origin",
      { polytomic: ['https://x.example.com'], poelis: ['https://x.example.com'] },
      "allowedOrigins.poelis[0]: is also polytomic's origin",
    ],
  ];

  it.each(hostileOrigins)('rejects allowedOrigins with %s', (_what, allowedOrigins, problem) => {
    const problems = problemsOf({ secrets: [validSecret], allowedOrigins });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
    expect(problems[0].startsWith('allowedOrigins')).toBe(true);
    expect(problems[0]).not.toContain(SECRET_LOOKING);
  });

  it("writes a function construct's origins as the function reads them, or fails synth", () => {
    expect(allowedOriginsSetting(undefined, false)).toBe(
      'polytomic=https://app.polytomic.com;poelis=https://api.poelis.com',
    );
    expect(allowedOriginsSetting({ poelis: ['https://eu.api.poelis.com'] }, false)).toBe(
      'polytomic=https://app.polytomic.com;poelis=https://eu.api.poelis.com',
    );
    expect(() => allowedOriginsSetting({ poelis: ['https://app.polytomic.com'] }, false)).toThrow(
      'polytomic and poelis share an origin',
    );
    expect(() => allowedOriginsSetting({ poelis: ['http://127.0.0.1'] }, false)).toThrow(
      ConfigError,
    );
  });

  it('rejects a partner key that is both created and imported', () => {
    expect(
      problemsOf({
        secrets: [validSecret],
        partnerKey: {
          secretName: 'partner',
          secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:partner-AbC123',
        },
      }),
    ).toEqual(['partnerKey: set either secretName (create it) or secretArn (import it), not both']);
  });

  it.each([
    ['rate(1 hour)', 60],
    ['rate(6 hours)', 360],
    ['rate(90 minutes)', 90],
    ['rate(2 days)', 2880],
    ['cron(30 5 * * ? *)', 1440],
    ['cron(0 7 ? * MON-FRI *)', 1440],
  ])('accepts the audit schedule %s, running every %d minutes', (schedule, minutes) => {
    const config = parseRotatorConfig({ secrets: [validSecret], audit: { schedule } });
    expect(config.audit).toEqual({ schedule, enabled: true });
    expect(auditIntervalMinutes(schedule)).toBe(minutes);
  });

  it.each([
    ['rate(30 minutes)'],
    ['rate(1 hours)'],
    ['rate(6 hour)'],
    ['rate(0 days)'],
    ['cron(0 */6 * * ? *)'],
    ['cron(0,30 6 * * ? *)'],
    ['cron(0 24 * * ? *)'],
    ['daily'],
    [42],
  ])('rejects the audit schedule %p with the accepted forms', (schedule) => {
    expect(problemsOf({ secrets: [validSecret], audit: { schedule } })).toEqual([
      expect.stringMatching(
        /^audit\.schedule: .* is not an audit schedule: use "rate\(N hours\)" or "rate\(N days\)"/,
      ),
    ]);
  });

  it('pauses the audit schedule on request, and rejects unknown audit fields', () => {
    expect(parseRotatorConfig({ secrets: [validSecret], audit: { enabled: false } }).audit).toEqual(
      { schedule: 'cron(0 6 * * ? *)', enabled: false },
    );
    expect(
      problemsOf({ secrets: [validSecret], audit: { enabled: 'no', timezone: 'Europe/Paris' } }),
    ).toEqual([
      expect.stringMatching(
        /^audit\.timezone: unknown field \(expected one of schedule, enabled, reservedConcurrency\)/,
      ),
      'audit.enabled: must be true or false, got "no"',
    ]);
    expect(problemsOf({ secrets: [validSecret], audit: 'daily' })).toEqual([
      'audit: must be an object {"schedule", "enabled", "reservedConcurrency"}',
    ]);
  });

  it('reserves concurrency for a function only when asked, from 1 to 10, naming the field', () => {
    const reserved = parseRotatorConfig({
      secrets: [validSecret],
      reservedConcurrency: 2,
      audit: { reservedConcurrency: 1 },
    });
    expect(reserved.reservedConcurrency).toBe(2);
    expect(reserved.audit).toEqual({
      schedule: 'cron(0 6 * * ? *)',
      enabled: true,
      reservedConcurrency: 1,
    });
    expect(
      problemsOf({
        secrets: [validSecret],
        reservedConcurrency: 2.5,
        audit: { reservedConcurrency: 11 },
      }),
    ).toEqual([
      'reservedConcurrency: 2.5 must be an integer from 1 to 10, or left out to reserve none',
      'audit.reservedConcurrency: 11 must be an integer from 1 to 10, or left out to reserve none',
    ]);
    expect(problemsOf({ secrets: [validSecret], audit: { reservedConcurrency: '2' } })).toEqual([
      'audit.reservedConcurrency: "2" must be an integer from 1 to 10, or left out to reserve none',
    ]);
  });

  it("names the partner key after the stack, so two stacks' defaults do not collide", () => {
    const staging = parseRotatorConfig({ stackName: 'RotatorStaging', secrets: [validSecret] });
    expect(staging.partnerKey).toEqual({
      kind: 'created',
      secretName: 'rotator-staging/polytomic-partner-key',
    });
    expect(defaultPartnerSecretName('ApiKeyRotator')).toBe('api-key-rotator/polytomic-partner-key');
  });

  it('names the file in the error when loading', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotator-config-'));
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"secrets": [');
    expect(() => loadRotatorConfig(path)).toThrow(
      /^Invalid rotator config \(.*bad\.json\):\n {2}- not valid JSON/,
    );
  });

  it('accepts the example config shipped with the project', () => {
    const config = loadRotatorConfig(join(__dirname, '..', '..', 'config', 'example.json'));
    expect(config.secrets.map((s) => s.provider)).toEqual(['polytomic', 'poelis']);
  });

  it('reserves no concurrency in the example, which a new account (quota of 10) could not give', () => {
    const config = loadRotatorConfig(join(__dirname, '..', '..', 'config', 'example.json'));
    expect([config.reservedConcurrency, config.audit.reservedConcurrency]).toEqual([
      undefined,
      undefined,
    ]);
  });
});

describe('resolveConfigPath (bin/app.ts)', () => {
  it('uses the config file the context names', () => {
    expect(resolveConfigPath('config/deploy.json')).toBe('config/deploy.json');
  });

  it.each([undefined, '', '  ', 42])(
    'never falls back to the example without a context value (%p)',
    (contextValue) => {
      expect(() => resolveConfigPath(contextValue)).toThrow(MissingConfigError);
      expect(() => resolveConfigPath(contextValue)).toThrow(
        `npx cdk deploy -c ${CONFIG_CONTEXT_KEY}=config/deploy.json`,
      );
    },
  );

  it('tells which file to write and why the example cannot be deployed', () => {
    const message = new MissingConfigError().message;
    expect(message).toContain('cp config/example.json config/deploy.json');
    expect(message).toContain('is for synth and tests only');
    expect(message).toContain('arn:aws:iam::111122223333:role/sync-service exists in no account');
  });

  it('has no default in cdk.json, so a bare `npx cdk deploy` stops before synthesis', () => {
    const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
      context?: Record<string, unknown>;
    };
    expect(cdkJson.context?.[CONFIG_CONTEXT_KEY]).toBeUndefined();
  });
});
