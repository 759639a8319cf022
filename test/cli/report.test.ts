/**
 * `report` in the deployed local world, run as the README's operator role: read-only evidence
 * per secret (rotations from version dates, stored keys probed at the vendor, the audit's
 * outcome) and a fleet summary, as Markdown, CSV (RFC 4180, formula cells neutralized) and JSON;
 * named usage errors for a bad period or format. Invariants: nothing changes, no key is printed.
 */
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ExitCode } from '../../cli/exit-codes';
import { csvCell } from '../../cli/report/csv';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { stagePoelisKey } from '../../local/scenarios';
import { startCliWorld, type CliWorld, type PolytomicSlot } from './support/cli-world';

let cli: CliWorld;
let polytomic: PolytomicSlot;
/** Polytomic keys, oldest first. */
const keys: string[] = [];

// A cold synthesis of the stack (its cache keyed by lib/ and lambda/) takes over a minute.
beforeAll(async () => {
  cli = await startCliWorld();
  polytomic = await cli.polytomicSecret();
  keys.push(await currentKey(polytomic.secretArn));
  for (let i = 0; i < 2; i += 1) {
    expect((await cli.run(['rotate', polytomic.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
    keys.push(await currentKey(polytomic.secretArn));
  }
}, 300_000);

afterAll(async () => {
  cli?.scanner.expectClean();
  await cli?.close();
});

async function currentKey(secretArn: string): Promise<string> {
  const output = await cli.inspector.secrets.send(
    new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSCURRENT' }),
  );
  return (JSON.parse(output.SecretString ?? '{}') as { apiKey: string }).apiKey;
}

async function labels(secretArn: string): Promise<Record<string, string[]>> {
  const output = await cli.inspector.secrets.send(
    new DescribeSecretCommand({ SecretId: secretArn }),
  );
  return output.VersionIdsToStages ?? {};
}

/** RFC 4180 fields, LF-ended records: quoted fields may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  return rows;
}

describe('report', () => {
  it('reads as Markdown: rotations in the period, every stored key probed, the audit, a fleet summary', async () => {
    const before = await labels(polytomic.secretArn);
    const { exitCode, stdout } = await cli.run(['report', polytomic.secretArn, '--since', '30d']);

    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toMatch(/^# API key rotation report\n/);
    expect(stdout).toContain('| overdue rotations | 0 | - |');
    expect(stdout).toContain('| keys still live that should be dead | 0 | - |');
    expect(stdout).toContain(`## ${polytomic.name}\n`);
    expect(stdout).toContain('| revoke policy | on-finish |');
    expect(stdout).toContain('Rotations since');
    expect(stdout).toMatch(/Rotations since \S+: 2\n/);
    expect(stdout).toContain(`| ${fingerprint(keys[2])}, version`);
    expect(stdout).toMatch(/audit \(run now\) \| passed: 6 of 6 checks/);
    // Both replaced keys are stored and dead at Polytomic.
    for (const old of keys.slice(0, 2)) {
      expect(stdout).toMatch(new RegExp(`\\| ${fingerprint(old)} \\| dead \\|`));
    }
    expect(await labels(polytomic.secretArn)).toEqual(before);
  });

  it('names a revived old key in the summary and exits 1; CSV and JSON say the same', async () => {
    const revived = await fetch(`${cli.world.urls.polytomic}/_admin/revive-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: keys[0] }),
    });
    expect(revived.status).toBe(204);

    const md = await cli.run(['report', polytomic.secretArn]);
    expect(md.exitCode).toBe(ExitCode.Failed);
    expect(md.stdout).toMatch(
      new RegExp(
        `\\| keys still live that should be dead \\| 1 \\| ${polytomic.name}.* ${fingerprint(keys[0])} \\|`,
      ),
    );
    expect(md.stdout).toContain('FAIL stored-keys-dead');

    const csv = await cli.run(['report', polytomic.secretArn, '--format', 'csv']);
    expect(csv.exitCode).toBe(ExitCode.Failed);
    const [head, ...rows] = parseCsv(csv.stdout);
    const column = (name: string): number => head.indexOf(name);
    const row = rows.find((cells) => cells[column('key_fingerprint')] === fingerprint(keys[0]));
    expect(row?.[column('at_vendor')]).toBe('live');
    expect(row?.[column('should_be_dead')]).toBe('true');
    expect(rows).toHaveLength(3);

    const json = await cli.run(['report', polytomic.secretArn, '--json']);
    const asFormat = await cli.run(['report', polytomic.secretArn, '--format', 'json']);
    const document = JSON.parse(json.stdout) as {
      summary: { liveKeysThatShouldBeDead: { key: { fingerprint: string } }[] };
    };
    expect(document.summary.liveKeysThatShouldBeDead.map((k) => k.key.fingerprint)).toEqual([
      fingerprint(keys[0]),
    ]);
    // The same document either way, but for when it was generated.
    const undated = (text: string): Record<string, unknown> => {
      const document = JSON.parse(text) as Record<string, unknown>;
      delete document.generatedAt;
      delete document.from;
      return document;
    };
    const one = undated(json.stdout);
    const other = undated(asFormat.stdout);
    expect(one).toEqual(other);
  });

  it('neutralizes formula cells and quotes as RFC 4180 in CSV', async () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('plain')).toBe('plain');

    const poelis = await cli.poelisSecret();
    await stagePoelisKey(cli.world, cli.admin, poelis, '=HYPERLINK("https://evil.example","x")');
    expect((await cli.run(['rotate', poelis.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
    const csv = await cli.run(['report', poelis.secretArn, '--format', 'csv']);
    const [head, ...rows] = parseCsv(csv.stdout);
    const names = rows.map((cells) => cells[head.indexOf('key_name')]);
    expect(names).toContain(`'=HYPERLINK("https://evil.example","x")`);
    expect(names.every((name) => !/^[=+\-@]/.test(name))).toBe(true);
    // Markdown has no formulas; a name cannot break its tables or add markup.
    await stagePoelisKey(cli.world, cli.admin, poelis, 'a | b *c* [d](https://evil.example)');
    expect((await cli.run(['rotate', poelis.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
    const md = await cli.run(['report', poelis.secretArn]);
    expect(md.stdout).toContain('a \\| b \\*c\\* \\[d\\](https://evil.example)');
    for (const line of md.stdout.split('\n').filter((l) => l.startsWith('| rotated at'))) {
      expect(line.split(/(?<!\\)\|/)).toHaveLength(6);
    }
    const rotationRows = md.stdout.split('\n').filter((l) => l.startsWith('| 20'));
    expect(rotationRows.length).toBeGreaterThan(0);
    for (const line of rotationRows) expect(line.split(/(?<!\\)\|/)).toHaveLength(6);
  });

  it('refuses a bad period or format with a named usage error, before any call', async () => {
    const calls = Object.values(cli.world.aws.calls()).reduce((sum, n) => sum + n, 0);
    for (const since of ['90', '3 months', '-1d', '0d', '99999d', 'x'.repeat(40)]) {
      const { exitCode, stdout, stderr } = await cli.run(['report', '--since', since]);
      expect(exitCode).toBe(ExitCode.Usage);
      expect(`${stdout}${stderr}`).toMatch(/InvalidPeriodError|is not a period report can use/);
    }
    const format = await cli.run(['report', '--format', 'xml']);
    expect(format.exitCode).toBe(ExitCode.Usage);
    expect(`${format.stdout}${format.stderr}`).toContain('is not a report format');
    expect(Object.values(cli.world.aws.calls()).reduce((sum, n) => sum + n, 0)).toBe(calls);
  });

  it('reports every managed secret when none is named', async () => {
    const { stdout } = await cli.run(['report', '--json']);
    const document = JSON.parse(stdout) as { secrets: { name: string }[] };
    expect(document.secrets.map((secret) => secret.name)).toEqual(
      expect.arrayContaining([polytomic.name, ...Object.keys(cli.stack.secretArns)]),
    );
  });

  it('exits 3 for a secret that does not exist', async () => {
    expect((await cli.run(['report', 'cli/no-such-secret'])).exitCode).toBe(
      ExitCode.NotFoundOrDenied,
    );
  });
});
