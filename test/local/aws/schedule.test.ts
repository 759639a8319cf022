import { AwsError } from '../../../local/aws/errors';
import { nextRotationWindow, validateRotationRules } from '../../../local/aws/schedule';

const at = (iso: string): number => Date.parse(iso);
const window = (
  rules: Parameters<typeof nextRotationWindow>[0],
  after: string,
): { start: string; end: string } => {
  const { start, end } = nextRotationWindow(rules, at(after));
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
};

describe('rotation schedules', () => {
  it('AutomaticallyAfterDays and rate(N days) open a window at midnight UTC that lasts the day', () => {
    const expected = { start: '2026-01-31T00:00:00.000Z', end: '2026-02-01T00:00:00.000Z' };
    expect(window({ AutomaticallyAfterDays: 30 }, '2026-01-01T15:00:00Z')).toEqual(expected);
    expect(window({ ScheduleExpression: 'rate(30 days)' }, '2026-01-01T15:00:00Z')).toEqual(
      expected,
    );
  });

  it('Duration shortens the window', () => {
    expect(
      window({ ScheduleExpression: 'rate(1 day)', Duration: '3h' }, '2026-01-01T15:00:00Z'),
    ).toEqual({
      start: '2026-01-02T00:00:00.000Z',
      end: '2026-01-02T03:00:00.000Z',
    });
  });

  it('rate(N hours) windows last one hour by default', () => {
    expect(window({ ScheduleExpression: 'rate(6 hours)' }, '2026-01-01T15:20:00Z')).toEqual({
      start: '2026-01-01T21:00:00.000Z',
      end: '2026-01-01T22:00:00.000Z',
    });
  });

  it('cron() finds the next matching time, by weekday name, month and day of month', () => {
    // 2026-01-01 is a Thursday.
    expect(
      window({ ScheduleExpression: 'cron(0 16 ? * THU *)' }, '2026-01-01T15:00:00Z').start,
    ).toBe('2026-01-01T16:00:00.000Z');
    expect(
      window({ ScheduleExpression: 'cron(0 16 ? * THU *)' }, '2026-01-01T16:00:00Z').start,
    ).toBe('2026-01-08T16:00:00.000Z');
    expect(window({ ScheduleExpression: 'cron(30 2 1 MAR ? *)' }, '2026-01-01T00:00:00Z')).toEqual({
      start: '2026-03-01T02:30:00.000Z',
      end: '2026-03-02T00:00:00.000Z',
    });
    // An hourly cron closes after an hour.
    expect(window({ ScheduleExpression: 'cron(0 */4 * * ? *)' }, '2026-01-01T05:00:00Z')).toEqual({
      start: '2026-01-01T08:00:00.000Z',
      end: '2026-01-01T09:00:00.000Z',
    });
  });

  it('cron() takes the nth weekday (#), the last day (L) and the last weekday (XL) of a month', () => {
    // 2026-12-01 is a Tuesday: its first Monday is the 7th.
    expect(
      window({ ScheduleExpression: 'cron(0 9 ? * MON#1 *)' }, '2026-12-02T00:00:00Z').start,
    ).toBe('2026-12-07T09:00:00.000Z');
    expect(
      window({ ScheduleExpression: 'cron(0 0 ? * SUN#1 *)' }, '2026-12-02T00:00:00Z').start,
    ).toBe('2026-12-06T00:00:00.000Z');
    expect(window({ ScheduleExpression: 'cron(0 17 L * ? *)' }, '2026-02-02T00:00:00Z').start).toBe(
      '2026-02-28T17:00:00.000Z',
    );
    expect(
      window({ ScheduleExpression: 'cron(0 1 ? * FRIL *)' }, '2026-12-02T00:00:00Z').start,
    ).toBe('2026-12-25T01:00:00.000Z');
    expect(() => validateRotationRules({ ScheduleExpression: 'cron(0 9 ? * MON#6 *)' })).toThrow(
      AwsError,
    );
  });

  it.each([
    [{ ScheduleExpression: 'rate(3 hours)' }],
    [{ ScheduleExpression: 'rate(1001 days)' }],
    [{ ScheduleExpression: 'cron(0 8 * * *)' }],
    [{ ScheduleExpression: 'cron(0 25 * * ? *)' }],
    [{ ScheduleExpression: 'cron(0 8 * * * *)' }],
    [{ ScheduleExpression: 'weekly' }],
    [{ AutomaticallyAfterDays: 0 }],
    [{ AutomaticallyAfterDays: 10, ScheduleExpression: 'rate(10 days)' }],
    [{ ScheduleExpression: 'rate(1 day)', Duration: '0h' }],
    [{ ScheduleExpression: 'rate(1 day)', Duration: '2d' }],
    [{}],
  ])('refuses %j with InvalidParameterException', (rules) => {
    let thrown: unknown;
    try {
      validateRotationRules(rules);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AwsError);
    expect((thrown as AwsError).type).toBe('InvalidParameterException');
  });
});
