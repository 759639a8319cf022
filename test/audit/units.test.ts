/** The audit's small pure pieces: event parsing, notification slots, windows, config, pacing. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { rotationWindowMs } from '../../lambda/audit/checks';
import { readAuditConfig } from '../../lambda/audit/config';
import { InvalidAuditEventError, parseAuditEvent, toEventPayload } from '../../lambda/audit/event';
import { isNotifyingRun } from '../../lambda/audit/notification-policy';
import { OriginGatedHttpClient } from '../../lambda/audit/origin-gated-http-client';
import { runInOrder } from '../../lambda/audit/work-pool';
import { ConfigurationError } from '../../lambda/rotation/config';
import { FunctionEnv } from '../../lambda/shared/contracts';

const HOUR_MS = 3_600_000;
const MIDNIGHT = Date.parse('2026-11-23T00:00:00Z');

describe('parseAuditEvent', () => {
  it('reads the schedule input, an on-demand run and an SNS continuation', () => {
    expect(parseAuditEvent({ scheduledTime: '2026-11-23T06:00:00Z' })).toEqual({
      scheduledTime: MIDNIGHT + 6 * HOUR_MS,
      hop: 0,
    });
    expect(parseAuditEvent({})).toEqual({ hop: 0 });
    expect(parseAuditEvent(undefined)).toEqual({ hop: 0 });
    const continuation = { cursor: { pageToken: 'page-2', offset: 17 }, hop: 2 };
    expect(
      parseAuditEvent({ Records: [{ Sns: { Message: JSON.stringify(continuation) } }] }),
    ).toEqual(continuation);
  });

  it('round-trips what a run posts to continue', () => {
    const request = { scheduledTime: MIDNIGHT, cursor: { offset: 3 }, hop: 1 };
    expect(parseAuditEvent(toEventPayload(request))).toEqual(request);
  });

  it.each([
    [[1, 2], 'the event is not an object'],
    [{ scheduledTime: 'yesterday' }, '"scheduledTime" must be an ISO 8601 time'],
    [{ cursor: { offset: -1 } }, '"cursor.offset" must be a whole number'],
    [{ cursor: { pageToken: '', offset: 0 } }, '"cursor.pageToken" must be a non-empty string'],
    [{ hop: 1.5 }, '"hop" must be a whole number'],
    [{ Records: [{ Sns: { Message: 'not json' } }] }, 'the SNS message is not a JSON object'],
    [{ Records: [] }, 'an SNS event must carry one record with a Message'],
  ])('refuses %j', (event, problem) => {
    expect(() => parseAuditEvent(event)).toThrow(InvalidAuditEventError);
    expect(() => parseAuditEvent(event)).toThrow(`Invalid audit event: ${problem}.`);
  });
});

describe('isNotifyingRun', () => {
  it('notifies from every scheduled run of a daily schedule, never from an on-demand run', () => {
    const daily = 24 * HOUR_MS;
    expect(isNotifyingRun(MIDNIGHT + 6 * HOUR_MS, daily)).toBe(true);
    expect(isNotifyingRun(MIDNIGHT + 23 * HOUR_MS, daily)).toBe(true);
    expect(isNotifyingRun(undefined, daily)).toBe(false);
  });

  it('notifies only from the first run of the day of a more frequent schedule', () => {
    expect(isNotifyingRun(MIDNIGHT + 5 * 60_000, HOUR_MS)).toBe(true);
    expect(isNotifyingRun(MIDNIGHT + HOUR_MS, HOUR_MS)).toBe(false);
    expect(isNotifyingRun(MIDNIGHT + 13 * HOUR_MS + 5 * 60_000, HOUR_MS)).toBe(false);
    expect(isNotifyingRun(MIDNIGHT + 24 * HOUR_MS + 5 * 60_000, HOUR_MS)).toBe(true);
  });
});

describe('rotationWindowMs', () => {
  it.each([
    [{ ScheduleExpression: 'rate(30 days)', Duration: '3h' }, 3 * HOUR_MS],
    [{ ScheduleExpression: 'rate(30 days)' }, 24 * HOUR_MS],
    [{ AutomaticallyAfterDays: 30 }, 24 * HOUR_MS],
    [{ ScheduleExpression: 'rate(8 hours)' }, HOUR_MS],
    [{ ScheduleExpression: 'cron(0 4 1 * ? *)' }, 24 * HOUR_MS],
    [{ ScheduleExpression: 'cron(0 */6 * * ? *)' }, HOUR_MS],
    [undefined, 24 * HOUR_MS],
  ])('%j → %d ms', (rules, expected) => {
    expect(rotationWindowMs(rules)).toBe(expected);
  });
});

describe('readAuditConfig', () => {
  it('has defaults for a daily audit and reads the rotator settings it shares', () => {
    const config = readAuditConfig({
      [FunctionEnv.ExpectedKmsKeyArn]:
        ' arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab ',
    });
    expect(config).toMatchObject({
      expectedKmsKeyArn:
        'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      continuationTopicArn: undefined,
      scheduleIntervalMs: 24 * HOUR_MS,
      concurrency: 4,
      vendorConcurrency: 1,
      overdueGraceMs: 24 * HOUR_MS,
    });
    expect(config.rotator.originPolicy.allowLoopbackHttp).toBe(false);
  });

  it('does not read the partner key, which only issuing a key needs', () => {
    const config = readAuditConfig({ [FunctionEnv.PartnerKeySecretId]: 'polytomic/partner' });
    expect(config.rotator).not.toHaveProperty('defaultPartnerKeySecretId');
    expect(JSON.stringify(config)).not.toContain('polytomic/partner');
  });

  it('names the variable that has an unusable value', () => {
    expect(() => readAuditConfig({ [FunctionEnv.AuditConcurrency]: '0' })).toThrow(
      ConfigurationError,
    );
    expect(() => readAuditConfig({ [FunctionEnv.AuditIntervalMinutes]: 'daily' })).toThrow(
      `Environment variable ${FunctionEnv.AuditIntervalMinutes} must be a whole number from 1 to 527040.`,
    );
  });

  it('reads the secret name prefixes the audit lists, and refuses a prefix without its slash', () => {
    const variable = FunctionEnv.AuditSecretNamePrefixes;
    expect(readAuditConfig({}).secretNamePrefixes).toBeUndefined();
    expect(readAuditConfig({ [variable]: 'prod/,payments/keys/' }).secretNamePrefixes).toEqual([
      'prod/',
      'payments/keys/',
    ]);
    for (const bad of [
      'prod',
      'prod/,',
      '*/',
      Array.from({ length: 11 }, (_, i) => `p${i}/`).join(','),
    ]) {
      expect(() => readAuditConfig({ [variable]: bad })).toThrow(
        new RegExp(`^Environment variable ${variable} must be 1 to 10 secret name prefixes`),
      );
    }
  });
});

describe('runInOrder', () => {
  it('starts a prefix of the items, at most `concurrency` at once, until told to stop', async () => {
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const count = await runInOrder(
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      3,
      () => started.length < 7,
      async (item) => {
        started.push(item);
        peak = Math.max(peak, ++running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      },
    );
    expect(count).toBe(7);
    expect(started.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(3);
  });
});

describe('OriginGatedHttpClient', () => {
  const servers: Server[] = [];
  let dispatcher: Agent;

  /** A server that answers after a short pause and records its peak concurrency. */
  async function slowServer(): Promise<{ url: string; peak: () => number }> {
    let running = 0;
    let peak = 0;
    const server = createServer((_request, response) => {
      peak = Math.max(peak, ++running);
      setTimeout(() => {
        running -= 1;
        response.end('{}');
      }, 20);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      peak: () => peak,
    };
  }

  beforeAll(() => {
    dispatcher = new Agent();
  });

  afterAll(async () => {
    await dispatcher.close();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('keeps at most `perOrigin` requests in flight per origin, origins independent', async () => {
    const [a, b] = await Promise.all([slowServer(), slowServer()]);
    const client = new OriginGatedHttpClient(
      { policy: { allowedOrigins: [a.url, b.url], allowLoopbackHttp: true }, dispatcher },
      2,
    );
    const deadline = Date.now() + 10_000;
    const responses = await Promise.all(
      [a, a, a, a, a, b, b, b].map((server) =>
        client.request({ method: 'GET', url: new URL('/v1', server.url), deadline }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
    expect(a.peak()).toBe(2);
    expect(b.peak()).toBe(2);
  });
});
