import { readAuditConfig } from '../../lambda/audit/config';
import { polytomicProvider } from '../../lambda/providers/polytomic';
import { ProviderRegistry } from '../../lambda/providers/registry';
import { ConfigurationError, readRotatorConfig } from '../../lambda/rotation/config';
import { parseRotationEvent } from '../../lambda/rotation/event';
import { FunctionEnv } from '../../lambda/shared/contracts';

describe('readRotatorConfig', () => {
  it('has the documented defaults: each provider its own origins', () => {
    expect(readRotatorConfig({})).toEqual({
      originPolicy: {
        originsByProvider: {
          polytomic: ['https://app.polytomic.com'],
          poelis: ['https://api.poelis.com'],
        },
        allowLoopbackHttp: false,
      },
      requireCustomerManagedKey: false,
      defaultPartnerKeySecretId: undefined,
      notifyTopicArn: undefined,
    });
  });

  it('reads every variable', () => {
    const config = readRotatorConfig({
      [FunctionEnv.AllowedOrigins]:
        ' polytomic=http://127.0.0.1:4010 ; poelis=http://127.0.0.1:4020,http://localhost ',
      [FunctionEnv.AllowLoopbackHttp]: 'true',
      [FunctionEnv.RequireCustomerManagedKey]: 'TRUE',
      [FunctionEnv.PartnerKeySecretId]: 'polytomic/partner',
      [FunctionEnv.NotifyTopicArn]: 'arn:aws:sns:us-east-1:123456789012:rotator',
    });
    expect(config).toEqual({
      originPolicy: {
        originsByProvider: {
          polytomic: ['http://127.0.0.1:4010'],
          poelis: ['http://127.0.0.1:4020', 'http://localhost'],
        },
        allowLoopbackHttp: true,
      },
      requireCustomerManagedKey: true,
      defaultPartnerKeySecretId: 'polytomic/partner',
      notifyTopicArn: 'arn:aws:sns:us-east-1:123456789012:rotator',
    });
  });

  it('keeps the default origins of a provider the setting does not name', () => {
    const config = readRotatorConfig({
      [FunctionEnv.AllowedOrigins]: 'poelis=https://eu.api.poelis.com,https://api.poelis.com:8443',
    });
    expect(config.originPolicy.originsByProvider).toEqual({
      polytomic: ['https://app.polytomic.com'],
      poelis: ['https://eu.api.poelis.com', 'https://api.poelis.com:8443'],
    });
  });

  it('reads the origins of the providers it is given', () => {
    const acme = {
      ...polytomicProvider,
      name: 'acme',
      defaultOrigins: ['https://api.acme.example'],
    };
    const providers = new ProviderRegistry([acme]);
    expect(readRotatorConfig({}, providers).originPolicy.originsByProvider).toEqual({
      acme: ['https://api.acme.example'],
    });
    expect(() =>
      readRotatorConfig(
        { [FunctionEnv.AllowedOrigins]: 'polytomic=https://a.example.com' },
        providers,
      ),
    ).toThrow('unknown provider: use one of acme');
  });

  it('names the variable it cannot use', () => {
    const badLoopback = { [FunctionEnv.AllowLoopbackHttp]: 'yes' };
    expect(() => readRotatorConfig(badLoopback)).toThrow(ConfigurationError);
    expect(() => readRotatorConfig(badLoopback)).toThrow(FunctionEnv.AllowLoopbackHttp);
    expect(() => readRotatorConfig({ [FunctionEnv.AllowedOrigins]: 'app.polytomic.com' })).toThrow(
      FunctionEnv.AllowedOrigins,
    );
  });

  // Each setting is refused at load, naming the variable and what is wrong, without quoting it.
  const SECRET_LOOKING = 'hunter2-s3cr3t';
  const hostileOrigins: readonly [string, string, string][] = [
    [
      'a flat list, as before',
      'https://app.polytomic.com,https://api.poelis.com',
      'names no provider',
    ],
    ['a path', 'polytomic=https://app.polytomic.com/api', 'has a path'],
    ['a trailing slash', 'polytomic=https://app.polytomic.com/', 'has a path'],
    ['a query', 'polytomic=https://app.polytomic.com?x=1', 'query'],
    ['a fragment', 'polytomic=https://app.polytomic.com#me', 'fragment'],
    ['userinfo', `polytomic=https://u:${SECRET_LOOKING}@app.polytomic.com`, 'credentials'],
    ['a bare user', 'polytomic=https://admin@app.polytomic.com', 'credentials'],
    ['javascript:', 'polytomic=javascript:alert(1)', 'not an https:// origin'],
    ['file:', 'polytomic=file:///etc/passwd', 'not an https:// origin'],
    ['data:', 'poelis=data:text/plain,hi', 'not an https:// origin'],
    ['ftp:', 'poelis=ftp://api.poelis.com', 'not an https:// origin'],
    ['no scheme', 'poelis=api.poelis.com', 'not an https:// origin'],
    ['a scheme without slashes', 'poelis=https:api.poelis.com', 'must start with https://'],
    ['an upper-case scheme', 'poelis=HTTPS://api.poelis.com', 'must start with https://'],
    ['an upper-case host', 'poelis=https://API.poelis.com', 'not spelled as an origin'],
    [
      'the default port spelled out',
      'poelis=https://api.poelis.com:443',
      'not spelled as an origin',
    ],
    ['port 0', 'poelis=https://api.poelis.com:0', 'port 0'],
    ['a port past 65535', 'poelis=https://api.poelis.com:65536', 'not a valid URL'],
    ['a non-numeric port', 'poelis=https://api.poelis.com:https', 'not a valid URL'],
    ['two ports', 'poelis=https://api.poelis.com:80:80', 'not a valid URL'],
    ['an IPv4 literal', 'poelis=https://169.254.169.254', 'IP literals'],
    ['an IPv6 literal', 'poelis=https://[fd00:ec2::254]', 'IP literals'],
    ['an IPv6 loopback over http', 'poelis=http://[::1]:4010', 'plain http'],
    ['a decimal IPv4 literal', 'poelis=https://2852039166', 'not spelled as an origin'],
    ['a single-label host', 'poelis=https://metadata', 'single-label'],
    ['a trailing dot', 'poelis=https://api.poelis.com.', 'DNS host'],
    ['trailing junk after the host', 'poelis=https://api.poelis.com junk', 'blank'],
    ['a tab inside', 'poelis=https://api.\tpoelis.com', 'control'],
    ['a backslash', 'poelis=https://api.poelis.com\\@evil.example', 'backslash'],
    ['a non-ASCII look-alike host', 'poelis=https://api.poelís.com', 'non-ASCII'],
    ['plain http to a remote host', 'poelis=http://api.poelis.com', 'plain http'],
    ['plain http to loopback without the switch', 'poelis=http://127.0.0.1:4010', 'plain http'],
    [
      'an empty entry',
      'polytomic=https://app.polytomic.com;;poelis=https://api.poelis.com',
      'entry 2 is empty',
    ],
    ['a trailing semicolon', 'polytomic=https://app.polytomic.com;', 'entry 2 is empty'],
    ['an empty origin', 'polytomic=https://app.polytomic.com,', "polytomic's origin 2 is empty"],
    ['a provider with no origin', 'polytomic=', "polytomic's origin 1 is empty"],
    ['an unknown provider', 'stripe=https://api.stripe.com', 'unknown provider'],
    ['a provider in capitals', 'Polytomic=https://app.polytomic.com', 'unknown provider'],
    ['a prototype key', '__proto__=https://app.polytomic.com', 'unknown provider'],
    ['no provider name', '=https://app.polytomic.com', 'unknown provider'],
    [
      'a duplicated provider',
      'poelis=https://api.poelis.com;poelis=https://b.poelis.com',
      'a second time',
    ],
    ['an origin listed twice', 'poelis=https://api.poelis.com,https://api.poelis.com', 'twice'],
    ["another vendor's origin", 'poelis=https://app.polytomic.com', 'share an origin'],
    [
      'one origin for both vendors',
      'polytomic=https://x.example.com;poelis=https://x.example.com',
      'share an origin',
    ],
    ['a setting too long to be one', `poelis=https://${'a'.repeat(5000)}.com`, 'longer than'],
    ['an origin too long to be one', `poelis=https://${'a.'.repeat(200)}com`, 'longer than'],
  ];

  it.each(hostileOrigins)('refuses ROTATOR_ALLOWED_ORIGINS with %s', (_what, value, problem) => {
    const error = captureError(() => readRotatorConfig({ [FunctionEnv.AllowedOrigins]: value }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`Environment variable ${FunctionEnv.AllowedOrigins}`);
    expect(error.message).toContain(problem);
    expect(error.message).not.toContain(SECRET_LOOKING);
    expect(error.message).not.toContain('evil');
    expect(error.message.length).toBeLessThan(400);
  });

  const hostileSettings: readonly [string, Record<string, string>, string][] = [
    [
      'a loopback switch of "1"',
      { [FunctionEnv.AllowLoopbackHttp]: '1' },
      FunctionEnv.AllowLoopbackHttp,
    ],
    [
      'a CMK switch of "yes"',
      { [FunctionEnv.RequireCustomerManagedKey]: 'yes' },
      FunctionEnv.RequireCustomerManagedKey,
    ],
    [
      'a topic that is no ARN',
      { [FunctionEnv.NotifyTopicArn]: 'rotator-topic' },
      FunctionEnv.NotifyTopicArn,
    ],
    [
      'a queue ARN for a topic',
      { [FunctionEnv.NotifyTopicArn]: 'arn:aws:sqs:us-east-1:123456789012:q' },
      FunctionEnv.NotifyTopicArn,
    ],
    [
      'a topic ARN with junk after it',
      { [FunctionEnv.NotifyTopicArn]: 'arn:aws:sns:us-east-1:123456789012:t x' },
      FunctionEnv.NotifyTopicArn,
    ],
    [
      'a partner key id with a newline',
      { [FunctionEnv.PartnerKeySecretId]: 'polytomic/\npartner' },
      FunctionEnv.PartnerKeySecretId,
    ],
    [
      "a partner key id that is another service's ARN",
      { [FunctionEnv.PartnerKeySecretId]: 'arn:aws:ssm:us-east-1:123456789012:parameter/p' },
      FunctionEnv.PartnerKeySecretId,
    ],
  ];

  it.each(hostileSettings)('refuses %s', (_what, env, variable) => {
    expect(() => readRotatorConfig(env)).toThrow(ConfigurationError);
    expect(() => readRotatorConfig(env)).toThrow(`Environment variable ${variable}`);
  });

  const hostileAuditSettings: readonly [string, Record<string, string>][] = [
    [
      'a KMS ARN without region and account',
      { [FunctionEnv.ExpectedKmsKeyArn]: 'arn:aws:kms:key/1' },
    ],
    ['a KMS alias for a key ARN', { [FunctionEnv.ExpectedKmsKeyArn]: 'alias/rotator' }],
    ['a continuation topic that is no ARN', { [FunctionEnv.AuditContinuationTopicArn]: 'topic' }],
    ['a concurrency in hex', { [FunctionEnv.AuditConcurrency]: '0x10' }],
    ['a concurrency with an exponent', { [FunctionEnv.AuditConcurrency]: '1e1' }],
    ['a negative concurrency', { [FunctionEnv.AuditConcurrency]: '-4' }],
    ['a fractional concurrency', { [FunctionEnv.AuditConcurrency]: '2.5' }],
    ['a concurrency past the bound', { [FunctionEnv.AuditConcurrency]: '100000' }],
    ['a vendor concurrency of zero', { [FunctionEnv.AuditVendorConcurrency]: '0' }],
    ['an interval with a unit', { [FunctionEnv.AuditIntervalMinutes]: '60m' }],
    ['a grace of Infinity', { [FunctionEnv.AuditOverdueGraceHours]: 'Infinity' }],
    ['shared origins that are hostile', { [FunctionEnv.AllowedOrigins]: 'poelis=file:///x' }],
  ];

  it.each(hostileAuditSettings)('the audit refuses %s', (_what, env) => {
    const [variable] = Object.keys(env);
    expect(() => readAuditConfig(env)).toThrow(ConfigurationError);
    expect(() => readAuditConfig(env)).toThrow(`Environment variable ${variable}`);
  });
});

function captureError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('the setting was accepted');
}

describe('parseRotationEvent', () => {
  it('keeps the RotationToken only when present', () => {
    const event = { Step: 'testSecret', SecretId: 'arn:x', ClientRequestToken: 't-1' };
    expect(parseRotationEvent(event)).toEqual(event);
    expect(parseRotationEvent({ ...event, RotationToken: 'r' })).toEqual({
      ...event,
      RotationToken: 'r',
    });
  });
});
