/**
 * Values that cannot be HTTP header values (CR, LF, NUL, other control characters, characters
 * outside visible ASCII, or too long) in every field that becomes a header, from every source:
 * the secret, the operator (`stage`), and the vendor's answer. Each is refused by a named error
 * naming the field and never the value, before any vendor request; a key the vendor answered is
 * never stored and is revoked; and a hostile value left in AWSPREVIOUS, AWSPENDING or STAGED
 * never wedges the secret.
 */
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { HttpResponse } from '../../lambda/http/client';
import { STAGED_LABEL } from '../../lambda/shared/secret';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { checkInvariants } from '../support/invariants';
import { SafetyWorld, type SecretUnderTest } from '../support/safety-world';

jest.setTimeout(120_000);

let sw: SafetyWorld;

beforeAll(async () => {
  sw = await SafetyWorld.start({ attemptTimeoutMs: 300 });
});

afterAll(() => sw?.close());

afterEach(() => sw.clearFaults());

type SecretValue = Record<string, unknown>;

const ISSUE_ROUTE = '/api/organizations/:org/users/:user/keys';

/** How each hostile value is made from a valid one; every row is refused wherever it goes. */
const HOSTILE: readonly [string, (valid: string) => string][] = [
  ['a trailing CR', (v) => `${v}\r`],
  ['a trailing LF', (v) => `${v}\n`],
  ['a trailing CRLF', (v) => `${v}\r\n`],
  ['an injected header', (v) => `${v}\r\nX-Injected: 1`],
  ['a NUL', (v) => `${v.slice(0, 4)}\0${v.slice(4)}`],
  ['a tab', (v) => `${v.slice(0, 4)}\t${v.slice(4)}`],
  ['a DEL', (v) => `${v}\x7f`],
  ['a space', (v) => `${v.slice(0, 4)} ${v.slice(4)}`],
  ['an "é"', (v) => `${v}é`],
  ['a "🔑"', (v) => `${v}🔑`],
  ['5,000 characters', (v) => v.padEnd(5_000, 'k')],
];

/** Key names are printed, never sent: only control characters and excess length are refused. */
const HOSTILE_NAMES: readonly [string, string][] = [
  ['a CR', 'Production\rIntegration'],
  ['an LF', 'Production\nIntegration'],
  ['a CRLF', 'Production Integration\r\n'],
  ['a NUL', 'Production\0Integration'],
  ['a tab', 'Production\tIntegration'],
  ['a DEL', 'Production Integration\x7f'],
  ['an ANSI escape', '\x1b[2JProduction Integration'],
  ['a direction override', 'Production \u202eIntegration'],
  ['201 characters', 'n'.repeat(201)],
];

async function valueOf(arn: string, stage = 'AWSCURRENT'): Promise<string> {
  const output = await sw.clients.secrets.send(
    new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }),
  );
  return output.SecretString ?? '';
}

async function put(arn: string, value: string | Uint8Array, stages?: string[]): Promise<string> {
  const output = await sw.clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: arn,
      ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }),
      ...(stages === undefined ? {} : { VersionStages: stages }),
    }),
  );
  return output.VersionId ?? '';
}

function vendorRequests(): number {
  return [...sw.vendors.values()]
    .flatMap(({ simulator }) => Object.values(simulator.routeCounts()))
    .reduce((sum, count) => sum + count, 0);
}

/** Nothing the hostile value holds beyond a valid key's characters reaches any output. */
function expectNothingEchoed(texts: readonly string[], hostile: string): void {
  for (const text of texts) {
    expect(text).not.toMatch(/[\r\0\x7f\u202e🔑]|X-Injected/u);
    if (hostile.length > 200) expect(text).not.toContain(hostile.slice(-50));
  }
  sw.collectOutputs();
  expect(sw.scanner.leaks()).toEqual([]);
}

/**
 * Rotates and expects `errorType` naming `field`, AWSCURRENT unchanged, no vendor request
 * (unless `vendorCalls`), and nothing of the value in any output.
 */
async function expectRefused(
  secret: SecretUnderTest,
  hostile: string,
  errorType: string,
  field: string,
): Promise<void> {
  const before = await valueOf(secret.arn);
  const requestsBefore = vendorRequests();
  const record = await sw.rotate(secret);
  const failed = record.steps.find((step) => !step.ok);
  expect(record.outcome).toBe('failed');
  expect(failed?.step).toBe('createSecret');
  expect(failed?.errorType).toBe(errorType);
  expect(failed?.errorMessage).toContain(`"${field}"`);
  expect(await valueOf(secret.arn)).toBe(before);
  expect(vendorRequests()).toBe(requestsBefore);
  expectNothingEchoed([failed?.errorMessage ?? ''], hostile);
  await sw.retire(secret);
}

/** A fresh secret whose AWSCURRENT is `mutate(valid)`. */
async function secretWith(
  provider: 'polytomic' | 'poelis',
  mutate: (valid: SecretValue) => SecretValue,
): Promise<SecretUnderTest> {
  const secret = await sw.newSecret({ provider });
  const valid = JSON.parse(await valueOf(secret.arn)) as SecretValue;
  await put(secret.arn, JSON.stringify(mutate(valid)));
  return secret;
}

describe('Polytomic secret fields that become headers', () => {
  it.each(HOSTILE)('refuses an apiKey with %s', async (_name, make) => {
    let hostile = '';
    const secret = await secretWith('polytomic', (v) => {
      hostile = make(String(v.apiKey));
      return { ...v, apiKey: hostile };
    });
    await expectRefused(secret, hostile, 'SecretFormatError', 'apiKey');
  });

  it.each(HOSTILE)('refuses an apiVersion with %s', async (_name, make) => {
    const hostile = make('2025-09-18');
    const secret = await secretWith('polytomic', (v) => ({ ...v, apiVersion: hostile }));
    await expectRefused(secret, hostile, 'SecretFormatError', 'apiVersion');
  });

  it.each(HOSTILE)('refuses a partner key with %s', async (_name, make) => {
    const secret = await sw.newSecret({ provider: 'polytomic' });
    const { partnerKeySecretId } = JSON.parse(await valueOf(secret.arn)) as SecretValue;
    const partner = JSON.parse(await valueOf(String(partnerKeySecretId))) as SecretValue;
    const hostile = make(String(partner.partnerKey));
    await put(String(partnerKeySecretId), JSON.stringify({ partnerKey: hostile }));
    await expectRefused(secret, hostile, 'SecretFormatError', 'partnerKey');
  });

  it('accepts a bare partner key saved with CRLF, and rotates', async () => {
    const secret = await sw.newSecret({ provider: 'polytomic' });
    const { partnerKeySecretId } = JSON.parse(await valueOf(secret.arn)) as SecretValue;
    const partner = JSON.parse(await valueOf(String(partnerKeySecretId))) as SecretValue;
    await put(String(partnerKeySecretId), `${String(partner.partnerKey)}\r\n`);
    const record = await sw.rotate(secret);
    expect(record.outcome).toBe('succeeded');
    expect(await checkInvariants(sw, secret, { settled: true })).toEqual([]);
    await sw.retire(secret);
  });

  it('refuses a bare partner key with a CR inside', async () => {
    const secret = await sw.newSecret({ provider: 'polytomic' });
    const { partnerKeySecretId } = JSON.parse(await valueOf(secret.arn)) as SecretValue;
    const partner = JSON.parse(await valueOf(String(partnerKeySecretId))) as SecretValue;
    const key = String(partner.partnerKey);
    const hostile = `${key.slice(0, 4)}\r${key.slice(4)}`;
    await put(String(partnerKeySecretId), hostile);
    await expectRefused(secret, hostile, 'SecretFormatError', 'partnerKey');
  });
});

describe('Poelis secret fields', () => {
  it.each(HOSTILE)('refuses an apiKey with %s', async (_name, make) => {
    let hostile = '';
    const secret = await secretWith('poelis', (v) => {
      hostile = make(String(v.apiKey));
      return { ...v, apiKey: hostile };
    });
    await sw.stage(secret);
    await expectRefused(secret, hostile, 'SecretFormatError', 'apiKey');
  });

  it.each(HOSTILE_NAMES)('refuses a keyName with %s', async (_name, hostile) => {
    const secret = await secretWith('poelis', (v) => ({ ...v, keyName: hostile }));
    await sw.stage(secret);
    await expectRefused(secret, hostile, 'SecretFormatError', 'keyName');
  });

  it.each([
    ['an "é"', 'Intégration'],
    ['a "🔑"', 'Production 🔑'],
  ])('accepts a keyName with %s, and rotates', async (_name, keyName) => {
    const secret = await secretWith('poelis', (v) => ({ ...v, keyName }));
    await sw.stage(secret);
    const record = await sw.rotate(secret);
    expect(record.outcome).toBe('succeeded');
    expect(await checkInvariants(sw, secret, { settled: true })).toEqual([]);
    await sw.retire(secret);
  });
});

describe('Poelis STAGED values put by hand', () => {
  /** A key made in the web app, staged by hand as `{apiKey, keyName}` after `mutate`. */
  async function stageByHand(
    secret: SecretUnderTest,
    mutate: (staged: { apiKey: string; keyName: string }) => Record<string, string>,
  ): Promise<string> {
    const keyName = `${secret.label} by hand`;
    const apiKey = secret.simulator.createKeyByHand?.(secret.organizationId, keyName) ?? '';
    await put(secret.arn, JSON.stringify(mutate({ apiKey, keyName })), [STAGED_LABEL]);
    return apiKey;
  }

  it.each(HOSTILE)('refuses a STAGED apiKey with %s', async (_name, make) => {
    const secret = await sw.newSecret({ provider: 'poelis' });
    let hostile = '';
    const apiKey = await stageByHand(secret, (s) => {
      hostile = make(s.apiKey);
      return { ...s, apiKey: hostile };
    });
    await expectRefused(secret, hostile, 'SecretFormatError', 'STAGED.apiKey');
    secret.simulator.revokeByHand(secret.organizationId, fingerprint(apiKey));
  });

  it.each(HOSTILE_NAMES)('refuses a STAGED keyName with %s', async (_name, hostile) => {
    const secret = await sw.newSecret({ provider: 'poelis' });
    const apiKey = await stageByHand(secret, (s) => ({ ...s, keyName: hostile }));
    await expectRefused(secret, hostile, 'SecretFormatError', 'STAGED.keyName');
    secret.simulator.revokeByHand(secret.organizationId, fingerprint(apiKey));
  });
});

describe('a Polytomic key issue answering a key that cannot be stored or sent', () => {
  let issued = 0;

  it.each(HOSTILE.concat([['70,000 characters', (v) => v.padEnd(70_000, 'k')]]))(
    'never stores a key with %s, revokes it, and recovers',
    async (_name, make) => {
      issued += 1;
      const hostile = make(`EXAMPLE-issued-${issued}-not-a-real-key`);
      const secret = await sw.newSecret({ provider: 'polytomic' });
      const before = await valueOf(secret.arn);
      sw.world.polytomic.injectFault({
        kind: 'issued-value',
        method: 'POST',
        route: ISSUE_ROUTE,
        value: hostile,
      });
      const record = await sw.rotate(secret);
      const failed = record.steps.find((step) => !step.ok);
      expect(record.outcome).toBe('failed');
      expect(failed).toMatchObject({ step: 'createSecret', errorType: 'VendorResponseError' });
      expect(failed?.errorMessage).toContain('never stored');
      expect(failed?.errorMessage).toContain('revoked');
      expect(sw.world.polytomic.admin.keyStatus(hostile)).toBe('revoked');
      const stored = [...(await sw.allValues(secret)).values()].map(
        (value) => (JSON.parse(value) as SecretValue).apiKey,
      );
      expect(stored).not.toContain(hostile);
      expect(await valueOf(secret.arn)).toBe(before);
      expectNothingEchoed([failed?.errorMessage ?? ''], hostile);

      // Nothing wedges: recover clears the empty AWSPENDING, and the next rotation succeeds.
      const recovered = await sw.runCli(['recover', secret.arn, '--yes', '--json']);
      expect(recovered.exitCode).toBe(0);
      expect(JSON.parse(recovered.stdout)).toMatchObject({ recovered: true });
      expect((await sw.rotate(secret)).outcome).toBe('succeeded');
      expect(await checkInvariants(sw, secret, { settled: true })).toEqual([]);
      await sw.retire(secret);
    },
  );
});

describe('a hostile AWSPREVIOUS (put by hand) never wedges the rotation', () => {
  const previous: [string, 'polytomic' | 'poelis', (valid: SecretValue) => string | Uint8Array][] =
    [
      [
        'an apiKey with CRLF',
        'polytomic',
        (v) => JSON.stringify({ ...v, apiKey: `${String(v.apiKey)}\r\n` }),
      ],
      ['non-JSON text', 'polytomic', () => 'apiKey=EXAMPLE\r\n'],
      ['a binary value', 'polytomic', (v) => Buffer.from(JSON.stringify(v))],
      [
        'an apiKey with CRLF',
        'poelis',
        (v) => JSON.stringify({ ...v, apiKey: `${String(v.apiKey)}\r\n` }),
      ],
      [
        'a keyName with an ANSI escape',
        'poelis',
        (v) => JSON.stringify({ ...v, keyName: '\x1b[2Jx' }),
      ],
      ['non-JSON text', 'poelis', () => 'apiKey=EXAMPLE\r\n'],
    ];

  it.each(previous)('rotates past %s (%s)', async (_name, provider, hostile) => {
    const secret = await sw.newSecret({ provider });
    // Staged first: the test's own staging reads every labelled value as JSON.
    await sw.stage(secret);
    const validText = await valueOf(secret.arn);
    const hostileId = await put(secret.arn, hostile(JSON.parse(validText) as SecretValue));
    await put(secret.arn, validText);
    expect((await sw.versionStages(secret))[hostileId]).toEqual(['AWSPREVIOUS']);
    const record = await sw.rotate(secret);
    expect(record.outcome).toBe('succeeded');
    const notices = sw.world.aws
      .publishedMessages(sw.topicArn)
      .filter((message) => message.message.includes(secret.arn))
      .map((message) => message.message);
    expect(notices.some((notice) => notice.includes(hostileId))).toBe(true);
    expect(sw.scanner.textOf('stdout')).toContain(hostileId);
    expectNothingEchoed(notices, '');
    expect(await checkInvariants(sw, secret, { settled: true })).toEqual([]);
    await sw.retire(secret);
  });

  it('rotates past a hostile AWSPREVIOUS under next-rotation', async () => {
    const secret = await sw.newSecret({ provider: 'polytomic', policy: 'next-rotation' });
    const validText = await valueOf(secret.arn);
    const valid = JSON.parse(validText) as SecretValue;
    await put(secret.arn, JSON.stringify({ ...valid, apiKey: `${String(valid.apiKey)}\r\n` }));
    await put(secret.arn, validText);
    expect((await sw.rotate(secret)).outcome).toBe('succeeded');
    expect((await sw.rotate(secret)).outcome).toBe('succeeded');
    expect(await checkInvariants(sw, secret, { settled: true })).toEqual([]);
    await sw.retire(secret);
  });
});

describe('recover clears hostile AWSPENDING and STAGED values', () => {
  it.each(['polytomic', 'poelis'] as const)(
    'clears an AWSPENDING whose apiKey ends in CRLF (%s), and the next rotation succeeds',
    async (provider) => {
      const secret = await sw.newSecret({ provider });
      const valid = JSON.parse(await valueOf(secret.arn)) as SecretValue;
      const hostile = JSON.stringify({ ...valid, apiKey: `${String(valid.apiKey)}\r\n` });
      const pendingId = await put(secret.arn, hostile, ['AWSPENDING']);

      const recovered = await sw.runCli(['recover', secret.arn, '--yes', '--json']);
      expect(recovered.exitCode).toBe(0);
      expect(JSON.parse(recovered.stdout)).toMatchObject({
        recovered: true,
        pendingVersionId: pendingId,
        recovery: 'clear-only',
      });
      expect((await sw.versionStages(secret))[pendingId] ?? []).not.toContain('AWSPENDING');
      await sw.stage(secret);
      expect((await sw.rotate(secret)).outcome).toBe('succeeded');
      expectNothingEchoed([recovered.stdout, recovered.stderr], hostile);
      expect(await checkInvariants(sw, secret, { settled: true })).toEqual([]);
      await sw.retire(secret);
    },
  );

  it('clears a STAGED key ending in CRLF, and the next rotation succeeds', async () => {
    const secret = await sw.newSecret({ provider: 'poelis' });
    const apiKey = secret.simulator.createKeyByHand?.(secret.organizationId, 'by hand') ?? '';
    const stagedId = await put(
      secret.arn,
      JSON.stringify({ apiKey: `${apiKey}\r\n`, keyName: 'by hand' }),
      [STAGED_LABEL],
    );
    const failed = await sw.rotate(secret);
    expect(failed.outcome).toBe('failed');

    const recovered = await sw.runCli(['recover', secret.arn, '--yes', '--json']);
    expect(recovered.exitCode).toBe(0);
    expect(JSON.parse(recovered.stdout)).toMatchObject({ recovered: true, stagedCleared: true });
    expect(recovered.stderr).toContain(`remove STAGED from version ${stagedId}`);
    expect((await sw.versionStages(secret))[stagedId] ?? []).not.toContain(STAGED_LABEL);
    expectNothingEchoed([recovered.stdout, recovered.stderr], '');
    // The operator revokes the key they meant to stage, then stages a clean one.
    secret.simulator.revokeByHand(secret.organizationId, fingerprint(apiKey));
    await sw.stage(secret);
    expect((await sw.rotate(secret)).outcome).toBe('succeeded');
    expect(await checkInvariants(sw, secret, { settled: true })).toEqual([]);
    await sw.retire(secret);
  });
});

describe('stage reads the key from stdin', () => {
  async function stageWith(
    stdin: (key: string) => string,
    name = 'Production Integration',
  ): Promise<{ secret: SecretUnderTest; key: string; exitCode: number; stderr: string }> {
    const secret = await sw.newSecret({ provider: 'poelis' });
    const key = secret.simulator.createKeyByHand?.(secret.organizationId, 'Production') ?? '';
    const result = await sw.runCli(['stage', secret.arn, '--name', name], stdin(key));
    return { secret, key, exitCode: result.exitCode, stderr: result.stderr };
  }

  it.each([
    ['CRLF', (key: string) => `${key}\r\n`],
    ['a lone CR', (key: string) => `${key}\r`],
    ['LF', (key: string) => `${key}\n`],
  ])('strips a trailing %s and stages the key', async (_name, stdin) => {
    const { secret, key, exitCode } = await stageWith(stdin);
    expect(exitCode).toBe(0);
    expect(JSON.parse(await valueOf(secret.arn, STAGED_LABEL))).toEqual({
      apiKey: key,
      keyName: 'Production Integration',
    });
    expect((await sw.rotate(secret)).outcome).toBe('succeeded');
    expect(await checkInvariants(sw, secret, { settled: true })).toEqual([]);
    await sw.retire(secret);
  });

  it.each([
    ['a CR inside', (key: string) => `${key.slice(0, 12)}\r${key.slice(12)}\n`],
    ['a tab inside', (key: string) => `${key.slice(0, 12)}\t${key.slice(12)}`],
    ['a NUL', (key: string) => `${key}\0\n`],
    ['an ANSI escape', (key: string) => `\x1b[200~${key}\x1b[201~\n`],
    ['a DEL', (key: string) => `${key}\x7f`],
  ])('refuses a key with %s, staging nothing', async (_name, stdin) => {
    const { secret, key, exitCode, stderr } = await stageWith(stdin);
    expect(exitCode).not.toBe(0);
    expect(stderr).toContain('control character');
    expect(Object.values(await sw.versionStages(secret)).flat()).not.toContain(STAGED_LABEL);
    expectNothingEchoed([stderr], '');
    secret.simulator.revokeByHand(secret.organizationId, fingerprint(key));
    await sw.retire(secret);
  });

  it.each([
    ['a CRLF', 'Production Integration\r\n'],
    ['an ANSI escape', '\x1b[31mProduction'],
  ])('refuses a --name with %s, staging nothing', async (_name, name) => {
    const { secret, key, exitCode, stderr } = await stageWith((k) => `${k}\n`, name);
    expect(exitCode).not.toBe(0);
    expect(stderr).toContain('--name');
    expect(stderr).toContain('control characters');
    expect(Object.values(await sw.versionStages(secret)).flat()).not.toContain(STAGED_LABEL);
    expectNothingEchoed([stderr], '');
    secret.simulator.revokeByHand(secret.organizationId, fingerprint(key));
    await sw.retire(secret);
  });
});

describe('an Acme key creation answering a key that is not key-shaped', () => {
  /**
   * Lets the creation happen at the simulator, then answers `secret` as `make` turns the
   * created key, and `id` if given. Returns what was really created.
   */
  function answerCreationWith(
    make: (created: string) => string,
    id?: string,
  ): { created?: string } {
    const seen: { created?: string } = {};
    sw.tracer.interceptor = async <T>(call: { operation: string }, proceed: () => Promise<T>) => {
      const response = await proceed();
      if (call.operation !== 'POST /v1/keys') return response;
      const real = response as HttpResponse;
      const body = JSON.parse(real.body) as SecretValue;
      seen.created = String(body.secret);
      const answered = { ...body, secret: make(seen.created), ...(id === undefined ? {} : { id }) };
      return { ...real, body: JSON.stringify(answered) } as T;
    };
    return seen;
  }

  it.each([
    ['a CRLF', (key: string) => `${key}\r\n`],
    ['a NUL', (key: string) => `${key}\0`],
    ['a "🔑"', (key: string) => `${key}🔑`],
  ])('deletes the created key by its id when the answer has %s', async (_name, make) => {
    const secret = await sw.newSecret({ provider: 'acme' });
    const before = await valueOf(secret.arn);
    const seen = answerCreationWith(make);
    const record = await sw.rotate(secret);
    const failed = record.steps.find((step) => !step.ok);
    expect(failed).toMatchObject({ step: 'createSecret', errorType: 'VendorResponseError' });
    expect(failed?.errorMessage).toContain('was deleted');
    expect(secret.simulator.keyStatus(seen.created ?? '')).toBe('revoked');
    expect(await valueOf(secret.arn)).toBe(before);
    expectNothingEchoed([failed?.errorMessage ?? ''], '');
    sw.clearFaults();
    expect(await checkInvariants(sw, secret, { settled: false })).toEqual([]);
    await sw.retire(secret);
  });

  it('says so when the answer has no valid id to delete the created key by', async () => {
    const secret = await sw.newSecret({ provider: 'acme' });
    const seen = answerCreationWith(() => 'not-a-key\r\n', '../admin');
    const record = await sw.rotate(secret);
    const failed = record.steps.find((step) => !step.ok);
    expect(failed).toMatchObject({ step: 'createSecret', errorType: 'VendorResponseError' });
    expect(failed?.errorMessage).toContain('delete the key this rotation created');
    expectNothingEchoed([failed?.errorMessage ?? ''], '');
    // The operator deletes it in the dashboard, as told.
    secret.simulator.revokeByHand(secret.organizationId, fingerprint(seen.created ?? ''));
    await sw.retire(secret);
  });
});
