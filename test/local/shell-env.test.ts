/**
 * The `export` line `npm run local` prints is one line bash reads back as exactly the values the
 * world uses, whatever characters they hold.
 */
import { spawnSync } from 'node:child_process';
import {
  credentialsFileText,
  exportLine,
  shellEnvironment,
  shellQuote,
} from '../../local/shell-env';

/** What bash sees for `names` after evaluating `line`, one `name=value` per line. */
function evaluated(line: string, names: readonly string[]): string {
  const script = `${line}\n${names.map((name) => `printf '%s=%s\\n' ${name} "$${name}"`).join('\n')}`;
  return spawnSync('bash', ['-c', script], { encoding: 'utf8', env: {} }).stdout;
}

describe('the export line', () => {
  test('round-trips the world environment through bash', () => {
    const environment = shellEnvironment({
      urls: {
        aws: 'http://127.0.0.1:1',
        polytomic: 'http://127.0.0.1:2',
        poelis: 'http://127.0.0.1:3',
      },
      region: 'us-east-1',
      credentialsFile: "/tmp/it's here/credentials",
      defaultProfile: 'operator',
      partnerKeySecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:p-AbC123',
    });
    const line = exportLine(environment);
    expect(line.split('\n')).toHaveLength(1);
    expect(environment.ROTATOR_ALLOWED_ORIGINS).toBe(
      'polytomic=http://127.0.0.1:2;poelis=http://127.0.0.1:3',
    );
    const names = Object.keys(environment);
    const expected = names.map((name) => `${name}=${environment[name]}\n`).join('');
    expect(evaluated(line, names)).toBe(expected);
  });

  test.each(['plain', 'a;b', "it's", 'two words', '$HOME', '`x`', ''])('quotes %p', (value) => {
    expect(evaluated(`export V=${shellQuote(value)}`, ['V'])).toBe(`V=${value}\n`);
  });
});

describe('the credentials file', () => {
  test('holds one profile section per session, in the shared-credentials format', () => {
    const text = credentialsFileText([
      {
        name: 'operator',
        credentials: { accessKeyId: 'ASIA1', secretAccessKey: 's1', sessionToken: 't1' },
      },
      {
        name: 'reader',
        credentials: { accessKeyId: 'ASIA2', secretAccessKey: 's2', sessionToken: 't2' },
      },
    ]);
    expect(text).toBe(
      [
        '[operator]',
        'aws_access_key_id = ASIA1',
        'aws_secret_access_key = s1',
        'aws_session_token = t1',
        '',
        '[reader]',
        'aws_access_key_id = ASIA2',
        'aws_secret_access_key = s2',
        'aws_session_token = t2',
        '',
      ].join('\n'),
    );
  });
});
