/** Each rotation step told in one clause, from what the vendor and the topic showed. */
import { stepClause, type RotationEvidence } from '../../demo/step-story';

const polytomic: RotationEvidence = {
  assisted: false,
  identityCall: 'GET /api/me',
  previous: { key: { fingerprint: '9f8e7d6c' }, user: 'rotator-a' },
  current: { key: { fingerprint: '1a2b3c4d' }, user: 'rotator-b' },
  revoked: [{ key: { fingerprint: '9f8e7d6c' }, user: 'rotator-a' }],
  replaced: [],
  revokeRequested: [],
  previousStatus: 401,
  stagedLeft: false,
};

const poelis: RotationEvidence = {
  assisted: true,
  identityCall: 'GET /v1/public/workspaces',
  previous: { key: { fingerprint: '22222222', keyName: 'B' } },
  current: { key: { fingerprint: '33333333', keyName: 'C' } },
  revoked: [],
  replaced: [],
  revokeRequested: [{ fingerprint: '11111111', keyName: 'A' }],
  previousStatus: 200,
  stagedLeft: false,
};

describe('stepClause', () => {
  it('names the user each Polytomic key was minted for, and the revoked key with its proof', () => {
    expect(stepClause('createSecret', polytomic)).toBe(
      'minted key 1a2b3c4d for user rotator-b, stored as AWSPENDING',
    );
    expect(stepClause('testSecret', polytomic)).toContain(
      'GET /api/me with 1a2b3c4d → 200 as user rotator-b',
    );
    expect(stepClause('finishSecret', polytomic)).toBe(
      'AWSCURRENT → 1a2b3c4d; revoked 9f8e7d6c (user rotator-a); GET /api/me with 9f8e7d6c → 401',
    );
  });

  it("says when a mint replaced the user's never-stored re-issue", () => {
    const evidence = {
      ...polytomic,
      replaced: [{ key: { fingerprint: '5e5e5e5e' }, user: 'rotator-b' }],
    };
    expect(stepClause('createSecret', evidence)).toContain('this revoked 5e5e5e5e');
  });

  it('tells a Poelis rotation as staged, promoted, and handed to a person to revoke', () => {
    expect(stepClause('createSecret', poelis)).toBe(
      'took the staged key "C" (33333333) as AWSPENDING',
    );
    expect(stepClause('setSecret', poelis)).toContain('cleared the STAGED label');
    const finish = stepClause('finishSecret', poelis);
    expect(finish).toContain('asked a person to revoke "A" (11111111)');
    // The replaced key is not called revoked while the vendor still accepts it.
    expect(finish).toContain('"B" (22222222) stays live as AWSPREVIOUS');
    expect(finish).not.toContain('revoked "B"');
  });
});
