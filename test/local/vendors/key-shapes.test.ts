import {
  keyShapedStrings,
  startPoelisSimulator,
  startPolytomicSimulator,
  type PoelisSimulator,
  type PolytomicSimulator,
} from '../../../local/vendors';

describe('keyShapedStrings', () => {
  it('finds UUIDs and poelis_api_ tokens anywhere in text, once each, in order', () => {
    const uuid = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
    const poelis = `poelis_api_${'a1B2_c3-D4'.repeat(4)}xyz`;
    const text = `Authorization: Bearer ${uuid}\n{"apiKey":"${poelis}"} again ${uuid}`;
    expect(keyShapedStrings(text)).toEqual([uuid, poelis]);
  });

  it('finds a UUID glued to other hex characters', () => {
    expect(keyShapedStrings('id=aaaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaaff')).toEqual([
      'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
    ]);
  });

  it('also yields the key-length prefix of an over-long poelis_api_ run', () => {
    const key = `poelis_api_${'x'.repeat(43)}`;
    expect(keyShapedStrings(`${key}_suffix`)).toEqual([key, `${key}_suffix`]);
  });

  it('finds nothing in key-free text', () => {
    expect(keyShapedStrings('fingerprint 1a2b3c4d, poelis_api_ alone')).toEqual([]);
  });
});

describe('leak scanning with isIssuedKey', () => {
  let polytomic: PolytomicSimulator;
  let poelis: PoelisSimulator;

  beforeEach(async () => {
    [polytomic, poelis] = await Promise.all([startPolytomicSimulator(), startPoelisSimulator()]);
  });

  afterEach(() => Promise.all([polytomic.close(), poelis.close()]));

  it('finds issued keys (live or revoked) in captured output, and nothing else', () => {
    const orgId = polytomic.admin.createOrganization('Acme').id;
    const userId = polytomic.admin.createUser(orgId, 'svc@acme.test').id;
    const revoked = polytomic.admin.issueUserKey(orgId, userId);
    const live = polytomic.admin.issueUserKey(orgId, userId);
    const poelisKey = poelis.admin.createKey(poelis.admin.createOrganization('Acme').id, 'CI');
    const captured = [
      `rotating user ${userId} in org ${orgId}`,
      `oops: ${revoked}`,
      `debug ${poelisKey}`,
      `value=${live}`,
    ].join('\n');

    const leaked = keyShapedStrings(captured).filter(
      (candidate) => polytomic.isIssuedKey(candidate) || poelis.isIssuedKey(candidate),
    );
    expect(leaked).toEqual([revoked, poelisKey, live]);
    expect(polytomic.isIssuedKey(userId)).toBe(false);
    expect(poelis.isIssuedKey(revoked)).toBe(false);
  });
});
