/**
 * `rollback` in the deployed local world, run as the README's operator role: refused when the
 * previous key is dead, during a rotation, without confirmation or without a previous key;
 * accepted while the vendor still accepts the previous key, idempotent, announced on the bus,
 * and the audit agrees with the result. Invariants: AWSCURRENT always authenticates, nothing
 * changes on a refusal, the next rotation still runs, no key in any output or event.
 */
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ExitCode } from '../../cli/exit-codes';
import { ROTATION_EVENT_SOURCE, RotationEventType } from '../../lambda/shared/contracts';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { startCliWorld, type CliWorld } from './support/cli-world';

let cli: CliWorld;

// A cold synthesis of the stack (its cache keyed by lib/ and lambda/) takes over a minute.
beforeAll(async () => {
  cli = await startCliWorld();
}, 300_000);

afterAll(async () => {
  cli?.scanner.add('event', JSON.stringify(cli.world.aws.events.received()));
  cli?.scanner.expectClean();
  await cli?.close();
});

async function labels(secretArn: string): Promise<Record<string, string[]>> {
  const output = await cli.inspector.secrets.send(
    new DescribeSecretCommand({ SecretId: secretArn }),
  );
  return output.VersionIdsToStages ?? {};
}

async function currentKey(secretArn: string): Promise<string> {
  const output = await cli.inspector.secrets.send(
    new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSCURRENT' }),
  );
  return (JSON.parse(output.SecretString ?? '{}') as { apiKey: string }).apiKey;
}

function liveAtPolytomic(key: string): boolean {
  return (
    cli.world.polytomic.ledger().find((entry) => entry.fingerprint === fingerprint(key))?.status ===
    'live'
  );
}

function rollbackEvents(secretArn: string): Record<string, unknown>[] {
  return cli.world.aws.events
    .received({ source: ROTATION_EVENT_SOURCE, detailType: RotationEventType.KeyRolledBack })
    .filter((event) => event.detail.secretArn === secretArn)
    .map((event) => event.detail);
}

describe('rollback', () => {
  it('refuses when the previous key was revoked at finishSecret, and changes nothing', async () => {
    const secret = await cli.polytomicSecret();
    expect((await cli.run(['rotate', secret.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
    const before = await labels(secret.secretArn);

    const { exitCode, stdout, stderr } = await cli.run(['rollback', secret.secretArn, '--yes']);

    expect(exitCode).toBe(ExitCode.Failed);
    expect(`${stdout}${stderr}`).toContain('rejects the previous key');
    expect(`${stdout}${stderr}`).toContain('revoked at finishSecret (policy on-finish)');
    expect(`${stdout}${stderr}`).toContain(`api-key-rotator rotate ${secret.name}`);
    expect(await labels(secret.secretArn)).toEqual(before);
    expect(rollbackEvents(secret.secretArn)).toEqual([]);
  });

  it('moves AWSCURRENT back while the previous key works, once, announced and audited', async () => {
    const secret = await cli.polytomicSecret({ revokePrevious: 'next-rotation' });
    const firstKey = await currentKey(secret.secretArn);
    expect((await cli.run(['rotate', secret.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
    const secondKey = await currentKey(secret.secretArn);
    const rotated = await labels(secret.secretArn);
    const [firstVersion] = Object.entries(rotated).find(([, l]) => l.includes('AWSPREVIOUS')) ?? [];
    const [secondVersion] = Object.entries(rotated).find(([, l]) => l.includes('AWSCURRENT')) ?? [];

    const { exitCode, stdout } = await cli.run(['rollback', secret.secretArn, '--yes']);

    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toContain('Rolled back');
    expect(await currentKey(secret.secretArn)).toBe(firstKey);
    const after = await labels(secret.secretArn);
    expect(after[firstVersion ?? '']).toContain('AWSCURRENT');
    expect(after[secondVersion ?? '']).toContain('AWSPREVIOUS');
    // Invariant 1: AWSCURRENT authenticates; the key rolled away from stays live by policy.
    expect(liveAtPolytomic(firstKey)).toBe(true);
    expect(liveAtPolytomic(secondKey)).toBe(true);
    expect(rollbackEvents(secret.secretArn)).toEqual([
      {
        rollbackId: `${firstVersion}:${secondVersion}`,
        secretArn: secret.secretArn,
        secretName: secret.name,
        provider: 'polytomic',
        restoredVersionId: firstVersion,
        restoredKey: { fingerprint: fingerprint(firstKey) },
        replacedVersionId: secondVersion,
        replacedKey: { fingerprint: fingerprint(secondKey) },
      },
    ]);
    // The audit agrees: rollback ran it, and verify finds the same.
    expect(stdout).toContain('Audit of the result');
    expect((await cli.run(['verify', secret.secretArn])).exitCode).toBe(ExitCode.Ok);

    // Idempotent: a second run changes nothing and tells consumers under the same rollbackId.
    const again = await cli.run(['rollback', secret.secretArn, '--yes', '--json']);
    expect(again.exitCode).toBe(ExitCode.Ok);
    expect(JSON.parse(again.stdout)).toMatchObject({ rolledBack: true, changed: false });
    expect(await labels(secret.secretArn)).toEqual(after);
    const events = rollbackEvents(secret.secretArn);
    expect(events).toHaveLength(2);
    expect(events[1].rollbackId).toBe(events[0].rollbackId);

    // Nothing wedged: the next rotation runs, and revokes the key rolled away from.
    expect((await cli.run(['rotate', secret.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
    expect(liveAtPolytomic(secondKey)).toBe(false);
  });

  it('asks for confirmation: without --yes and no terminal it changes nothing (exit 2)', async () => {
    const secret = await cli.polytomicSecret({ revokePrevious: 'next-rotation' });
    expect((await cli.run(['rotate', secret.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
    const before = await labels(secret.secretArn);

    const { exitCode, stdout, stderr } = await cli.run(['rollback', secret.secretArn]);

    expect(exitCode).toBe(ExitCode.Usage);
    expect(`${stdout}${stderr}`).toContain('--yes');
    expect(await labels(secret.secretArn)).toEqual(before);
    // On a terminal, "n" keeps everything as it is.
    const declined = await cli.run(['rollback', secret.secretArn], { stdin: 'n\n', tty: true });
    expect(declined.exitCode).toBe(ExitCode.Failed);
    expect(await labels(secret.secretArn)).toEqual(before);
  });

  it('says there is nothing to roll back to before the first rotation', async () => {
    const secret = await cli.poelisSecret();
    const { exitCode, stdout, stderr } = await cli.run(['rollback', secret.secretArn, '--yes']);
    expect(exitCode).toBe(ExitCode.Failed);
    expect(`${stdout}${stderr}`).toContain('nothing to roll back to');
  });

  it('refuses while a rotation is stopped half-way', async () => {
    const secret = await cli.polytomicSecret({ revokePrevious: 'next-rotation' });
    expect((await cli.run(['rotate', secret.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
    cli.world.polytomic.injectFault({
      kind: 'status',
      status: 503,
      method: 'GET',
      route: '/api/me',
      times: 50,
    });
    try {
      expect((await cli.run(['rotate', secret.secretArn, '--wait'])).exitCode).toBe(
        ExitCode.Failed,
      );
    } finally {
      cli.world.polytomic.clearFaults();
    }
    const before = await labels(secret.secretArn);
    const { exitCode, stdout, stderr } = await cli.run(['rollback', secret.secretArn, '--yes']);
    expect(exitCode).toBe(ExitCode.Failed);
    expect(`${stdout}${stderr}`).toContain('rollback would race it');
    expect(`${stdout}${stderr}`).toContain(`api-key-rotator recover ${secret.name}`);
    expect(await labels(secret.secretArn)).toEqual(before);
  });

  it('exits 3 for a secret that does not exist', async () => {
    const { exitCode } = await cli.run(['rollback', 'cli/no-such-secret', '--yes']);
    expect(exitCode).toBe(ExitCode.NotFoundOrDenied);
  });
});
