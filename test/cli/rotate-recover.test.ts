/**
 * `rotate` and `recover` in the deployed local world, run as the README's operator role:
 * rotations run the stack's rotation function against the vendor simulators; failures are made
 * with vendor faults and an empty STAGED label.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { ExitCode } from '../../cli/exit-codes';
import { noRotationHistory } from '../../cli/rotation-history';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { stagePoelisKey } from '../../local/scenarios';
import {
  startCliWorld,
  type CliWorld,
  type PoelisSlot,
  type PolytomicSlot,
  stuckPendingVersionId,
} from './support/cli-world';

let cli: CliWorld;

beforeAll(async () => {
  cli = await startCliWorld();
});

afterAll(async () => {
  await cli?.close();
});

const polytomicSecret = (standby = true): Promise<PolytomicSlot> =>
  cli.polytomicSecret({ standby });

const poelisSecret = (): Promise<PoelisSlot> => cli.poelisSecret();

async function valueAt(
  secretArn: string,
  selector: { VersionStage?: string; VersionId?: string },
): Promise<Record<string, string>> {
  const output = await cli.inspector.secrets.send(
    new GetSecretValueCommand({ SecretId: secretArn, ...selector }),
  );
  return JSON.parse(output.SecretString ?? '{}') as Record<string, string>;
}

async function labels(secretArn: string): Promise<Record<string, string[]>> {
  const output = await cli.inspector.secrets.send(
    new DescribeSecretCommand({ SecretId: secretArn }),
  );
  return output.VersionIdsToStages ?? {};
}

function pendingVersionId(secretArn: string): Promise<string | undefined> {
  return stuckPendingVersionId(cli.inspector.secrets, secretArn);
}

/** Starts a rotation that fails at testSecret, after createSecret stored a new key. */
async function failAtTestSecret(secretArn: string, route: string): Promise<string> {
  const vendor = route.startsWith('/api') ? cli.world.polytomic : cli.world.poelis;
  vendor.injectFault({ kind: 'status', status: 503, method: 'GET', route, times: 50 });
  try {
    const failed = await cli.run(['rotate', secretArn, '--wait']);
    expect(failed.exitCode).toBe(ExitCode.Failed);
    expect(failed.stdout).toContain('testSecret failed: VendorUnavailableError');
  } finally {
    vendor.clearFaults();
  }
  const pending = await pendingVersionId(secretArn);
  if (pending === undefined) throw new Error('the failed rotation left no AWSPENDING version');
  return pending;
}

describe('rotate', () => {
  it('--wait follows a Polytomic rotation to the end, showing progress and the new key by fingerprint', async () => {
    const secret = await polytomicSecret();
    const before = (await valueAt(secret.secretArn, { VersionStage: 'AWSCURRENT' })).apiKey;

    const { exitCode, stdout, stderr } = await cli.run(['rotate', secret.secretArn, '--wait']);

    expect(exitCode).toBe(ExitCode.Ok);
    const after = (await valueAt(secret.secretArn, { VersionStage: 'AWSCURRENT' })).apiKey;
    expect(after).not.toBe(before);
    expect(stdout).toContain(`Rotated ${secret.secretArn}`);
    expect(stdout).toContain(`key ${fingerprint(after)}`);
    expect(stdout).toContain('api-key-rotator verify');
    expect(stderr).toContain('rotation started');
    expect(stderr).toContain(`new key ${fingerprint(after)} stored`);
    expect(stderr).toContain('finishSecret done');
    expect(cli.world.polytomic.admin.keyStatus(before)).toBe('revoked');
  });

  it('without --wait starts the rotation and returns its version at once; --json says so', async () => {
    const secret = await polytomicSecret();
    const { exitCode, stdout } = await cli.run(['rotate', secret.secretArn, '--json']);
    expect(exitCode).toBe(ExitCode.Ok);
    const result = JSON.parse(stdout) as { outcome: string; versionId: string };
    expect(result.outcome).toBe('started');
    await cli.world.aws.waitForRotations(secret.secretArn);
    expect((await labels(secret.secretArn))[result.versionId]).toContain('AWSCURRENT');
  });

  it('--wait exits 1 when nothing is staged, naming the commands that work next, in order; they do', async () => {
    const secret = await poelisSecret();
    const oldKey = (await valueAt(secret.secretArn, { VersionStage: 'AWSCURRENT' })).apiKey;
    const failed = await cli.run(['rotate', secret.secretArn, '--wait', '--json']);
    expect(failed.exitCode).toBe(ExitCode.Failed);
    const result = JSON.parse(failed.stdout) as { reason: string; next: string[] };
    expect(result).toMatchObject({ outcome: 'failed', rotated: false });
    expect(result.reason).toContain('createSecret failed: NothingStagedError');
    // Not the function's "stage and rotate again": rotate refuses until recover has run.
    expect(result.reason).not.toContain('rotate again');
    const commands = result.next.filter((step) => step.startsWith('api-key-rotator '));
    expect(commands.map((command) => command.split(' ').slice(1, 3))).toEqual([
      ['stage', secret.secretArn],
      ['recover', secret.secretArn],
      ['rotate', secret.secretArn],
    ]);

    const refused = await cli.run(['rotate', secret.secretArn]);
    expect(refused.exitCode).toBe(ExitCode.Failed);
    expect(refused.stderr).toContain("A previous rotation isn't complete");
    expect(refused.stderr).toMatch(/^hint: .*`api-key-rotator recover \S+`/m);
    expect(refused.stderr).toContain(`api-key-rotator recover ${secret.secretArn}`);

    // The commands, as printed, work: stage, recover, rotate.
    const newKey = cli.world.poelis.admin.createKey(secret.organizationId, 'Story B');
    const staged = await cli.run(['stage', secret.secretArn, '--name', 'Story B'], {
      stdin: `${newKey}\n`,
    });
    expect(staged.exitCode).toBe(ExitCode.Ok);
    expect(staged.stdout).toContain(`api-key-rotator recover ${secret.secretArn} --yes`);
    expect((await cli.run(['recover', secret.secretArn, '--yes'])).exitCode).toBe(ExitCode.Ok);
    const rotated = await cli.run(['rotate', secret.secretArn, '--wait', '--json']);
    expect(rotated.exitCode).toBe(ExitCode.Ok);
    // Once it succeeded, the new key is AWSCURRENT, and the old one is named for revoking.
    const done = JSON.parse(rotated.stdout) as { newKey: { labels: string[] } };
    expect(done).toMatchObject({
      outcome: 'succeeded',
      newKey: { fingerprint: fingerprint(newKey), keyName: 'Story B' },
      keyToRevoke: { fingerprint: fingerprint(oldKey), keyName: secret.keyName },
    });
    expect(done.newKey.labels).toContain('AWSCURRENT');
    expect(done.newKey.labels).not.toContain('AWSPENDING');
  });

  it('a successful assisted rotation names the old key to revoke, where, and how to prove it', async () => {
    const secret = await poelisSecret();
    const oldKey = (await valueAt(secret.secretArn, { VersionStage: 'AWSCURRENT' })).apiKey;
    await stagePoelisKey(cli.world, cli.admin, secret, 'Next B');

    const { exitCode, stdout } = await cli.run(['rotate', secret.secretArn, '--wait']);

    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toContain(
      `Revoke the old Poelis key "${secret.keyName}" (${fingerprint(oldKey)}) in the Poelis web app`,
    );
    expect(stdout.split('\n')).toContain(
      `Then prove it is dead: api-key-rotator verify ${secret.secretArn}`,
    );
  });

  it('exits 1 and says rotation is not configured for a secret without a rotation function', async () => {
    // Outside the stack: only the administrator may touch it (the operator policy needs the tag).
    const created = await cli.admin.secrets.send(
      new CreateSecretCommand({ Name: 'cli-test/unrotated', SecretString: '{}' }),
    );
    const refused = await cli.run(['rotate', created.ARN ?? ''], { clients: cli.admin });
    expect(refused.exitCode).toBe(ExitCode.Failed);
    expect(refused.stderr).toContain('No Lambda rotation function');
    expect(refused.stderr).toContain(`Rotation is not configured for ${created.ARN}`);
    expect(refused.stderr).not.toContain('api-key-rotator recover');
  });

  it('--wait exits 4 at its timeout when it cannot see a failure (as against AWS)', async () => {
    const secret = await poelisSecret();
    const { exitCode, stdout } = await cli.run(
      ['rotate', secret.secretArn, '--wait', '--timeout', '0.3', '--interval', '0.05'],
      { history: noRotationHistory },
    );
    expect(exitCode).toBe(ExitCode.Unavailable);
    expect(stdout).toContain('did not finish within 0.3s');
    // The stack's function logs to its own log group, not /aws/lambda/<name>: the CLI names the
    // function and the call that finds the group.
    expect(stdout).toContain(`function ${cli.rotationFunctionName}`);
    expect(stdout).toContain(
      `get-function-configuration --function-name ${cli.rotationFunctionName} --query LoggingConfig.LogGroup`,
    );
    expect(cli.world.aws.logs.logGroup(cli.rotationLogGroup)).toBeDefined();
    await cli.world.aws.waitForRotations(secret.secretArn);
  });

  it('exits 1 and says so when the rotation moved AWSCURRENT but could not revoke the old key', async () => {
    const secret = await polytomicSecret();
    const first = (await valueAt(secret.secretArn, { VersionStage: 'AWSCURRENT' })).apiKey;
    cli.world.polytomic.injectFault({
      kind: 'status',
      status: 503,
      method: 'POST',
      route: `/api/organizations/${secret.organizationId}/users/${secret.userId}/keys`,
      times: 10,
    });
    try {
      const { exitCode, stdout } = await cli.run(['rotate', secret.secretArn, '--wait']);
      expect(exitCode).toBe(ExitCode.Failed);
      expect(stdout).toContain('uses its new key');
      expect(stdout).toContain('finishSecret failed: RevocationFailedError');
      expect(stdout).toContain(fingerprint(first));
    } finally {
      cli.world.polytomic.clearFaults();
    }
  });

  it('--wait completes the first rotation after deploy step 3, the placeholder still AWSPREVIOUS', async () => {
    const secret = await polytomicSecret();
    const versions = await labels(secret.secretArn);
    expect(Object.values(versions)).toContainEqual(['AWSPREVIOUS']);

    const { exitCode, stdout } = await cli.run(['rotate', secret.secretArn, '--wait']);

    expect(stdout).toContain(`Rotated ${secret.secretArn}`);
    expect(exitCode).toBe(ExitCode.Ok);
    // The placeholder is no earlier key: the previous-key check passes on the key just replaced.
    expect((await cli.run(['verify', secret.secretArn])).exitCode).toBe(ExitCode.Ok);
  });

  it('exits 3 for an unknown secret and 2 for a bad option', async () => {
    const unknown = await cli.run(['rotate', 'no/such/secret']);
    expect(unknown.exitCode).toBe(ExitCode.NotFoundOrDenied);
    expect(unknown.stderr).toContain("Check secret no/such/secret's name or ARN");

    const bad = await cli.run(['rotate', 'x', '--timeout', 'soon']);
    expect(bad.exitCode).toBe(ExitCode.Usage);
    expect(bad.stderr).toContain('must be a positive number of seconds');
  });
});

describe('recover', () => {
  it('revokes the orphaned Polytomic key at the vendor, clears AWSPENDING, and the next rotation runs', async () => {
    const secret = await polytomicSecret();
    const current = (await valueAt(secret.secretArn, { VersionStage: 'AWSCURRENT' })).apiKey;
    const pendingId = await failAtTestSecret(secret.secretArn, '/api/me');
    const orphan = (await valueAt(secret.secretArn, { VersionId: pendingId })).apiKey;
    expect(cli.world.polytomic.admin.keyStatus(orphan)).toBe('live');

    const { exitCode, stdout } = await cli.run(['recover', secret.secretArn, '--yes']);

    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toContain(`AWSPENDING  version ${pendingId}, key ${fingerprint(orphan)}`);
    expect(stdout).toContain('It failed at testSecret: VendorUnavailableError');
    expect(stdout).toContain(`Polytomic user ${secret.standbyUserId}`);
    expect(stdout).toContain('Recovered');
    expect(cli.world.polytomic.admin.keyStatus(orphan)).toBe('revoked');
    expect(cli.world.polytomic.admin.keyStatus(current)).toBe('live');
    expect(await pendingVersionId(secret.secretArn)).toBeUndefined();

    expect((await cli.run(['rotate', secret.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
    expect(cli.world.polytomic.admin.keyStatus(current)).toBe('revoked');
  });

  it('names the orphaned Poelis key to revoke in the web app and clears AWSPENDING', async () => {
    const secret = await poelisSecret();
    await stagePoelisKey(cli.world, cli.admin, secret, 'Orphan B');
    const pendingId = await failAtTestSecret(secret.secretArn, '/v1/public/workspaces');
    const orphan = (await valueAt(secret.secretArn, { VersionId: pendingId })).apiKey;

    const { exitCode, stdout } = await cli.run(['recover', secret.secretArn, '--yes', '--json']);

    expect(exitCode).toBe(ExitCode.Ok);
    expect(JSON.parse(stdout)).toMatchObject({
      recovered: true,
      recovery: 'manual',
      pendingKey: { fingerprint: fingerprint(orphan), keyName: 'Orphan B' },
      manualAction: expect.stringContaining(`"Orphan B" (${fingerprint(orphan)})`) as unknown,
    });
    expect(await pendingVersionId(secret.secretArn)).toBeUndefined();
    expect(Object.values(await labels(secret.secretArn)).flat()).not.toContain('STAGED');
  });

  it('clears a pending version that holds no key, after a prompt the operator confirms', async () => {
    const secret = await poelisSecret();
    expect((await cli.run(['rotate', secret.secretArn, '--wait'])).exitCode).toBe(ExitCode.Failed);

    const notTty = await cli.run(['recover', secret.secretArn]);
    expect(notTty.exitCode).toBe(ExitCode.Usage);
    expect(notTty.stderr).toContain('re-run with --yes');

    const declined = await cli.run(['recover', secret.secretArn], { tty: true, stdin: 'n\n' });
    expect(declined.exitCode).toBe(ExitCode.Failed);
    expect(declined.stdout).toContain('Nothing changed');
    expect(await pendingVersionId(secret.secretArn)).toBeDefined();

    const accepted = await cli.run(['recover', secret.secretArn], { tty: true, stdin: 'y\n' });
    expect(accepted.exitCode).toBe(ExitCode.Ok);
    expect(accepted.stdout).toContain('nothing to revoke');
    expect(accepted.stderr).toContain('Proceed? [y/N]');
    expect(await pendingVersionId(secret.secretArn)).toBeUndefined();
  });

  it('refuses to clear a single-user Polytomic pending key, the only live one', async () => {
    const secret = await polytomicSecret(false);
    const pendingId = await failAtTestSecret(secret.secretArn, '/api/me');
    const pending = (await valueAt(secret.secretArn, { VersionId: pendingId })).apiKey;

    const { exitCode, stderr } = await cli.run(['recover', secret.secretArn, '--yes']);

    expect(exitCode).toBe(ExitCode.Failed);
    expect(stderr).toContain('single-user mode');
    expect(cli.world.polytomic.admin.keyStatus(pending)).toBe('live');
    expect(await pendingVersionId(secret.secretArn)).toBe(pendingId);
  });

  it('refuses to clear a single-user Polytomic rotation whose issued key was never stored', async () => {
    const secret = await polytomicSecret(false);
    const current = (await valueAt(secret.secretArn, { VersionStage: 'AWSCURRENT' })).apiKey;
    // Polytomic issues the key, but the answer never arrives: createSecret stores nothing.
    cli.world.polytomic.injectFault({
      kind: 'commit-then-drop',
      method: 'POST',
      route: '/api/organizations/:org/users/:user/keys',
      times: 50,
    });
    try {
      const failed = await cli.run(['rotate', secret.secretArn, '--wait']);
      expect(failed.exitCode).toBe(ExitCode.Failed);
      expect(failed.stdout).toContain('createSecret failed: VendorUnavailableError');
    } finally {
      cli.world.polytomic.clearFaults();
    }
    const pendingId = await pendingVersionId(secret.secretArn);
    expect(pendingId).toBeDefined();
    // The forced issue for the same user already replaced AWSCURRENT's key.
    expect(cli.world.polytomic.admin.keyStatus(current)).toBe('revoked');

    const { exitCode, stderr } = await cli.run(['recover', secret.secretArn, '--yes']);

    expect(exitCode).toBe(ExitCode.Failed);
    expect(stderr).toContain('single-user mode and createSecret stored no key');
    expect(stderr).toContain("let Secrets Manager's retries finish the rotation");
    expect(await pendingVersionId(secret.secretArn)).toBe(pendingId);
  });

  it('exits 4 and leaves AWSPENDING when Polytomic is down during recovery', async () => {
    const secret = await polytomicSecret();
    const pendingId = await failAtTestSecret(secret.secretArn, '/api/me');
    cli.world.polytomic.injectFault({ kind: 'reset', method: 'POST', times: 20 });
    try {
      const { exitCode, stderr } = await cli.run(['recover', secret.secretArn, '--yes']);
      expect(exitCode).toBe(ExitCode.Unavailable);
      expect(stderr).toContain('is unavailable');
    } finally {
      cli.world.polytomic.clearFaults();
    }
    expect(await pendingVersionId(secret.secretArn)).toBe(pendingId);
  });

  it('has nothing to do for a healthy secret, and exits 3 for an unknown one', async () => {
    const secret = await polytomicSecret();
    const healthy = await cli.run(['recover', secret.secretArn]);
    expect(healthy.exitCode).toBe(ExitCode.Ok);
    expect(healthy.stdout).toContain('Nothing to recover');

    const unknown = await cli.run(['recover', 'no/such/secret', '--yes']);
    expect(unknown.exitCode).toBe(ExitCode.NotFoundOrDenied);
  });
});

describe('output', () => {
  it('never holds a key any simulator issued, in anything the commands above printed', () => {
    cli.scanner.expectClean();
    expect(cli.scanner.textOf('cli')).toMatch(/[0-9a-f]{8}/);
  });
});
