/**
 * Vendor text made safe to quote: the module, the HTTP client's request ids and log lines, the
 * errors that quote a vendor, and the providers' helper.
 */
import fc from 'fast-check';
import { MockAgent } from 'undici';
import { HttpClient, type HttpResponse } from '../../lambda/http/client';
import { RedirectRefusedError, VendorUnavailableError } from '../../lambda/http/errors';
import {
  IdentityMismatchError,
  KeyRejectedError,
  VendorResponseError,
} from '../../lambda/providers/errors';
import { quoteVendorText } from '../../lambda/providers/vendor-response';
import { fingerprint } from '../../lambda/shared/fingerprint';
import {
  quoteUntrusted,
  quoteUntrustedOptional,
  REDACTED,
  TRUNCATED,
  UNTRUSTED_ID_MAX_LENGTH,
} from '../../lambda/shared/untrusted-text';
import { propertySettings } from '../support/property-settings';

// Obviously fake credentials, in the shapes the rotator sends.
const USER_KEY = '00000000-test-4000-8000-notarealkey0';
const POELIS_LIKE = `poelis_api_${'TEST'.repeat(8)}`;
const ACME_LIKE = `acme_sk_${'FAKE'.repeat(10)}`;
const ACME_ADMIN_LIKE = `acme_admin_${'FAKE'.repeat(10)}`;
const ESC = '\u001b';
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;

const settings = propertySettings(300);

describe('quoteUntrusted', () => {
  it('leaves a plain id alone', () => {
    expect(quoteUntrusted('req_01HXYZ-abc.42:7')).toBe('req_01HXYZ-abc.42:7');
    expect(quoteUntrusted('9b1e2c3d-1111-4222-8333-444455556666')).toBe(
      '9b1e2c3d-1111-4222-8333-444455556666',
    );
  });

  it('redacts a secret of the request wherever it appears, and never names it', () => {
    const text = quoteUntrusted(`id=${USER_KEY};again=${USER_KEY}`, { secrets: [USER_KEY] });
    expect(text).toBe(`id=${REDACTED};again=${REDACTED}`);
    expect(text).not.toContain(fingerprint(USER_KEY));
  });

  it('redacts a whole Authorization value before the key inside it', () => {
    const header = `Bearer ${USER_KEY}`;
    expect(quoteUntrusted(`echo: ${header}`, { secrets: [USER_KEY, header] })).toBe(
      `echo: ${REDACTED}`,
    );
  });

  it.each([
    ['a Poelis-shaped key', POELIS_LIKE],
    ['an Acme-shaped API key', ACME_LIKE],
    ['an Acme-shaped admin key', ACME_ADMIN_LIKE],
  ])('redacts %s it was not told about', (_name, key) => {
    expect(quoteUntrusted(`key ${key} rejected`, { maxLength: 500 })).toBe(
      `key ${REDACTED} rejected`,
    );
  });

  it.each([
    ['Bearer', `Bearer ${USER_KEY}`, `Bearer ${REDACTED}`],
    ['lower-case bearer', `bearer ${USER_KEY}`, `bearer ${REDACTED}`],
    ['Basic', 'Basic dXNlcjpwYXNzd29yZA==', `Basic ${REDACTED}`],
  ])('redacts a credential after %s', (_name, text, expected) => {
    expect(quoteUntrusted(text)).toBe(expected);
  });

  it('keeps ids that are not key-shaped readable', () => {
    const ids = 'key_3k9ZpQ acct_77Hq adm_x1 9b1e2c3d-1111-4222-8333-444455556666';
    expect(quoteUntrusted(ids)).toBe(ids);
  });

  it('redacts a token whose fingerprint is one of the given', () => {
    const text = quoteUntrusted(`user ${USER_KEY} in organization org-1`, {
      fingerprints: [fingerprint(USER_KEY)],
    });
    expect(text).toBe(`user ${REDACTED} in organization org-1`);
  });

  it.each([
    ['CR and LF', 'req-1\r\nX-Injected: yes', 'req-1\\x0D\\x0AX-Injected: yes'],
    ['an ANSI escape', `req-1${ESC}[31mred${ESC}[0m`, 'req-1\\x1B[31mred\\x1B[0m'],
    ['NUL and DEL', 'a\u0000b\u007fc', 'a\\x00b\\x7Fc'],
    ['a C1 CSI', 'a\u009b31mb', 'a\\x9B31mb'],
    ['a right-to-left override', 'abc\u202edef', 'abc\\u202Edef'],
    ['non-ASCII text', 'clé', 'cl\\xE9'],
    ['a tab', 'a\tb', 'a\\x09b'],
    ['an emoji', 'a\u{1F600}', 'a\\uD83D\\uDE00'],
  ])('replaces %s', (_name, text, expected) => {
    expect(quoteUntrusted(text)).toBe(expected);
  });

  it('caps a huge value with the marker', () => {
    const text = quoteUntrusted('x'.repeat(10_000));
    expect(text).toHaveLength(UNTRUSTED_ID_MAX_LENGTH);
    expect(text.endsWith(TRUNCATED)).toBe(true);
  });

  it('redacts a key the cap would cut, leaving none of its characters', () => {
    const text = quoteUntrusted(`${'x'.repeat(100)} ${USER_KEY}`, { secrets: [USER_KEY] });
    expect(text).toBe(`${'x'.repeat(100)} ${REDACTED}`);
    const cut = quoteUntrusted(`${'x'.repeat(120)} ${USER_KEY}`, { secrets: [USER_KEY] });
    expect(cut).not.toContain(USER_KEY.slice(0, 4));
  });

  it('honours maxLength, down to nothing', () => {
    expect(quoteUntrusted('abcdefghij', { maxLength: 8 })).toBe('abcde...');
    expect(quoteUntrusted('abcdefghij', { maxLength: 2 })).toBe('ab');
    expect(quoteUntrusted('abcdefghij', { maxLength: 0 })).toBe('');
  });

  it('drops what the marker would complete into a secret', () => {
    expect(quoteUntrusted('abcdefghij', { maxLength: 8, secrets: ['abcde...'] })).toBe('[reda...');
    expect(quoteUntrusted('abcdefghij', { maxLength: 8, secrets: ['abcde...', 'r'] })).toBe('');
  });

  it('quotes an optional value', () => {
    expect(quoteUntrustedOptional(undefined)).toBe('(none)');
    expect(quoteUntrustedOptional('a\nb')).toBe('a\\x0Ab');
  });

  describe('properties', () => {
    const anyText = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({
        unit: fc.constantFrom('a', '\\', 'x', '0', 'D', '.', '\r', '\n', ESC, ' ', 'B'),
        maxLength: 60,
      }),
    );
    const secret = fc.oneof(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.string({
        unit: fc.constantFrom('a', '\\', 'x', '0', 'D', '.', 'B', '['),
        minLength: 1,
        maxLength: 6,
      }),
    );
    /** Text with the secrets spliced in, so they do occur. */
    const withSecrets = fc
      .tuple(anyText, fc.array(secret, { minLength: 1, maxLength: 3 }), fc.nat())
      .map(([text, secrets, seed]) => {
        let spliced = text;
        secrets.forEach((s, i) => {
          const at = (seed + i * 7) % (spliced.length + 1);
          spliced = `${spliced.slice(0, at)}${s}${spliced.slice(at)}`;
        });
        return { text: spliced, secrets };
      });
    const maxLength = fc.integer({ min: 0, max: 400 });

    it('never contains a given secret', () => {
      fc.assert(
        fc.property(withSecrets, maxLength, ({ text, secrets }, max) => {
          const quoted = quoteUntrusted(text, { secrets, maxLength: max });
          for (const s of secrets) expect(quoted.includes(s)).toBe(false);
        }),
        settings,
      );
    });

    it('never contains a control character or anything outside printable ASCII', () => {
      fc.assert(
        fc.property(anyText, (text) => {
          const quoted = quoteUntrusted(text);
          expect(CONTROL.test(quoted)).toBe(false);
          expect(NOT_PRINTABLE_ASCII.test(quoted)).toBe(false);
        }),
        settings,
      );
    });

    it('never exceeds the cap', () => {
      fc.assert(
        fc.property(anyText, maxLength, (text, max) => {
          expect(quoteUntrusted(text, { maxLength: max }).length).toBeLessThanOrEqual(max);
        }),
        settings,
      );
    });

    it('changes nothing when applied again', () => {
      fc.assert(
        fc.property(anyText, (text) => {
          const once = quoteUntrusted(text);
          expect(quoteUntrusted(once)).toBe(once);
        }),
        settings,
      );
    });

    it('never contains a reflected Authorization header, whatever surrounds it', () => {
      const key = fc.uuid();
      fc.assert(
        fc.property(anyText, key, anyText, (before, k, after) => {
          const header = `Bearer ${k}`;
          const quoted = quoteUntrusted(`${before}${header}${after}`, {
            secrets: [header, k],
            maxLength: 1000,
          });
          expect(quoted.includes(k)).toBe(false);
        }),
        settings,
      );
    });
  });
});

describe('the HTTP client', () => {
  const ORIGIN = 'https://api.vendor.test';
  let agent: MockAgent;
  let logged: { message: string; attributes: Record<string, unknown> }[];

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    logged = [];
  });
  afterEach(() => agent.close());

  function client(): HttpClient {
    const log = (message: string, attributes: Record<string, unknown>): void => {
      logged.push({ message, attributes });
    };
    return new HttpClient({
      policy: { allowedOrigins: [ORIGIN], allowLoopbackHttp: false },
      dispatcher: agent,
      log: { info: log, warn: log },
      sleep: () => Promise.resolve(),
      random: () => 0.5,
    });
  }

  const get = (bearer = USER_KEY) => ({
    method: 'GET' as const,
    url: new URL(`${ORIGIN}/v1/me`),
    headers: { Authorization: `Bearer ${bearer}` },
    deadline: Date.now() + 30_000,
  });

  const reply = (status: number, requestId: string, body = '{}', times = 1) =>
    agent
      .get(ORIGIN)
      .intercept({ path: '/v1/me' })
      .reply(status, body, { headers: { 'x-request-id': requestId } })
      .times(times);

  const loggedText = (): string => JSON.stringify(logged);

  it('redacts a request id that reflects the Authorization header, in the response and the log', async () => {
    reply(200, `Bearer ${USER_KEY}`);
    const response = await client().request(get());
    expect(response.requestId).toBe(REDACTED);
    expect(loggedText()).not.toContain(USER_KEY);
  });

  it('redacts the bare key reflected in a request id', async () => {
    reply(200, `trace-${USER_KEY}`);
    const response = await client().request(get());
    expect(response.requestId).toBe(`trace-${REDACTED}`);
  });

  it.each([
    ['CR/LF', 'req-1\r\n{"level":"ERROR"}', 'req-1\\x0D\\x0A{"level":"ERROR"}'],
    ['ANSI escapes', `${ESC}[2J${ESC}[31mreq-1`, '\\x1B[2J\\x1B[31mreq-1'],
  ])('strips %s from a request id before logging it', async (_name, requestId, expected) => {
    reply(200, requestId);
    const response = await client().request(get());
    expect(response.requestId).toBe(expected);
    expect(logged[0]?.attributes.vendorRequestId).toBe(expected);
  });

  it('caps a 10 KB request id', async () => {
    reply(200, 'r'.repeat(10_240));
    const response = await client().request(get());
    expect(response.requestId).toHaveLength(UNTRUSTED_ID_MAX_LENGTH);
    expect(String(logged[0]?.attributes.vendorRequestId)).toHaveLength(UNTRUSTED_ID_MAX_LENGTH);
  });

  it('keeps the reflected key out of the retry log lines and the final error', async () => {
    reply(503, `Bearer ${USER_KEY}\r\n`, '{}', 4);
    const error = await client()
      .request(get())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VendorUnavailableError);
    const { message, requestId } = error as VendorUnavailableError;
    expect(message).toContain('is unavailable: it answered 503');
    expect(`${message} ${requestId} ${loggedText()}`).not.toContain(USER_KEY);
    expect(logged.filter((line) => line.message === 'vendor request will be retried')).toHaveLength(
      3,
    );
    expect(loggedText()).not.toMatch(/\\r|\\n|\\u001b/);
  });

  it('keeps the reflected key out of a refused redirect', async () => {
    reply(302, `Bearer ${USER_KEY}`);
    const error = await client()
      .request(get())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedirectRefusedError);
    expect((error as Error).message).not.toContain(USER_KEY);
  });

  it('hands providers a quote that redacts what the request sent', async () => {
    const body = JSON.stringify({ error: `invalid token ${USER_KEY}\n` });
    reply(401, 'req-1', body);
    const response = await client().request(get());
    const error = (JSON.parse(response.body) as { error: string }).error;
    expect(quoteVendorText(response, error)).toBe(`invalid token ${REDACTED}\\x0A`);
    expect(JSON.stringify(response)).not.toContain('quote');
  });
});

describe('errors that quote a vendor', () => {
  const stub: HttpResponse = { status: 200, headers: {}, body: '{}', requestId: 'req-1' };

  it('IdentityMismatchError redacts the key it names by fingerprint, and control characters', () => {
    const error = new IdentityMismatchError(
      fingerprint(USER_KEY),
      'user u-1 in organization o-1',
      `user ${USER_KEY}\r\n${ESC}[31m in organization ${'o'.repeat(5_000)}`,
    );
    expect(error.message).not.toContain(USER_KEY);
    expect(error.message).toContain(`authenticates as user ${REDACTED}`);
    expect(error.message).toContain('but the secret expects user u-1 in organization o-1');
    expect(CONTROL.test(error.message)).toBe(false);
    expect(error.message.length).toBeLessThan(1_300);
  });

  it('KeyRejectedError redacts a request id reflecting the rejected key', () => {
    const error = new KeyRejectedError('API key', fingerprint(USER_KEY), 401, `id ${USER_KEY}`);
    expect(error.message).not.toContain(USER_KEY);
    expect(error.requestId).toBe(`id ${REDACTED}`);
  });

  it('VendorResponseError quotes its problem and request id safely', () => {
    const error = new VendorResponseError(
      'Acme identity check (GET /v1/me)',
      `the vendor said "${ACME_LIKE}"\n`,
      500,
      `Bearer ${USER_KEY}${ESC}`,
    );
    expect(error.message).toBe(
      `Acme identity check (GET /v1/me) failed: the vendor said "${REDACTED}"\\x0A (status 500, request Bearer ${REDACTED}\\x1B). Check the secret's baseUrl and the vendor's status.`,
    );
  });

  it('quoteVendorText works on a response the client did not make', () => {
    expect(quoteVendorText(stub, undefined)).toBe('(none)');
    expect(quoteVendorText(stub, `${POELIS_LIKE}\u0007`)).toBe(`${REDACTED}\\x07`);
    expect(quoteVendorText(stub, 'y'.repeat(500), 20)).toHaveLength(20);
  });
});
