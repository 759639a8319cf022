/**
 * What the rotation and the audit publish to SNS: subjects SNS accepts (ASCII, one line, at most
 * 100 characters, naming the secret, cut at a word), and messages whose values cannot carry a
 * control character (a forged line, an ANSI escape, a bidi override).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { PublishCommand } from '@aws-sdk/client-sns';
import { AuditReporter } from '../../lambda/audit/reporting';
import { SnsNotifier, type Notifier } from '../../lambda/aws/notifications';
import type { KeyProvider } from '../../lambda/providers/provider';
import { RotationReporter, secretNameOf } from '../../lambda/rotation/reporting';
import {
  printable,
  printableLines,
  SNS_SUBJECT_MAX_LENGTH,
  snsSubject,
  truncateAtWord,
} from '../../lambda/shared/printable';

const RAW_CONTROL =
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const ANSI = '\u001b[31mred\u001b[0m';
const FORGED_LINE = '\nSecret: arn:aws:secretsmanager:us-east-1:999999999999:secret:forged';
const LONG_NAME = `team-a/payments/${'integration-'.repeat(10)}poelis`;
const ARN = `arn:aws:secretsmanager:us-east-1:111122223333:secret:${LONG_NAME}-AbCdEf`;

/** Logger and metrics that accept every call and keep nothing. */
const logger = {
  info: jest.fn(),
  warn: jest.fn(),
  error: jest.fn(),
  debug: jest.fn(),
  appendKeys: jest.fn(),
} as unknown as Logger;
const metrics = {
  addMetric: jest.fn(),
  addMetadata: jest.fn(),
  addDimension: jest.fn(),
  singleMetric: () => ({ addDimension: jest.fn(), addMetric: jest.fn() }),
  publishStoredMetrics: jest.fn(),
} as unknown as Metrics;

function recordingNotifier(): Notifier & { sent: { subject: string; message: string }[] } {
  const sent: { subject: string; message: string }[] = [];
  return {
    sent,
    notify: (subject, message) => {
      sent.push({ subject, message });
      return Promise.resolve();
    },
  };
}

function expectValidSubject(subject: string): void {
  expect(subject.length).toBeLessThanOrEqual(100);
  expect(subject).toMatch(/^[\x20-\x7e]+$/);
  expect(subject).not.toContain('\n');
}

/** The part of the Poelis provider the rotation's notice reads. */
const poelis = {
  displayName: 'Poelis',
  staging: { revokeKeyIn: 'the Poelis web app' },
} as unknown as Pick<KeyProvider, 'displayName' | 'staging'>;

describe('printable', () => {
  it.each([
    ['NUL', '\u0000', '\\x00'],
    ['a newline', '\n', '\\x0A'],
    ['a carriage return', '\r', '\\x0D'],
    ['ESC (an ANSI sequence)', '\u001b[2J', '\\x1B[2J'],
    ['DEL', '\u007f', '\\x7F'],
    ['a C1 CSI', '\u009b', '\\x9B'],
    ['a right-to-left override', '\u202e', '\\u202E'],
    ['a left-to-right embedding', '\u202a', '\\u202A'],
    ['a first-strong isolate', '\u2068', '\\u2068'],
    ['a pop directional isolate', '\u2069', '\\u2069'],
    ['a line separator', '\u2028', '\\u2028'],
  ])('escapes %s', (_what, raw, escaped) => {
    expect(printable(`a${raw}b`)).toBe(`a${escaped}b`);
  });

  it('leaves printable text, accents and emoji as they are', () => {
    const text = 'Production B — clé 🔑 prod/poelis (1a2b3c4d)';
    expect(printable(text)).toBe(text);
  });

  it('printableLines keeps line breaks and tabs but escapes the rest', () => {
    expect(printableLines('a\tb\nc\u001b]0;title\u0007')).toBe('a\tb\nc\\x1B]0;title\\x07');
  });
});

describe('snsSubject', () => {
  it('keeps a short subject as it is', () => {
    expect(snsSubject('Revoke the old Poelis key of prod/poelis')).toBe(
      'Revoke the old Poelis key of prod/poelis',
    );
  });

  it('turns line breaks into spaces, escapes controls and replaces non-ASCII', () => {
    const subject = snsSubject(`Failed for\r\nprod ${ANSI} clé\u202e`);
    expectValidSubject(subject);
    expect(subject).toBe('Failed for prod \\x1B[31mred\\x1B[0m cl?\\u202E');
  });

  it('cuts a long subject at a word boundary with an ellipsis, at most 100 characters', () => {
    const subject = snsSubject(`Key revocation failed for ${'word '.repeat(40)}`);
    expectValidSubject(subject);
    expect(subject.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX_LENGTH);
    expect(subject).toMatch(/ word\.\.\.$/);
  });

  it('cuts a long name without spaces at a "/" boundary, or mid-word as a last resort', () => {
    expect(truncateAtWord('prod/poelis/integration', 20)).toBe('prod/poelis/...');
    expect(truncateAtWord('x'.repeat(50), 20)).toBe(`${'x'.repeat(17)}...`);
  });
});

describe('secretNameOf', () => {
  it('takes the name out of an ARN and leaves a name as it is', () => {
    expect(secretNameOf(ARN)).toBe(LONG_NAME);
    expect(secretNameOf('prod/poelis')).toBe('prod/poelis');
  });
});

describe('RotationReporter notifications', () => {
  it('names the secret, not its ARN, in a short subject (manual revocation)', async () => {
    const notifier = recordingNotifier();
    const reporter = new RotationReporter(logger, metrics, notifier);

    await reporter.manualRevocationRequired(
      'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/poelis-AbCdEf',
      { fingerprint: '1a2b3c4d', keyName: 'Production A' },
      poelis,
    );

    expect(notifier.sent[0].subject).toBe('Revoke the old Poelis key of prod/poelis');
    expect(notifier.sent[0].message).toContain(
      'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/poelis-AbCdEf',
    );
  });

  it('cuts a long secret name at a word boundary instead of mid-ARN', async () => {
    const notifier = recordingNotifier();
    const reporter = new RotationReporter(logger, metrics, notifier);

    await reporter.manualRevocationRequired(ARN, { fingerprint: '1a2b3c4d' }, poelis);

    const { subject } = notifier.sent[0];
    expectValidSubject(subject);
    expect(subject).toMatch(/^Revoke the old Poelis key of team-a\/payments\/.*\.\.\.$/);
    expect(subject).not.toContain('arn:aws');
  });

  it('escapes a key name holding an ANSI escape and a forged line', async () => {
    const notifier = recordingNotifier();
    const reporter = new RotationReporter(logger, metrics, notifier);

    await reporter.manualRevocationRequired(
      ARN,
      { fingerprint: '1a2b3c4d', keyName: `Production ${ANSI}${FORGED_LINE}\u202e` },
      poelis,
    );

    const { subject, message } = notifier.sent[0];
    expectValidSubject(subject);
    expect(message).not.toMatch(RAW_CONTROL);
    expect(message).toContain('Production \\x1B[31mred\\x1B[0m\\x0ASecret:');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('escapes a vendor error message in a revocation failure, on one line', async () => {
    const notifier = recordingNotifier();
    const reporter = new RotationReporter(logger, metrics, notifier);
    const vendorError = Object.assign(new Error(`upstream said ${ANSI}${FORGED_LINE}\u0085`), {
      name: 'VendorUnavailableError',
    });

    await reporter.revocationFailed(ARN, { fingerprint: '1a2b3c4d' }, vendorError);

    const { subject, message } = notifier.sent[0];
    expectValidSubject(subject);
    expect(subject.startsWith('Key revocation failed for team-a/payments/')).toBe(true);
    expect(message).not.toMatch(RAW_CONTROL);
    expect(message).toContain('upstream said \\x1B[31mred');
    expect(message).toContain('\\x85');
  });
});

describe('AuditReporter notifications', () => {
  const finding = {
    check: 'current-key-works',
    secretArn: ARN,
    secretName: `${LONG_NAME}${ANSI}`,
    outcome: 'fail',
    message: `Poelis rejects the key: ${ANSI}${FORGED_LINE}`,
    keyFingerprint: '1a2b3c4d',
    keyName: `Production\u202eA`,
  } as const;

  it('sends a clean, short subject naming the check and the secret', async () => {
    const notifier = recordingNotifier();
    await new AuditReporter(logger, metrics, notifier, true).record([finding]);

    const { subject } = notifier.sent[0];
    expectValidSubject(subject);
    expect(subject).toMatch(/^api-key-rotator audit: current-key-works failed for team-a\//);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('keeps its own lines but lets no value forge one or carry an escape', async () => {
    const notifier = recordingNotifier();
    await new AuditReporter(logger, metrics, notifier, true).record([finding]);

    const { message } = notifier.sent[0];
    expect(message.replace(/\n/g, '')).not.toMatch(RAW_CONTROL);
    const lines = message.split('\n');
    expect(lines.filter((line) => line.startsWith('Secret: '))).toEqual([`Secret: ${ARN}`]);
    expect(lines[0]).toContain('\\x1B[31mred');
    expect(message).toContain('Key: "Production\\u202EA" (1a2b3c4d)');
  });
});

describe('SnsNotifier', () => {
  it('publishes a subject SNS accepts, whatever it is given', async () => {
    const sent: PublishCommand[] = [];
    const notifier = new SnsNotifier(
      {
        send: (command: PublishCommand) => {
          sent.push(command);
          return Promise.resolve({});
        },
      } as never,
      'arn:aws:sns:us-east-1:111122223333:topic',
    );

    await notifier.notify(`Subject\nwith ${ANSI} ${'long '.repeat(40)}`, 'message');

    const subject = sent[0].input.Subject ?? '';
    expectValidSubject(subject);
    expect(subject.startsWith('Subject with \\x1B[31mred')).toBe(true);
  });
});
