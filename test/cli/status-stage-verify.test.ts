/**
 * `status`, `stage` and `verify` in the deployed local world: the stack's rotation function, the
 * AWS emulator authorizing every call, and the vendor simulators, with the CLI run in-process as
 * the README's operator role.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ExitCode } from '../../cli/exit-codes';
import { AUDIT_CHECKS } from '../../lambda/audit/checks';
import { noRotationHistory } from '../../cli/rotation-history';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { stagePoelisKey } from '../../local/scenarios';
import {
  startCliWorld,
  WEEKLY_POLYTOMIC_SLOT,
  type CliWorld,
  type PoelisSlot,
  type SignedClients,
} from './support/cli-world';

let cli: CliWorld;
let restricted: SignedClients;

beforeAll(async () => {
  cli = await startCliWorld();
  // An operator session whose access key the deny rules below name; the rotation function and
  // the operator's other sessions are unaffected.
  restricted = cli.clientsAs(cli.stack.operatorRoleArn, 'restricted-operator');
});

afterAll(async () => {
  await cli?.close();
});

async function currentValue(secretArn: string): Promise<Record<string, string>> {
  const output = await cli.inspector.secrets.send(
    new GetSecretValueCommand({ SecretId: secretArn }),
  );
  return JSON.parse(output.SecretString ?? '{}') as Record<string, string>;
}

async function stagedValue(secretArn: string): Promise<Record<string, string> | undefined> {
  try {
    const output = await cli.inspector.secrets.send(
      new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'STAGED' }),
    );
    return JSON.parse(output.SecretString ?? '{}') as Record<string, string>;
  } catch {
    return undefined;
  }
}

const poelisSecret = (): Promise<PoelisSlot> => cli.poelisSecret();

describe('status', () => {
  it('lists every managed secret with its provider, key fingerprints, schedule and revoke policy', async () => {
    // The slot the config schedules rate(7 days) with a 3h window and revokePolicy next-rotation.
    const polytomic = await cli.polytomicSecret({
      name: WEEKLY_POLYTOMIC_SLOT,
      revokePrevious: 'next-rotation',
    });
    const poelis = await poelisSecret();

    const { exitCode, stdout } = await cli.run(['status']);

    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toContain(polytomic.name);
    expect(stdout).toContain(
      `AWSCURRENT ${fingerprint((await currentValue(polytomic.secretArn)).apiKey)}`,
    );
    expect(stdout).toContain('rate(7 days)');
    expect(stdout).toContain('window 3h');
    expect(stdout).toContain('next-rotation');
    expect(stdout).toContain(
      `"${poelis.keyName}" (${fingerprint((await currentValue(poelis.secretArn)).apiKey)})`,
    );
    expect(stdout).toContain(poelis.name);
    // The partner-key secret is not managed, so it is not listed.
    expect(stdout).not.toContain('api-key-rotator/polytomic-partner-key');
  });

  it('reports named secrets as JSON, with last failure unknown when there is no history', async () => {
    const poelis = await poelisSecret();
    const { exitCode, stdout } = await cli.run(['status', poelis.secretArn, '--json'], {
      history: noRotationHistory,
    });

    expect(exitCode).toBe(ExitCode.Ok);
    const [entry] = JSON.parse(stdout) as Record<string, unknown>[];
    expect(entry).toMatchObject({
      name: poelis.name,
      provider: 'poelis',
      rotationEnabled: true,
      schedule: 'rate(30 days)',
      revokePolicy: 'on-finish',
      stuckPendingVersionId: null,
      lastFailureKnown: false,
      lastFailure: null,
      versions: [
        {
          labels: ['AWSCURRENT'],
          fingerprint: fingerprint((await currentValue(poelis.secretArn)).apiKey),
          keyName: poelis.keyName,
        },
        // What the stack created the secret with, before the first key was put.
        { labels: ['AWSPREVIOUS'], problem: 'placeholder, no key stored yet' },
      ],
    });
  });

  it('exits 1 and names the stuck version and the failed step when a rotation stopped half-way', async () => {
    const poelis = await poelisSecret();
    const rotation = await cli.run(['rotate', poelis.secretArn]);
    expect(rotation.exitCode).toBe(ExitCode.Ok);
    await cli.world.aws.waitForRotations(poelis.secretArn);

    const { exitCode, stdout, stderr } = await cli.run(['status', poelis.secretArn, '--json']);

    expect(exitCode).toBe(ExitCode.Failed);
    const [entry] = JSON.parse(stdout) as Record<string, unknown>[];
    expect(entry.stuckPendingVersionId).toEqual(expect.any(String));
    expect(entry.lastFailure).toMatchObject({
      step: 'createSecret',
      errorType: 'NothingStagedError',
    });
    expect(stderr).toBe('');

    // 80 columns (not a terminal): one block per secret, nothing cut, the command on its own line.
    const narrow = await cli.run(['status', poelis.secretArn]);
    expect(narrow.exitCode).toBe(ExitCode.Failed);
    const lines = narrow.stdout.split('\n');
    // Only the failure line may run longer: one plain line, which the terminal wraps.
    const laidOut = lines.filter((line) => !line.startsWith('last failure'));
    expect(laidOut.filter((line) => line.length > 80)).toEqual([]);
    expect(narrow.stdout).not.toContain('┌');
    expect(lines).toContain(poelis.name);
    expect(lines).toContain(`  Stuck pending  ${entry.stuckPendingVersionId as string}`);
    expect(narrow.stdout).toMatch(/^last failure of .* createSecret: NothingStagedError/m);
    expect(narrow.stdout).not.toContain('…');
    expect(narrow.stderr.split('\n')).toContain(`  api-key-rotator recover ${poelis.name}`);

    // A terminal wide enough gets the table.
    const wide = await cli.run(['status', poelis.secretArn], { env: { COLUMNS: '250' } });
    expect(wide.stdout).toContain('┌');
    expect(wide.stdout).toMatch(/│ Stuck pending +│/);
    expect(wide.stdout).toContain(entry.stuckPendingVersionId as string);
  });

  it('exits 3 for an unknown secret, saying what to check in plain lines', async () => {
    const { exitCode, stdout, stderr } = await cli.run(['status', 'no/such/secret']);
    expect(exitCode).toBe(ExitCode.NotFoundOrDenied);
    expect(stdout).toBe('');
    expect(stderr).toContain("secret no/such/secret's name or ARN and the region");
    // As on AWS: the README's policy is conditioned on the tag, so a missing secret is refused.
    expect(stderr).toMatch(
      /^error: AWS refused the request \(AccessDeniedException\): .*no\/such\/secret/m,
    );
    expect(stderr).toMatch(/^hint: /m);
    // Not a stuck rotation: no advice to recover.
    expect(stderr).not.toContain('recover');
  });

  it('--json gives the unknown secret its error document inside the list', async () => {
    const { exitCode, stdout } = await cli.run(['status', 'no/such/secret', '--json']);
    expect(exitCode).toBe(ExitCode.NotFoundOrDenied);
    expect(JSON.parse(stdout)).toEqual([
      {
        secretId: 'no/such/secret',
        ok: false,
        error: expect.objectContaining({
          name: 'AccessDeniedException',
          exitCode: ExitCode.NotFoundOrDenied,
          hint: expect.stringContaining('AWS_REGION') as unknown,
        }) as unknown,
      },
    ]);
  });

  it('exits 3 when AWS denies reading the secret value', async () => {
    const poelis = await poelisSecret();
    cli.world.aws.denyAccess({
      action: 'secretsmanager:GetSecretValue',
      accessKeyId: restricted.credentials.accessKeyId,
    });
    try {
      const { exitCode, stdout, stderr } = await cli.run(['status', poelis.secretArn], {
        clients: restricted,
      });
      expect(exitCode).toBe(ExitCode.NotFoundOrDenied);
      expect(stdout).toBe('');
      expect(stderr).toContain('AccessDeniedException');
      expect(stderr).toContain('check that your role may read and update it');
    } finally {
      cli.world.aws.clearAccessRules();
    }
  });
});

describe('permissions', () => {
  it('exits 3 when AWS denies rotating or staging, and changes nothing', async () => {
    const poelis = await poelisSecret();
    const key = cli.world.poelis.admin.createKey(poelis.organizationId, 'Denied');
    const rotationsBefore = cli.world.aws.rotationHistory(poelis.secretArn).length;
    for (const action of ['RotateSecret', 'PutSecretValue']) {
      cli.world.aws.denyAccess({
        action: `secretsmanager:${action}`,
        accessKeyId: restricted.credentials.accessKeyId,
      });
    }
    try {
      const rotate = await cli.run(['rotate', poelis.secretArn], { clients: restricted });
      expect(rotate.exitCode).toBe(ExitCode.NotFoundOrDenied);
      expect(rotate.stderr).toContain('secretsmanager:RotateSecret');

      const stage = await cli.run(['stage', poelis.secretArn], { clients: restricted, stdin: key });
      expect(stage.exitCode).toBe(ExitCode.NotFoundOrDenied);
      expect(stage.stderr).toContain('secretsmanager:PutSecretValue');
    } finally {
      cli.world.aws.clearAccessRules();
    }
    expect(await stagedValue(poelis.secretArn)).toBeUndefined();
    expect(cli.world.aws.rotationHistory(poelis.secretArn)).toHaveLength(rotationsBefore);
  });
});

describe('stage', () => {
  it('verifies a key from stdin at Poelis and stores it as STAGED, printing only its fingerprint', async () => {
    const poelis = await poelisSecret();
    const newKey = cli.world.poelis.admin.createKey(poelis.organizationId, 'Production B');

    const { exitCode, stdout } = await cli.run(
      ['stage', poelis.secretArn, '--name', 'Production B'],
      { stdin: `${newKey}\n` },
    );

    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toContain(`"Production B" (${fingerprint(newKey)})`);
    expect(await stagedValue(poelis.secretArn)).toEqual({
      apiKey: newKey,
      keyName: 'Production B',
    });
    const requests = cli.world.poelis.requests().filter((r) => r.route.includes('workspaces'));
    expect(requests.at(-1)?.status).toBe(200);
  });

  it('names the staged key it replaces, and the next rotation promotes the new one', async () => {
    const poelis = await poelisSecret();
    await stagePoelisKey(cli.world, cli.admin, poelis, 'Old stage');
    const oldStaged = (await stagedValue(poelis.secretArn))?.apiKey ?? '';
    const newKey = cli.world.poelis.admin.createKey(poelis.organizationId, 'New stage');

    const staged = await cli.run(['stage', poelis.secretArn, '--name', 'New stage', '--json'], {
      stdin: newKey,
    });
    expect(staged.exitCode).toBe(ExitCode.Ok);
    expect(JSON.parse(staged.stdout)).toMatchObject({
      stagedKey: { fingerprint: fingerprint(newKey), keyName: 'New stage' },
      replacedStagedKey: { fingerprint: fingerprint(oldStaged), keyName: 'Old stage' },
    });

    const rotated = await cli.run(['rotate', poelis.secretArn, '--wait']);
    expect(rotated.exitCode).toBe(ExitCode.Ok);
    expect((await currentValue(poelis.secretArn)).apiKey).toBe(newKey);
  });

  it('refuses a malformed key with exit 2 and stores nothing', async () => {
    const poelis = await poelisSecret();
    const { exitCode, stderr } = await cli.run(['stage', poelis.secretArn], {
      stdin: 'poelis_api_short\n',
    });
    expect(exitCode).toBe(ExitCode.Usage);
    expect(stderr).toContain('The key on stdin is not valid');
    expect(stderr).not.toContain('poelis_api_short');
    expect(await stagedValue(poelis.secretArn)).toBeUndefined();
  });

  it('refuses empty stdin and a key given as an argument with exit 2', async () => {
    const poelis = await poelisSecret();
    const empty = await cli.run(['stage', poelis.secretArn], { stdin: '' });
    expect(empty.exitCode).toBe(ExitCode.Usage);
    expect(empty.stderr).toContain('No key on stdin');

    const key = cli.world.poelis.admin.createKey(poelis.organizationId, 'Typed');
    const inArgv = await cli.run(['stage', poelis.secretArn, key]);
    expect(inArgv.exitCode).toBe(ExitCode.Usage);
    expect(await stagedValue(poelis.secretArn)).toBeUndefined();
  });

  it('exits 1 when Poelis rejects the key (revoked), and 4 when Poelis is down', async () => {
    const poelis = await poelisSecret();
    const revoked = cli.world.poelis.admin.createKey(poelis.organizationId, 'Revoked');
    cli.world.poelis.admin.revokeKey(poelis.organizationId, 'Revoked');
    const rejected = await cli.run(['stage', poelis.secretArn], { stdin: revoked });
    expect(rejected.exitCode).toBe(ExitCode.Failed);
    expect(rejected.stderr).toContain(`rejected the API key ${fingerprint(revoked)} with 401`);

    const fresh = cli.world.poelis.admin.createKey(poelis.organizationId, 'Fresh');
    cli.world.poelis.injectFault({
      kind: 'status',
      status: 503,
      route: '/v1/public/workspaces',
      times: 10,
    });
    try {
      const down = await cli.run(['stage', poelis.secretArn], { stdin: fresh });
      expect(down.exitCode).toBe(ExitCode.Unavailable);
      expect(down.stderr).toContain('is unavailable');
    } finally {
      cli.world.poelis.clearFaults();
    }
    expect(await stagedValue(poelis.secretArn)).toBeUndefined();
  });

  it('refuses to stage into a Polytomic secret, and exits 3 for an unknown secret', async () => {
    const polytomic = await cli.polytomicSecret();
    const wrong = await cli.run(['stage', polytomic.secretArn], { stdin: 'x' });
    expect(wrong.exitCode).toBe(ExitCode.Usage);
    expect(wrong.stderr).toContain("only keys made in a vendor's web app are staged");

    const unknown = await cli.run(['stage', 'no/such/secret'], { stdin: 'x' });
    expect(unknown.exitCode).toBe(ExitCode.NotFoundOrDenied);
  });
});

describe('verify', () => {
  it("passes once a Poelis rotation's old key is revoked, and fails while it is still live", async () => {
    const poelis = await poelisSecret();
    await stagePoelisKey(cli.world, cli.admin, poelis, 'Verify B');
    expect((await cli.run(['rotate', poelis.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);

    const live = await cli.run(['verify', poelis.secretArn, '--json']);
    expect(live.exitCode).toBe(ExitCode.Failed);
    const findings = (JSON.parse(live.stdout) as { findings: Record<string, string>[] }).findings;
    expect(findings.find((f) => f.check === 'previous-key-revoked')).toMatchObject({
      outcome: 'fail',
      keyName: poelis.keyName,
    });
    expect(findings.find((f) => f.check === 'current-key-works')).toMatchObject({
      outcome: 'pass',
    });

    cli.world.poelis.admin.revokeKey(poelis.organizationId, poelis.keyName); // the operator acts
    const clean = await cli.run(['verify', poelis.secretArn]);
    expect(clean.exitCode).toBe(ExitCode.Ok);
    expect(clean.stdout).toContain('previous-key-revoked');
    expect(clean.stdout).not.toContain('FAIL');
  });

  it("passes once a Polytomic rotation revoked the previous key, in the stack's key", async () => {
    const polytomic = await cli.polytomicSecret();
    const before = (await currentValue(polytomic.secretArn)).apiKey;
    expect((await cli.run(['rotate', polytomic.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);

    const { exitCode, stdout } = await cli.run(['verify', polytomic.secretArn, '--json']);

    expect(exitCode).toBe(ExitCode.Ok);
    const findings = (JSON.parse(stdout) as { findings: Record<string, string>[] }).findings;
    expect(findings.map((f) => f.check)).toEqual([...AUDIT_CHECKS]);
    expect(findings.filter((f) => f.outcome !== 'pass')).toEqual([]);
    expect(findings.find((f) => f.check === 'previous-key-revoked')).toMatchObject({
      keyFingerprint: fingerprint(before),
    });
    expect(findings.find((f) => f.check === 'encryption-key-ok')?.message).toContain(
      cli.stack.kmsKeyArn,
    );
    expect(cli.world.polytomic.admin.keyStatus(before)).toBe('revoked');
  });

  it('exits 4 when the vendor is down, and 3 for an unknown secret', async () => {
    const poelis = await poelisSecret();
    cli.world.poelis.injectFault({ kind: 'reset', route: '/v1/public/workspaces', times: 20 });
    try {
      const down = await cli.run(['verify', poelis.secretArn]);
      expect(down.exitCode).toBe(ExitCode.Unavailable);
      expect(down.stdout).toContain('error');
    } finally {
      cli.world.poelis.clearFaults();
    }
    const unknown = await cli.run(['verify', 'no/such/secret']);
    expect(unknown.exitCode).toBe(ExitCode.NotFoundOrDenied);
  });
});

describe('output', () => {
  it('never holds a key any simulator issued, in anything the commands above printed', () => {
    cli.scanner.expectClean();
    expect(cli.scanner.textOf('cli')).toMatch(/[0-9a-f]{8}/);
  });
});
