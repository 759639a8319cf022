/**
 * PutEvents over HTTP, through the unmodified EventBridge SDK client: entry limits and sizes,
 * per-entry failures counted in FailedEntryCount, and authorization per entry with
 * `events:source` as EventBridge documents it.
 */
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { startAwsEmulator, type AwsEmulator } from '../../../local/aws';
import type { PolicyDocument } from '../../../local/aws/authorization';
import { rejection } from './helpers';

let aws: AwsEmulator;
const clients: EventBridgeClient[] = [];
const BUS = (): string => `arn:aws:events:${aws.region}:${aws.accountId}:event-bus/default`;

function policy(condition?: Record<string, unknown>): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: BUS(),
        ...(condition === undefined ? {} : { Condition: condition }),
      },
    ],
  };
}

/** An EventBridge client signed as a new role holding `document` (none: no policy at all). */
function clientAs(name: string, document?: PolicyDocument): EventBridgeClient {
  const role = aws.iam.createRole({
    name,
    assumeRolePolicy: { Version: '2012-10-17', Statement: [] },
  });
  if (document !== undefined) aws.iam.putRolePolicy(role.arn, 'events', document);
  aws.authorizer.invalidate();
  const credentials = aws.iam.issueCredentials(role.arn, name);
  const client = new EventBridgeClient({
    endpoint: aws.url,
    region: aws.region,
    credentials,
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'api-key-rotator',
  DetailType: 'API Key Rotated',
  Detail: JSON.stringify({ rotationId: 'v2', secretArn: 'arn:aws:secretsmanager:x' }),
  Resources: ['arn:aws:secretsmanager:us-east-1:000000000000:secret:s-AbCdEf'],
  ...overrides,
});

beforeAll(async () => {
  aws = await startAwsEmulator();
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await aws.close();
});

describe('PutEvents', () => {
  it('puts the events an allowed caller sends and answers one event id per entry', async () => {
    const client = clientAs('publisher', policy());
    const output = await client.send(
      new PutEventsCommand({ Entries: [entry(), entry({ DetailType: 'API Key Rolled Back' })] }),
    );
    expect(output.FailedEntryCount).toBe(0);
    expect(output.Entries).toHaveLength(2);
    const ids = (output.Entries ?? []).map((e) => e.EventId);
    const received = aws.events.received({ source: 'api-key-rotator' });
    expect(received.map((event) => event.id)).toEqual(ids);
    expect(received[0]).toMatchObject({
      version: '0',
      source: 'api-key-rotator',
      'detail-type': 'API Key Rotated',
      account: aws.accountId,
      region: aws.region,
      resources: ['arn:aws:secretsmanager:us-east-1:000000000000:secret:s-AbCdEf'],
      detail: { rotationId: 'v2' },
    });
  });

  it('fails only the malformed entries, counting them in FailedEntryCount', async () => {
    const client = clientAs('mixed', policy());
    const output = await client.send(
      new PutEventsCommand({
        Entries: [entry(), entry({ Detail: '[1,2]' }), entry({ Detail: undefined })],
      }),
    );
    expect(output.FailedEntryCount).toBe(2);
    expect(output.Entries?.[0].EventId).toEqual(expect.any(String));
    expect(output.Entries?.[1]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(output.Entries?.[2]).toMatchObject({ ErrorCode: 'InvalidArgument' });
  });

  it('refuses more than 10 entries, none, and entries of 256 KB or more in all', async () => {
    const client = clientAs('limits', policy());
    const eleven = Array.from({ length: 11 }, () => entry());
    expect((await rejection(client.send(new PutEventsCommand({ Entries: eleven })))).name).toBe(
      'ValidationException',
    );
    expect((await rejection(client.send(new PutEventsCommand({ Entries: [] })))).name).toBe(
      'ValidationException',
    );
    const big = entry({ Detail: JSON.stringify({ padding: 'x'.repeat(130 * 1024) }) });
    expect((await rejection(client.send(new PutEventsCommand({ Entries: [big, big] })))).name).toBe(
      'ValidationException',
    );
    const before = aws.events.received().length;
    await client.send(new PutEventsCommand({ Entries: [big] }));
    expect(aws.events.received()).toHaveLength(before + 1);
  });

  it('refuses a caller without events:PutEvents', async () => {
    const before = aws.events.received().length;
    const error = await rejection(
      clientAs('nobody').send(new PutEventsCommand({ Entries: [entry()] })),
    );
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain('events:PutEvents');
    expect(aws.events.received()).toHaveLength(before);
  });

  it('fails the entries of another source when the policy names one with events:source', async () => {
    const client = clientAs(
      'scoped',
      policy({ 'ForAllValues:StringEquals': { 'events:source': 'api-key-rotator' } }),
    );
    const output = await client.send(
      new PutEventsCommand({ Entries: [entry(), entry({ Source: 'aws.secretsmanager' })] }),
    );
    expect(output.FailedEntryCount).toBe(1);
    expect(output.Entries?.[1]).toMatchObject({ ErrorCode: 'NotAuthorizedForSourceException' });
    expect(aws.events.received({ source: 'aws.secretsmanager' })).toEqual([]);
    const spoofed = await rejection(
      client.send(new PutEventsCommand({ Entries: [entry({ Source: 'aws.secretsmanager' })] })),
    );
    expect(spoofed.name).toBe('AccessDeniedException');
  });

  it('counts a put event against the rules it matches (TriggeredRules)', async () => {
    const client = clientAs('matched', policy());
    aws.events.putRule({
      name: 'consumer-refresh',
      eventPattern: { source: ['api-key-rotator'], 'detail-type': ['API Key Rotated'] },
    });
    const triggered = (): number =>
      aws.cloudwatch
        .metrics()
        .filter(
          (m) => m.metricName === 'TriggeredRules' && m.dimensions.RuleName === 'consumer-refresh',
        )
        .reduce((sum, m) => sum + m.datapoints, 0);
    const before = triggered();
    const output = await client.send(new PutEventsCommand({ Entries: [entry()] }));
    expect(output.FailedEntryCount).toBe(0);
    expect(triggered()).toBe(before + 1);
    await client.send(new PutEventsCommand({ Entries: [entry({ DetailType: 'Other' })] }));
    expect(triggered()).toBe(before + 1);
  });
});
