/**
 * EventBridge Scheduler for the local world: schedules whose target is a Lambda function. A run
 * does what Scheduler does: it assumes the schedule's execution role as scheduler.amazonaws.com
 * (the role's trust policy decides), then invokes the target as that role session, so the role's
 * identity policies must allow `lambda:InvokeFunction`. Runs are triggered by the caller
 * (`runSchedule`); nothing here keeps time.
 */
import { randomBytes } from 'node:crypto';
import { parseCronExpression, parseSchedulerRate } from '../../lambda/shared/contracts';
import { AwsError, validationError } from './errors';
import { roleSession, type Authorizer, type Principal } from './authorization';
import type { IamService } from './iam';
import type { LambdaService } from './lambda-service';
import type { InvokeResult } from './types';

export interface FlexibleTimeWindow {
  mode: 'OFF' | 'FLEXIBLE';
  maximumWindowInMinutes?: number;
}

export interface ScheduleRetryPolicy {
  maximumEventAgeInSeconds?: number;
  maximumRetryAttempts?: number;
}

export interface ScheduleTarget {
  /** The Lambda function's ARN (the only target kind the emulator runs). */
  arn: string;
  /** The execution role EventBridge Scheduler assumes to invoke the target. */
  roleArn: string;
  /** The event, with context attributes such as `<aws.scheduler.scheduled-time>` in it. */
  input?: string;
  retryPolicy?: ScheduleRetryPolicy;
}

export interface ScheduleState {
  arn: string;
  name: string;
  groupName: string;
  scheduleExpression: string;
  scheduleExpressionTimezone?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  flexibleTimeWindow: FlexibleTimeWindow;
  target: ScheduleTarget;
  creationDate: string;
}

/** One run of a schedule, kept for tests and the world's views. */
export interface ScheduleRun {
  scheduleArn: string;
  scheduledTime: string;
  executionId: string;
  outcome: 'succeeded' | 'failed';
  /** Where a failed run stopped: assuming the role, invoking the target, or in the function. */
  failedAt?: 'assume-role' | 'invoke' | 'function';
  errorType?: string;
  errorMessage?: string;
  durationMs: number;
}

export interface SchedulerState {
  schedules: ScheduleState[];
  runs: ScheduleRun[];
}

export function emptySchedulerState(): SchedulerState {
  return { schedules: [], runs: [] };
}

export interface CreateScheduleInput {
  name: string;
  /** Default `default`. */
  groupName?: string;
  scheduleExpression: string;
  scheduleExpressionTimezone?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  flexibleTimeWindow: FlexibleTimeWindow;
  target: ScheduleTarget;
}

export interface ScheduleServiceOptions {
  state: SchedulerState;
  region: string;
  accountId: string;
  iam: IamService;
  authorizer: Authorizer;
  lambda: LambdaService;
  /** Default the system clock. */
  now?: () => number;
  /** Runs kept per schedule, oldest dropped first. Default 100. */
  maxRunsPerSchedule?: number;
}

const SCHEDULER: Principal = { kind: 'service', service: 'scheduler.amazonaws.com' };
const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const LAMBDA_ARN = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]+(:\$LATEST)?$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[0-9a-zA-Z-_/+=,.@]+$/;

/** EventBridge Scheduler user guide "Schedule types on EventBridge Scheduler". */
const AT = /^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/;

export class ScheduleService {
  private readonly state: SchedulerState;
  private readonly region: string;
  private readonly accountId: string;
  private readonly iam: IamService;
  private readonly authorizer: Authorizer;
  private readonly lambda: LambdaService;
  private readonly now: () => number;
  private readonly maxRuns: number;

  constructor(options: ScheduleServiceOptions) {
    this.state = options.state;
    this.region = options.region;
    this.accountId = options.accountId;
    this.iam = options.iam;
    this.authorizer = options.authorizer;
    this.lambda = options.lambda;
    this.now = options.now ?? Date.now;
    this.maxRuns = options.maxRunsPerSchedule ?? 100;
  }

  /** CreateSchedule for a Lambda target. */
  createSchedule(input: CreateScheduleInput): { arn: string } {
    const groupName = input.groupName ?? 'default';
    if (!NAME.test(input.name)) {
      throw validationError(
        'name',
        input.name,
        'Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$',
      );
    }
    if (!NAME.test(groupName)) {
      throw validationError(
        'groupName',
        groupName,
        'Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$',
      );
    }
    assertScheduleExpression(input.scheduleExpression);
    if (input.state !== 'ENABLED' && input.state !== 'DISABLED') {
      throw validationError(
        'state',
        String(input.state),
        'Member must satisfy enum value set: [ENABLED, DISABLED]',
      );
    }
    assertTimeWindow(input.flexibleTimeWindow);
    assertTarget(input.target);
    const arn = this.scheduleArn(groupName, input.name);
    if (this.state.schedules.some((schedule) => schedule.arn === arn)) {
      throw new AwsError('ConflictException', `Schedule ${input.name} already exists.`, 409);
    }
    this.state.schedules.push({
      arn,
      name: input.name,
      groupName,
      scheduleExpression: input.scheduleExpression,
      ...(input.scheduleExpressionTimezone === undefined
        ? {}
        : { scheduleExpressionTimezone: input.scheduleExpressionTimezone }),
      state: input.state,
      ...(input.description === undefined ? {} : { description: input.description }),
      flexibleTimeWindow: { ...input.flexibleTimeWindow },
      target: structuredClone(input.target),
      creationDate: new Date(this.now()).toISOString(),
    });
    return { arn };
  }

  /** GetSchedule. */
  getSchedule(name: string, groupName = 'default'): ScheduleState {
    return structuredClone(this.required(name, groupName));
  }

  /** UpdateSchedule's state switch: ENABLED or DISABLED. */
  setState(name: string, state: 'ENABLED' | 'DISABLED', groupName = 'default'): void {
    this.required(name, groupName).state = state;
  }

  /** DeleteSchedule. */
  deleteSchedule(name: string, groupName = 'default'): void {
    const schedule = this.required(name, groupName);
    this.state.schedules = this.state.schedules.filter((candidate) => candidate !== schedule);
  }

  schedules(): ScheduleState[] {
    return structuredClone(this.state.schedules);
  }

  /**
   * Runs the schedule once for `scheduledTime`, as Scheduler would when it comes due: assumes the
   * execution role as scheduler.amazonaws.com, then invokes the Lambda target as that role's
   * session with the context attributes filled in. Resolves with the outcome, never rejects for a
   * denial or a function error; each run is recorded (`runs`).
   */
  async runSchedule(
    name: string,
    scheduledTime: Date,
    groupName = 'default',
  ): Promise<InvokeResult> {
    const schedule = this.required(name, groupName);
    if (schedule.state !== 'ENABLED') {
      throw new AwsError('ValidationException', `Schedule ${name} is DISABLED and does not run.`);
    }
    const executionId = randomBytes(8).toString('hex');
    const started = this.now();
    const run = (
      outcome: Omit<ScheduleRun, 'scheduleArn' | 'scheduledTime' | 'executionId' | 'durationMs'>,
    ): void => {
      this.record({
        scheduleArn: schedule.arn,
        scheduledTime: scheduledTime.toISOString(),
        executionId,
        durationMs: this.now() - started,
        ...outcome,
      });
    };

    // EventBridge Scheduler user guide "Setting up Amazon EventBridge Scheduler" (execution
    // role) and "Confused deputy prevention in EventBridge Scheduler": the trust policy may
    // require aws:SourceAccount, and aws:SourceArn is the schedule group's ARN.
    const session = executionId;
    try {
      await this.iam.assumeRole(this.authorizer, SCHEDULER, schedule.target.roleArn, session, {
        'aws:SourceAccount': this.accountId,
        'aws:SourceArn': this.groupArn(schedule.groupName),
      });
    } catch (error) {
      const failure = describe(error);
      run({ outcome: 'failed', failedAt: 'assume-role', ...failure });
      return { ok: false, durationMs: 0, ...failure };
    }

    const event = targetEvent(schedule, scheduledTime, executionId);
    let result: InvokeResult;
    try {
      // Scheduler invokes a Lambda target asynchronously, as the execution role's session.
      result = await this.lambda.invokeEvent(schedule.target.arn, event, {
        principal: roleSession(schedule.target.roleArn, session),
      });
    } catch (error) {
      const failure = describe(error);
      run({ outcome: 'failed', failedAt: 'invoke', ...failure });
      return { ok: false, durationMs: 0, ...failure };
    }
    if (result.ok) run({ outcome: 'succeeded' });
    else {
      run({
        outcome: 'failed',
        failedAt: 'function',
        ...(result.errorType === undefined ? {} : { errorType: result.errorType }),
        ...(result.errorMessage === undefined ? {} : { errorMessage: result.errorMessage }),
      });
    }
    return result;
  }

  /** The recorded runs of a schedule, oldest first. */
  runs(name: string, groupName = 'default'): ScheduleRun[] {
    const arn = this.scheduleArn(groupName, name);
    return this.state.runs.filter((run) => run.scheduleArn === arn).map((run) => ({ ...run }));
  }

  private record(run: ScheduleRun): void {
    this.state.runs.push(run);
    const own = this.state.runs.filter((candidate) => candidate.scheduleArn === run.scheduleArn);
    if (own.length > this.maxRuns) {
      const oldest = own[0];
      this.state.runs.splice(this.state.runs.indexOf(oldest), 1);
    }
  }

  private required(name: string, groupName: string): ScheduleState {
    const schedule = this.state.schedules.find(
      (candidate) => candidate.name === name && candidate.groupName === groupName,
    );
    if (!schedule) {
      throw new AwsError('ResourceNotFoundException', `Schedule ${name} does not exist.`, 404);
    }
    return schedule;
  }

  private scheduleArn(groupName: string, name: string): string {
    return `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${groupName}/${name}`;
  }

  private groupArn(groupName: string): string {
    return `arn:aws:scheduler:${this.region}:${this.accountId}:schedule-group/${groupName}`;
  }
}

/**
 * The target's event: its Input with the context attributes replaced (EventBridge Scheduler user
 * guide "Adding context attributes in EventBridge Scheduler"), parsed as JSON; `{}` without one.
 */
function targetEvent(schedule: ScheduleState, scheduledTime: Date, executionId: string): unknown {
  if (schedule.target.input === undefined) return {};
  const input = schedule.target.input
    .replaceAll(
      '<aws.scheduler.scheduled-time>',
      scheduledTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    )
    .replaceAll('<aws.scheduler.schedule-arn>', schedule.arn)
    .replaceAll('<aws.scheduler.execution-id>', executionId)
    .replaceAll('<aws.scheduler.attempt-number>', '1');
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

function describe(error: unknown): { errorType: string; errorMessage: string } {
  if (error instanceof AwsError) return { errorType: error.type, errorMessage: error.message };
  const failure = error instanceof Error ? error : new Error(String(error));
  return { errorType: failure.name, errorMessage: failure.message };
}

/** rate(value unit), cron(six fields) or at(yyyy-mm-ddThh:mm:ss). */
function assertScheduleExpression(expression: string): void {
  const valid =
    parseSchedulerRate(expression) !== undefined ||
    parseCronExpression(expression) !== undefined ||
    AT.test(expression);
  if (!valid) {
    throw new AwsError('ValidationException', `Invalid Schedule Expression ${expression}.`);
  }
}

function assertTimeWindow(window: FlexibleTimeWindow): void {
  if (window.mode === 'OFF') return;
  const minutes = window.maximumWindowInMinutes;
  if (window.mode !== 'FLEXIBLE' || minutes === undefined || minutes < 1 || minutes > 1440) {
    throw new AwsError(
      'ValidationException',
      'FlexibleTimeWindow needs Mode OFF, or Mode FLEXIBLE with MaximumWindowInMinutes from 1 to 1440.',
    );
  }
}

function assertTarget(target: ScheduleTarget): void {
  if (!LAMBDA_ARN.test(target.arn)) {
    throw new AwsError(
      'ValidationException',
      `The emulator's Scheduler runs Lambda function targets only, not ${target.arn}.`,
    );
  }
  if (!ROLE_ARN.test(target.roleArn)) {
    throw validationError(
      'target.roleArn',
      target.roleArn,
      'Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@\\/-]+$',
    );
  }
  const retry = target.retryPolicy;
  if (
    retry?.maximumRetryAttempts !== undefined &&
    (retry.maximumRetryAttempts < 0 || retry.maximumRetryAttempts > 185)
  ) {
    throw validationError(
      'target.retryPolicy.maximumRetryAttempts',
      retry.maximumRetryAttempts,
      'Member must have value between 0 and 185',
    );
  }
  if (
    retry?.maximumEventAgeInSeconds !== undefined &&
    (retry.maximumEventAgeInSeconds < 60 || retry.maximumEventAgeInSeconds > 86400)
  ) {
    throw validationError(
      'target.retryPolicy.maximumEventAgeInSeconds',
      retry.maximumEventAgeInSeconds,
      'Member must have value between 60 and 86400',
    );
  }
}
