/**
 * The demo's verdicts, on hand-made facts: what makes the story fail, and which live keys count
 * as orphans.
 */
import { findOrphanLiveKeys, type HeldKeys } from '../../demo/key-inventory';
import { failedFacts, type LeakCheckFact, type StoryFacts } from '../../demo/summary';
import type { LedgerEntry } from '../../local/vendors';

const cleanLeakCheck: LeakCheckFact = {
  scannedChars: 100,
  scannedFunctionLogLines: 10,
  keyShapedStrings: 3,
  issuedKeysFound: 0,
};

const rotation = {
  secret: 'demo/polytomic',
  provider: 'polytomic',
  trigger: 'schedule',
  token: 'token-1',
  steps: [],
  outcome: 'succeeded',
  durationMs: 10,
  previousKey: { fingerprint: 'aaaaaaaa' },
  currentKey: { fingerprint: 'bbbbbbbb' },
  appKeyAfter: 'bbbbbbbb',
  revokedKeys: [{ fingerprint: 'aaaaaaaa' }],
  revokeRequested: [],
  previousKeyStatus: 401,
} as const;

const goodFacts: StoryFacts = {
  durationMs: 1000,
  deployment: {
    config: 'config/example.json',
    stackName: 'ApiKeyRotator',
    resourcesCreated: 51,
    kmsKeyArn: 'k',
    notificationTopicArn: 't',
    rotationFunctionArn: 'f',
    auditFunctionArn: 'a',
  },
  principals: {
    administrator: 'admin',
    app: 'app',
    operator: 'operator',
    verifier: 'rotation',
    auditor: 'audit',
  },
  secrets: [],
  rotations: [rotation],
  appCalls: { total: 10, failed: 0, recoveredAfter401: 1, keyChangesSeen: 1, failures: [] },
  oldKeysDead: [{ secret: 'demo/polytomic', fingerprint: 'aaaaaaaa', status: 401 }],
  oldKeysKept: [{ secret: 'demo/poelis', fingerprint: 'eeeeeeee', status: 200 }],
  reminder: {
    secret: 'demo/poelis',
    subject: 'Revoke',
    keyToRevoke: { fingerprint: 'cccccccc' },
    statusBeforeRevocation: 200,
  },
  revocationAlarm: { alarmName: 'ManualRevocationRequired', state: 'ALARM', notified: true },
  orphanLiveKeys: {
    count: 0,
    fingerprints: [],
    currentKeys: 2,
    partnerKeys: 1,
    discardedReissues: 1,
    reissuedForUserIds: ['user-a'],
    keptByPolicy: 1,
  },
  audit: [
    {
      check: 'previous-key-revoked',
      secretArn: 'arn',
      secretName: 'demo/polytomic',
      outcome: 'pass',
      message: 'revoked',
    },
  ],
  authorization: {
    operatorIsReader: false,
    operatorReadValue: 'AccessDeniedException',
    expectedDenials: ['denied secretsmanager:GetSecretValue to operator'],
    unexpectedDenials: [],
  },
};

describe('failedFacts', () => {
  it('finds nothing wrong with a story whose facts all hold', () => {
    expect(failedFacts(goodFacts, cleanLeakCheck)).toEqual([]);
  });

  it.each<[string, Partial<StoryFacts>, Partial<LeakCheckFact>, string]>([
    [
      'a failed app call',
      { appCalls: { ...goodFacts.appCalls, failed: 1 } },
      {},
      '1 app call(s) failed',
    ],
    [
      'an app that never called',
      { appCalls: { ...goodFacts.appCalls, total: 0 } },
      {},
      'the app made no call',
    ],
    [
      'an old key still alive',
      { oldKeysDead: [{ secret: 'demo/polytomic', fingerprint: 'aaaaaaaa', status: 200 }] },
      {},
      'old key aaaaaaaa of demo/polytomic answered 200, not 401',
    ],
    [
      'a kept key found dead',
      { oldKeysKept: [{ secret: 'demo/poelis', fingerprint: 'eeeeeeee', status: 401 }] },
      {},
      'old key eeeeeeee of demo/poelis answered 401; its policy keeps it live',
    ],
    [
      'an orphan',
      {
        orphanLiveKeys: {
          ...goodFacts.orphanLiveKeys,
          count: 1,
          fingerprints: ['dddddddd'],
        },
      },
      {},
      '1 orphan live key(s)',
    ],
    [
      'a failed rotation',
      { rotations: [{ ...rotation, outcome: 'failed' }] },
      {},
      'schedule rotation of demo/polytomic failed',
    ],
    [
      'an app left on the old key',
      { rotations: [{ ...rotation, appKeyAfter: 'aaaaaaaa' }] },
      {},
      'after the schedule rotation the app holds aaaaaaaa',
    ],
    ['no reminder', { reminder: undefined }, {}, 'no reminder to revoke the old Poelis key'],
    [
      'an alarm that did not notify',
      {
        revocationAlarm: { alarmName: 'ManualRevocationRequired', state: 'ALARM', notified: false },
      },
      {},
      'the ManualRevocationRequired alarm did not notify the topic',
    ],
    [
      'no revocation alarm',
      { revocationAlarm: undefined },
      {},
      'the ManualRevocationRequired alarm did not notify the topic',
    ],
    [
      'an operator who could read a value without being a reader',
      { authorization: { ...goodFacts.authorization, operatorReadValue: 'allowed' } },
      {},
      "the operator's GetSecretValue got allowed, not being a reader",
    ],
    [
      'an operator refused a value it is a reader of',
      { authorization: { ...goodFacts.authorization, operatorIsReader: true } },
      {},
      "the operator's GetSecretValue got AccessDeniedException, as a reader",
    ],
    [
      'a call the stack denied',
      {
        authorization: {
          ...goodFacts.authorization,
          unexpectedDenials: ['denied sns:Publish to rotation: ImplicitlyDenied'],
        },
      },
      {},
      'denied sns:Publish to rotation: ImplicitlyDenied',
    ],
    [
      'a failing audit check',
      { audit: [{ ...goodFacts.audit[0], outcome: 'fail' }] },
      {},
      'audit previous-key-revoked of demo/polytomic: fail',
    ],
    ['a leaked key', {}, { issuedKeysFound: 1 }, '1 key value(s) found in the output'],
  ])('fails the story on %s', (_case, facts, leak, failure) => {
    expect(failedFacts({ ...goodFacts, ...facts }, { ...cleanLeakCheck, ...leak })).toEqual([
      failure,
    ]);
  });
});

describe('findOrphanLiveKeys', () => {
  const entry = (fingerprint: string, details: Partial<LedgerEntry> = {}): LedgerEntry => ({
    vendor: 'polytomic',
    kind: 'user',
    fingerprint,
    sha256: fingerprint.repeat(8),
    organizationId: 'org',
    userId: 'standby',
    status: 'live',
    issuedAt: '2026-01-01T00:00:00.000Z',
    ...details,
  });
  const held: HeldKeys = {
    current: new Set(['current1', 'partner1']),
    partnerKeys: new Set(['partner1']),
    everStored: new Set(['current1', 'stored01', 'previous']),
    keptByPolicy: new Set(['previous']),
    standbyUserIds: new Set(['standby']),
  };

  it('accounts for AWSCURRENT keys, the partner key apart, revoked keys, and one never-stored re-issue per standby user', () => {
    const ledger = [
      entry('current1', { userId: 'active' }),
      entry('partner1', { kind: 'partner', userId: undefined }),
      entry('revoked1', { status: 'revoked' }),
      entry('reissue1'),
    ];
    expect(findOrphanLiveKeys(ledger, held)).toEqual({
      count: 0,
      fingerprints: [],
      currentKeys: 1,
      partnerKeys: 1,
      discardedReissues: 1,
      reissuedForUserIds: ['standby'],
      keptByPolicy: 0,
    });
  });

  it('accounts for the AWSPREVIOUS key a next-rotation policy keeps live', () => {
    const ledger = [
      entry('current1', { vendor: 'poelis', kind: 'organization', userId: undefined }),
      entry('previous', { vendor: 'poelis', kind: 'organization', userId: undefined }),
    ];
    expect(findOrphanLiveKeys(ledger, held)).toEqual({
      count: 0,
      fingerprints: [],
      currentKeys: 1,
      partnerKeys: 0,
      discardedReissues: 0,
      reissuedForUserIds: [],
      keptByPolicy: 1,
    });
  });

  it('counts as orphans a stored key left live, a second re-issue, and live keys of other users or vendors', () => {
    const ledger = [
      entry('stored01'),
      entry('reissue1'),
      entry('reissue2'),
      entry('stranger', { userId: 'someone-else' }),
      entry('poelis01', { vendor: 'poelis', kind: 'organization', userId: undefined }),
    ];
    expect(findOrphanLiveKeys(ledger, held)).toEqual({
      count: 4,
      fingerprints: ['stored01', 'reissue2', 'stranger', 'poelis01'],
      currentKeys: 0,
      partnerKeys: 0,
      discardedReissues: 1,
      reissuedForUserIds: ['standby'],
      keptByPolicy: 0,
    });
  });
});
