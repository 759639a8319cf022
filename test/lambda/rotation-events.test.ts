/**
 * The events finishSecret puts on the default bus, in the deployed local world: the stack's own
 * function, authorized by the template's policies (events:PutEvents on the default bus, for its
 * own source only). Checked: one `API Key Rotated` per rotation with the fields the README names,
 * none again on a retried finishSecret, the Poelis manual revocation event, no key value in any
 * event, and a publication that fails without failing or wedging the rotation.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { readSecretMetadata, versionIdWithStage } from '../../lambda/aws/secret-metadata';
import {
  ROTATION_EVENT_SOURCE,
  RotationEventType,
  RotationMetric,
} from '../../lambda/shared/contracts';
import { fingerprint } from '../../lambda/shared/fingerprint';
import type { EventEnvelope } from '../../local/aws/events';
import { stagePoelisKey } from '../../local/scenarios';
import { ExitCode } from '../../cli/exit-codes';
import { startCliWorld, type CliWorld } from '../cli/support/cli-world';
import { LeakScanner } from '../support/leak-scanner';

let cli: CliWorld;

// A cold synthesis of the stack (its cache keyed by lib/ and lambda/) takes over a minute.
beforeAll(async () => {
  cli = await startCliWorld();
}, 300_000);

afterAll(async () => {
  await cli?.close();
});

afterEach(() => {
  cli?.world.aws.clearAccessRules();
});

function eventsOf(secretArn: string, detailType: string): EventEnvelope[] {
  return cli.world.aws.events
    .received({ source: ROTATION_EVENT_SOURCE, detailType })
    .filter((event) => event.detail.secretArn === secretArn);
}

async function apiKeyAt(secretArn: string, versionStage: string): Promise<string> {
  const output = await cli.inspector.secrets.send(
    new GetSecretValueCommand({ SecretId: secretArn, VersionStage: versionStage }),
  );
  return (JSON.parse(output.SecretString ?? '{}') as { apiKey: string }).apiKey;
}

async function currentVersionId(secretArn: string): Promise<string | undefined> {
  return versionIdWithStage(
    await readSecretMetadata(cli.inspector.secrets, secretArn),
    'AWSCURRENT',
  );
}

describe('rotation events', () => {
  it('announces a Polytomic rotation once, with versions, fingerprints and the revocation', async () => {
    const secret = await cli.polytomicSecret();
    const oldKey = await apiKeyAt(secret.secretArn, 'AWSCURRENT');
    const oldVersion = await currentVersionId(secret.secretArn);

    const { exitCode } = await cli.run(['rotate', secret.secretArn, '--wait']);
    expect(exitCode).toBe(ExitCode.Ok);

    const newKey = await apiKeyAt(secret.secretArn, 'AWSCURRENT');
    const newVersion = await currentVersionId(secret.secretArn);
    const events = eventsOf(secret.secretArn, RotationEventType.KeyRotated);
    expect(events).toHaveLength(1);
    expect(events[0].resources).toEqual([secret.secretArn]);
    expect(events[0].detail).toEqual({
      rotationId: newVersion,
      secretArn: secret.secretArn,
      secretName: secret.name,
      provider: 'polytomic',
      newVersionId: newVersion,
      previousVersionId: oldVersion,
      newKey: { fingerprint: fingerprint(newKey) },
      previousKey: { fingerprint: fingerprint(oldKey) },
      revokePolicy: 'on-finish',
      revocation: 'revoked',
    });
    // The old key really is dead, as the event says.
    const ledger = cli.world.polytomic.ledger();
    expect(ledger.find((entry) => entry.fingerprint === fingerprint(oldKey))?.status).toBe(
      'revoked',
    );

    // A retried finishSecret (AWSCURRENT already on the token) announces nothing again.
    const retried = await cli.world.aws.lambda
      .secretsManagerInvoker()
      .invoke(cli.rotationFunctionArn, {
        Step: 'finishSecret',
        SecretId: secret.secretArn,
        ClientRequestToken: newVersion,
      });
    expect(retried.ok).toBe(true);
    expect(eventsOf(secret.secretArn, RotationEventType.KeyRotated)).toHaveLength(1);

    cli.scanner.add('event', JSON.stringify(cli.world.aws.events.received()));
    cli.scanner.expectClean();
    // The scan is live: a key planted in an event is caught, by fingerprint.
    const planted = new LeakScanner([cli.world.polytomic]);
    planted.add('event', JSON.stringify({ ...events[0], detail: { apiKey: newKey } }));
    expect(planted.leaks()).toEqual([{ channel: 'event', fingerprint: fingerprint(newKey) }]);
  });

  it('announces a Poelis rotation and, separately, the manual revocation it needs', async () => {
    const secret = await cli.poelisSecret();
    const oldKey = await apiKeyAt(secret.secretArn, 'AWSCURRENT');
    await stagePoelisKey(cli.world, cli.admin, secret, `${secret.name} #2`);

    const { exitCode } = await cli.run(['rotate', secret.secretArn, '--wait']);
    expect(exitCode).toBe(ExitCode.Ok);

    const newVersion = await currentVersionId(secret.secretArn);
    const [rotated, ...more] = eventsOf(secret.secretArn, RotationEventType.KeyRotated);
    expect(more).toEqual([]);
    expect(rotated.detail).toMatchObject({
      rotationId: newVersion,
      provider: 'poelis',
      newKey: { keyName: `${secret.name} #2` },
      previousKey: { fingerprint: fingerprint(oldKey), keyName: `${secret.name} #1` },
      revocation: 'manual-at-vendor',
    });
    const manual = eventsOf(secret.secretArn, RotationEventType.ManualRevocationRequired);
    expect(manual.map((event) => event.detail)).toEqual([
      {
        rotationId: newVersion,
        secretArn: secret.secretArn,
        secretName: secret.name,
        provider: 'poelis',
        key: { fingerprint: fingerprint(oldKey), keyName: `${secret.name} #1` },
        revokeIn: expect.stringContaining('Poelis web app') as unknown,
      },
    ]);
    cli.scanner.add('event', JSON.stringify(cli.world.aws.events.received()));
    cli.scanner.expectClean();
  });

  it('finishes the rotation when the event cannot be published, and counts the failure', async () => {
    const secret = await cli.polytomicSecret();
    const before = cli.world.aws.logs.lines(cli.rotationLogGroup).length;
    cli.world.aws.denyAccess({ action: 'events:PutEvents' });

    const { exitCode } = await cli.run(['rotate', secret.secretArn, '--wait']);

    expect(exitCode).toBe(ExitCode.Ok);
    expect(eventsOf(secret.secretArn, RotationEventType.KeyRotated)).toEqual([]);
    const lines = cli.world.aws.logs.lines(cli.rotationLogGroup).slice(before).join('\n');
    expect(lines).toContain(RotationMetric.EventPublishFailed);
    expect(lines).toContain('event could not be published');
    // Nothing wedged: the next rotation runs and is announced.
    cli.world.aws.clearAccessRules();
    expect((await cli.run(['rotate', secret.secretArn, '--wait'])).exitCode).toBe(ExitCode.Ok);
    expect(eventsOf(secret.secretArn, RotationEventType.KeyRotated)).toHaveLength(1);
  });

  it("lets the function's role put only the rotator's own events, and the audit's role none", async () => {
    const entry = (source: string): { Source: string; DetailType: string; Detail: string } => ({
      Source: source,
      DetailType: RotationEventType.KeyRotated,
      Detail: '{}',
    });
    const rotation = cli.clientsAs(cli.stack.rotationRoleArn, 'events-test').events;
    const own = await rotation.send(
      new PutEventsCommand({
        Entries: [entry(ROTATION_EVENT_SOURCE), entry('aws.secretsmanager')],
      }),
    );
    expect(own.FailedEntryCount).toBe(1);
    expect(own.Entries?.[1].ErrorCode).toBe('NotAuthorizedForSourceException');
    const audit = cli.clientsAs(cli.stack.auditRoleArn, 'events-test').events;
    await expect(
      audit.send(new PutEventsCommand({ Entries: [entry(ROTATION_EVENT_SOURCE)] })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
