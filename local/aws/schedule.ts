import { parseRateExpression } from '../../lambda/shared/contracts';
import { AwsError } from './errors';
import { DAY_MS, HOUR_MS, startOfUtcDay } from './time';

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  ScheduleExpression?: string;
  Duration?: string;
}

/** A rotation window: Secrets Manager rotates at some time in [start, end). */
export interface RotationWindow {
  start: number;
  end: number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

type Schedule =
  | { kind: 'rate'; unit: 'hours' | 'days'; amount: number }
  | { kind: 'cron'; fields: CronFields; inHours: boolean };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth?: DayMatcher;
  months: Set<number>;
  daysOfWeek?: DayMatcher;
  years?: Set<number>;
}

/** Whether a UTC day matches a day-of-month or day-of-week field. */
type DayMatcher = (day: Date) => boolean;

function daysInMonth(day: Date): number {
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();
}

/** Day-of-month: the list syntax, or `L` (the month's last day). */
function parseDayOfMonth(text: string): DayMatcher {
  if (text === 'L') return (day) => day.getUTCDate() === daysInMonth(day);
  const days = parseCronField(text, 1, 31);
  return (day) => days.has(day.getUTCDate());
}

/**
 * Day-of-week (1 = SUN): the list syntax, `X#n` (the nth weekday X of the month, e.g. `MON#1`),
 * `XL` (the month's last weekday X) or `L` (the last day of the week, Saturday), as "Schedule
 * expressions in Secrets Manager rotation" lists them.
 */
function parseDayOfWeek(text: string): DayMatcher {
  const weekday = (token: string): number => [...parseCronField(token, 1, 7, WEEKDAYS, 1)][0];
  const nth = /^([A-Za-z]{3}|\d)#([1-5])$/.exec(text);
  if (nth) {
    const [wanted, n] = [weekday(nth[1]), Number(nth[2])];
    return (day) => day.getUTCDay() + 1 === wanted && Math.ceil(day.getUTCDate() / 7) === n;
  }
  if (text === 'L') return (day) => day.getUTCDay() + 1 === 7;
  const last = /^([A-Za-z]{3}|\d)L$/.exec(text);
  if (last) {
    const wanted = weekday(last[1]);
    return (day) => day.getUTCDay() + 1 === wanted && day.getUTCDate() + 7 > daysInMonth(day);
  }
  const days = parseCronField(text, 1, 7, WEEKDAYS, 1);
  return (day) => days.has(day.getUTCDay() + 1);
}

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

function parseRate(expression: string): Schedule {
  const rate = parseRateExpression(expression, { tolerateBlanks: true });
  if (rate === undefined || rate.unit === 'minute') {
    throw invalid(`Invalid rate expression: ${expression}`);
  }
  const { amount } = rate;
  const unit = rate.unit === 'hour' ? 'hours' : 'days';
  const hours = unit === 'hours' ? amount : amount * 24;
  if (hours < 4) throw invalid('The rotation interval must be at least 4 hours.');
  if (hours > 1000 * 24) throw invalid('The rotation interval must be at most 1000 days.');
  return { kind: 'rate', unit, amount };
}

/** One cron field: `*`, numbers or names, ranges `a-b`, steps `x/n`, lists `a,b`. */
function parseCronField(
  text: string,
  min: number,
  max: number,
  names: string[] = [],
  nameBase = 0,
): Set<number> {
  const values = new Set<number>();
  const toNumber = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const value = named >= 0 ? named + nameBase : Number(token);
    if (!Number.isInteger(value) || value < min || value > max)
      throw invalid(`Invalid cron field value: ${token}`);
    return value;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw invalid(`Invalid cron step: ${part}`);
    let from: number;
    let to: number;
    if (range === '*') {
      [from, to] = [min, max];
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [from, to] = [toNumber(a), toNumber(b)];
    } else {
      from = toNumber(range);
      to = stepText === undefined ? from : max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

function parseCron(body: string): Schedule {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6)
    throw invalid(`Invalid cron expression: cron(${body}). It must have six fields.`);
  const [minutes, hours, dom, month, dow, year] = parts;
  if ((dom === '?') === (dow === '?')) {
    throw invalid(
      `Invalid cron expression: cron(${body}). Use ? in exactly one of day-of-month and day-of-week.`,
    );
  }
  const fields: CronFields = {
    minutes: parseCronField(minutes, 0, 59),
    hours: parseCronField(hours, 0, 23),
    daysOfMonth: dom === '?' ? undefined : parseDayOfMonth(dom),
    months: parseCronField(month, 1, 12, MONTHS, 1),
    daysOfWeek: dow === '?' ? undefined : parseDayOfWeek(dow),
    years: year === '*' ? undefined : parseCronField(year, 1970, 2199),
  };
  return { kind: 'cron', fields, inHours: fields.hours.size > 1 };
}

function parseSchedule(rules: RotationRules): Schedule {
  if (rules.ScheduleExpression !== undefined) {
    const expression = rules.ScheduleExpression.trim();
    const match = /^(rate|cron)\((.*)\)$/.exec(expression);
    if (!match) throw invalid(`Invalid ScheduleExpression: ${rules.ScheduleExpression}`);
    return match[1] === 'rate' ? parseRate(expression) : parseCron(match[2]);
  }
  if (rules.AutomaticallyAfterDays !== undefined) {
    return { kind: 'rate', unit: 'days', amount: rules.AutomaticallyAfterDays };
  }
  throw invalid('RotationRules must contain AutomaticallyAfterDays or ScheduleExpression.');
}

function parseDuration(duration: string | undefined): number | undefined {
  if (duration === undefined) return undefined;
  const match = /^(\d+)h$/.exec(duration);
  const hours = match ? Number(match[1]) : NaN;
  if (!(hours >= 1 && hours <= 24)) throw invalid(`Invalid Duration: ${duration}. Use 1h to 24h.`);
  return hours * HOUR_MS;
}

/** Checks rules as RotateSecret does; throws InvalidParameterException when they are unusable. */
export function validateRotationRules(rules: RotationRules): void {
  if (rules.AutomaticallyAfterDays !== undefined && rules.ScheduleExpression !== undefined) {
    throw invalid(
      'You can specify either AutomaticallyAfterDays or ScheduleExpression in RotationRules, not both.',
    );
  }
  if (
    rules.AutomaticallyAfterDays !== undefined &&
    (rules.AutomaticallyAfterDays < 1 || rules.AutomaticallyAfterDays > 1000)
  ) {
    throw invalid('RotationRules.AutomaticallyAfterDays must be within 1-1000.');
  }
  parseSchedule(rules);
  parseDuration(rules.Duration);
}

function cronMatchesDay(fields: CronFields, day: Date): boolean {
  return (
    (fields.years === undefined || fields.years.has(day.getUTCFullYear())) &&
    fields.months.has(day.getUTCMonth() + 1) &&
    (fields.daysOfMonth === undefined || fields.daysOfMonth(day)) &&
    (fields.daysOfWeek === undefined || fields.daysOfWeek(day))
  );
}

/** The first minute strictly after `after` that the cron fields match. */
function nextCronTime(fields: CronFields, after: number): number {
  const hours = [...fields.hours].sort((a, b) => a - b);
  const minutes = [...fields.minutes].sort((a, b) => a - b);
  for (let day = startOfUtcDay(after), checked = 0; checked < 366 * 5; day += DAY_MS, checked++) {
    if (!cronMatchesDay(fields, new Date(day))) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        const candidate = day + hour * HOUR_MS + minute * 60_000;
        if (candidate > after) return candidate;
      }
    }
  }
  throw invalid('The ScheduleExpression never matches in the next five years.');
}

/** The next rotation window after `after` (the last rotation, or when rotation was set up). */
export function nextRotationWindow(rules: RotationRules, after: number): RotationWindow {
  const schedule = parseSchedule(rules);
  const duration = parseDuration(rules.Duration);
  let start: number;
  let hourly: boolean;
  if (schedule.kind === 'rate' && schedule.unit === 'days') {
    start = startOfUtcDay(after + schedule.amount * DAY_MS);
    hourly = false;
  } else if (schedule.kind === 'rate') {
    start = Math.floor((after + schedule.amount * HOUR_MS) / HOUR_MS) * HOUR_MS;
    hourly = true;
  } else {
    start = nextCronTime(schedule.fields, after);
    hourly = schedule.inHours;
  }
  const endOfDay = startOfUtcDay(start) + DAY_MS;
  const end = Math.min(endOfDay, start + (duration ?? (hourly ? HOUR_MS : endOfDay - start)));
  return { start, end };
}
