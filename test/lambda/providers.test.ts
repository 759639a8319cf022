import { SecretsStore } from '../../lambda/aws/secrets';
import { HttpClient } from '../../lambda/http/client';
import { OriginNotAllowedError, InsecureUrlError } from '../../lambda/http/errors';
import { DEFAULT_ALLOWED_ORIGINS } from '../../lambda/http/origin-policy';
import { KeyRejectedError, VendorResponseError } from '../../lambda/providers/errors';
import { poelisProvider, type PoelisSecret } from '../../lambda/providers/poelis';
import { polytomicProvider, type PolytomicSecret } from '../../lambda/providers/polytomic';
import type { KeyChangeContext } from '../../lambda/providers/provider';
import { builtInProviders, ProviderRegistry } from '../../lambda/providers/registry';
import { FakeSecretsManager } from './support/fake-secrets-manager';
import { POELIS_ORIGIN, POLYTOMIC_ORIGIN, vendorAgent } from './support/vendors';

const agent = vendorAgent();
const sm = new FakeSecretsManager();
const partnerArn = sm.addSecret('polytomic/partner', '{"partnerKey":"partner-1"}');
const context: KeyChangeContext = {
  http: new HttpClient({
    policy: { allowedOrigins: DEFAULT_ALLOWED_ORIGINS, allowLoopbackHttp: false },
    dispatcher: agent,
    sleep: () => Promise.resolve(),
  }),
  secrets: new SecretsStore(sm.client),
  secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app',
  idempotencyKey: '11111111-1111-4111-8111-111111111111',
  deadline: Date.now() + 60_000,
  defaultPartnerKeySecretId: undefined,
};

const polytomic: PolytomicSecret = {
  provider: 'polytomic',
  apiKey: 'key-a',
  organizationId: 'org-1',
  userId: 'user-a',
  standbyUserId: 'user-b',
  partnerKeySecretId: partnerArn,
};
const poelis: PoelisSecret = {
  provider: 'poelis',
  apiKey: 'poelis_api_EXAMPLE-not-a-real-key-0000000000000000000',
};

afterAll(() => agent.close());

describe('registry', () => {
  it('has one provider per secret type, keyed by the provider field', () => {
    expect(builtInProviders.names).toEqual(['polytomic', 'poelis']);
    // The registry hands out each provider bound to its own origins, the rest unchanged.
    expect(builtInProviders.providerOf(polytomic)).toMatchObject({
      name: 'polytomic',
      defaultOrigins: polytomicProvider.defaultOrigins,
      guidance: polytomicProvider.guidance,
    });
    expect(builtInProviders.providerOf(poelis)).toMatchObject({
      name: 'poelis',
      staging: poelisProvider.staging,
    });
  });

  it('refuses a provider registered twice, and names the known ones for an unknown secret', () => {
    expect(() => new ProviderRegistry([polytomicProvider, polytomicProvider])).toThrow(
      /"polytomic" is registered twice/,
    );
    expect(() => builtInProviders.providerOf('stripe')).toThrow(
      /"provider" must be one of polytomic, poelis/,
    );
  });

  it('routes a value to the provider it names, and knows only its own placeholders', () => {
    const onlyPoelis = new ProviderRegistry([poelisProvider]);
    expect(onlyPoelis.parseSecret(JSON.stringify(poelis))).toEqual(poelis);
    expect(() => onlyPoelis.parseSecret(JSON.stringify(polytomic))).toThrow(
      /"provider" must be one of poelis/,
    );
    expect(onlyPoelis.isPlaceholder('{"provider":"poelis"}')).toBe(true);
    expect(onlyPoelis.isPlaceholder('{"provider":"polytomic"}')).toBe(false);
  });
});

describe('polytomic provider', () => {
  it('refuses a baseUrl off the allowlist before any request', async () => {
    const metadata = { ...polytomic, baseUrl: 'https://169.254.169.254' };
    await expect(polytomicProvider.verifyIdentity(metadata, context)).rejects.toThrow(
      OriginNotAllowedError,
    );
    await expect(
      polytomicProvider.issueKey({ ...polytomic, baseUrl: 'http://app.polytomic.com' }, context),
    ).rejects.toThrow(InsecureUrlError);
  });

  it('fails an issue whose answer has no key', async () => {
    agent
      .get(POLYTOMIC_ORIGIN)
      .intercept({ method: 'POST', path: /\/users\/user-b\/keys/ })
      .reply(200, '{"data":{}}');
    await expect(polytomicProvider.issueKey(polytomic, context)).rejects.toThrow(
      /has no data.value/,
    );
  });

  it('fails an issue answered with a non-JSON body', async () => {
    agent
      .get(POLYTOMIC_ORIGIN)
      .intercept({ method: 'POST', path: /\/users\/user-b\/keys/ })
      .reply(200, '<html>');
    await expect(polytomicProvider.issueKey(polytomic, context)).rejects.toThrow(/is not JSON/);
  });

  it('reports an unknown user as a vendor response error', async () => {
    agent
      .get(POLYTOMIC_ORIGIN)
      .intercept({ method: 'POST', path: /\/users\/user-b\/keys/ })
      .reply(404, '{}');
    const error = await polytomicProvider.issueKey(polytomic, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VendorResponseError);
    expect((error as Error).message).toContain(
      'key issue for user user-b failed: unexpected status 404',
    );
  });

  it('treats 403 on /api/me as a rejected key, named by fingerprint', async () => {
    agent.get(POLYTOMIC_ORIGIN).intercept({ path: '/api/me' }).reply(403, '{}');
    const error = await polytomicProvider
      .verifyIdentity(polytomic, context)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyRejectedError);
    expect((error as Error).message).not.toContain('key-a');
  });

  it('fails identity when the organization differs', async () => {
    agent
      .get(POLYTOMIC_ORIGIN)
      .intercept({ path: '/api/me' })
      .reply(200, JSON.stringify({ data: { id: 'user-a', organization_id: 'org-2' } }));
    await expect(polytomicProvider.verifyIdentity(polytomic, context)).rejects.toThrow(
      /in organization org-2/,
    );
  });

  it('revokes nothing when the target user is the promoted one', async () => {
    await expect(
      polytomicProvider.revokeKey({ ...polytomic, userId: 'user-b' }, polytomic, context),
    ).resolves.toEqual({
      kind: 'already-revoked',
    });
    const singleUser = { ...polytomic, standbyUserId: undefined };
    await expect(polytomicProvider.revokeKey(singleUser, singleUser, context)).resolves.toEqual({
      kind: 'already-revoked',
    });
  });
});

describe('poelis provider', () => {
  it('fails identity when the workspaces answer is not a list', async () => {
    agent
      .get(POELIS_ORIGIN)
      .intercept({ path: /^\/v1\/public\/workspaces/ })
      .reply(200, '{"data":[]}');
    await expect(poelisProvider.verifyIdentity(poelis, context)).rejects.toThrow(
      /has no items list/,
    );
  });

  it('fails identity on an unexpected status', async () => {
    agent
      .get(POELIS_ORIGIN)
      .intercept({ path: /^\/v1\/public\/workspaces/ })
      .reply(422, '{}');
    await expect(poelisProvider.verifyIdentity(poelis, context)).rejects.toThrow(
      VendorResponseError,
    );
  });

  it('asks for manual revocation', async () => {
    await expect(poelisProvider.revokeKey(poelis, poelis, context)).resolves.toEqual({
      kind: 'manual',
    });
  });
});
