import fc from 'fast-check';
import { poelisProvider } from '../../lambda/providers/poelis';
import { parsePartnerKey } from '../../lambda/providers/polytomic';
import { builtInProviders } from '../../lambda/providers/registry';
import { SecretFormatError, stringifySecret } from '../../lambda/shared/secret';

const parseSecret = (text: string): ReturnType<typeof builtInProviders.parseSecret> =>
  builtInProviders.parseSecret(text);
const parseStagedKey = (
  text: string,
): ReturnType<NonNullable<typeof poelisProvider.staging>['parseStagedKey']> => {
  if (poelisProvider.staging === undefined) throw new Error('Poelis keys are staged');
  return poelisProvider.staging.parseStagedKey(text);
};

const POELIS_KEY = 'poelis_api_EXAMPLE-not-a-real-key-0000000000000000000';
const polytomic = {
  provider: 'polytomic',
  apiKey: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  organizationId: 'org-1',
  userId: 'user-a',
  standbyUserId: 'user-b',
  baseUrl: 'https://app.polytomic.com',
  apiVersion: '2025-09-18',
  partnerKeySecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:polytomic/partner',
  revokePrevious: 'next-rotation',
};

function formatError(text: string): SecretFormatError {
  try {
    parseSecret(text);
  } catch (error) {
    if (error instanceof SecretFormatError) return error;
    throw error;
  }
  throw new Error('expected a SecretFormatError');
}

describe('parseSecret', () => {
  it('parses the documented Polytomic and Poelis shapes', () => {
    expect(parseSecret(JSON.stringify(polytomic))).toEqual(polytomic);
    const poelis = {
      provider: 'poelis',
      apiKey: POELIS_KEY,
      keyName: 'Production',
      baseUrl: 'https://api.poelis.com',
    };
    expect(parseSecret(JSON.stringify(poelis))).toEqual(poelis);
  });

  it('keeps unknown fields through a parse and stringify round trip', () => {
    const withExtras = { ...polytomic, schemaVersion: 1, tags: { team: 'data' }, notes: ['a'] };
    expect(JSON.parse(stringifySecret(parseSecret(JSON.stringify(withExtras))))).toEqual(
      withExtras,
    );
  });

  it.each([
    ['provider', { ...polytomic, provider: 'stripe' }],
    ['provider', { ...polytomic, provider: undefined }],
    ['apiKey', { ...polytomic, apiKey: '' }],
    ['apiKey', { ...polytomic, apiKey: 42 }],
    ['organizationId', { ...polytomic, organizationId: undefined }],
    ['userId', { ...polytomic, userId: '  ' }],
    ['standbyUserId', { ...polytomic, standbyUserId: 'user-a' }],
    ['standbyUserId', { ...polytomic, standbyUserId: 7 }],
    ['apiVersion', { ...polytomic, apiVersion: false }],
    ['partnerKeySecretId', { ...polytomic, partnerKeySecretId: {} }],
    ['baseUrl', { ...polytomic, baseUrl: 'not a url' }],
    ['baseUrl', { ...polytomic, baseUrl: 'https://app.polytomic.com/api' }],
    ['baseUrl', { ...polytomic, baseUrl: 'https://user:pass@app.polytomic.com' }],
    ['revokePrevious', { ...polytomic, revokePrevious: 'never' }],
    ['apiKey', { provider: 'poelis', apiKey: 'sk_live_0123456789abcdefghij' }],
    ['apiKey', { provider: 'poelis', apiKey: 'poelis_api_short' }],
    ['keyName', { provider: 'poelis', apiKey: POELIS_KEY, keyName: 3 }],
  ])('names the bad field %s', (field, value) => {
    const error = formatError(JSON.stringify(value));
    expect(error.field).toBe(field);
    expect(error.message).toContain(`"${field}"`);
  });

  it.each([
    ['secret', 'not json'],
    ['secret', '[1,2]'],
    ['secret', 'null'],
    ['secret', '"a string"'],
  ])('refuses a value that is not a JSON object (%s)', (field, text) => {
    expect(formatError(text).field).toBe(field);
  });

  it.each([
    ['__proto__', '{"__proto__":{"admin":true},"provider":"poelis"}'],
    ['constructor', '{"provider":"poelis","constructor":{}}'],
    [
      '__proto__',
      `{"provider":"poelis","apiKey":"${POELIS_KEY}","extra":{"deep":{"__proto__":{}}}}`,
    ],
  ])('refuses a %s key at any depth', (field, text) => {
    expect(formatError(text).field).toBe(field);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('never echoes a field value in its message', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 12 }).filter((s) => s.trim() !== ''),
        (value) => {
          const messages = [
            { ...polytomic, revokePrevious: value },
            {
              ...polytomic,
              standbyUserId: polytomic.userId,
              userId: polytomic.userId,
              apiKey: value,
            },
            { provider: 'poelis', apiKey: `x${value}` },
            { ...polytomic, baseUrl: `https://app.polytomic.com/${value}` },
          ].map((secret) => formatError(JSON.stringify(secret)).message);
          for (const message of messages) expect(message).not.toContain(value);
        },
      ),
    );
  });
});

describe('parseStagedKey', () => {
  it('reads apiKey and the optional keyName', () => {
    expect(parseStagedKey(JSON.stringify({ apiKey: POELIS_KEY, keyName: 'B' }))).toEqual({
      apiKey: POELIS_KEY,
      keyName: 'B',
    });
    expect(parseStagedKey(JSON.stringify({ apiKey: POELIS_KEY }))).toEqual({ apiKey: POELIS_KEY });
  });

  it('checks the Poelis key format', () => {
    expect(() => parseStagedKey('{"apiKey":"poelis_api_!!"}')).toThrow(
      /"STAGED.apiKey" must be a Poelis REST API key/,
    );
    expect(() => parseStagedKey('{"keyName":"B"}')).toThrow(/"STAGED.apiKey"/);
    expect(() => parseStagedKey(POELIS_KEY)).toThrow(/"STAGED" must be valid JSON/);
  });
});

describe('parsePartnerKey', () => {
  it('accepts {"partnerKey":…} or the bare key', () => {
    expect(parsePartnerKey('{"partnerKey":"pk-1"}')).toBe('pk-1');
    expect(parsePartnerKey(' pk-2\n')).toBe('pk-2');
  });

  it('refuses an empty or malformed partner key', () => {
    expect(() => parsePartnerKey('   ')).toThrow(/"partnerKey"/);
    expect(() => parsePartnerKey('{"key":"pk"}')).toThrow(/"partnerKey"/);
  });
});
