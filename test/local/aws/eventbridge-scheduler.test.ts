import { awsErrorOf, thrownBy } from './helpers';
import { Authorizer, type PolicyDocument } from '../../../local/aws/authorization';
import {
  ScheduleService,
  emptySchedulerState,
  type CreateScheduleInput,
  type SchedulerState,
} from '../../../local/aws/eventbridge-scheduler';
import { IamService } from '../../../local/aws/iam';
import { LambdaRunner } from '../../../local/aws/lambda-runner';
import { LambdaService, emptyLambdaState } from '../../../local/aws/lambda-service';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const SCHEDULE_ROLE = `arn:aws:iam::${ACCOUNT}:role/audit-schedule`;
const SCHEDULE_ARN = `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/audit`;
const SCHEDULED = new Date('2026-01-31T12:00:00.000Z');

/** The trust policy the stack gives a schedule role: Scheduler, for this account only. */
function schedulerTrust(service = 'scheduler.amazonaws.com'): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
    ],
  };
}

let runner: LambdaRunner;
let iam: IamService;
let state: SchedulerState;
let scheduler: ScheduleService;
let functionArn: string;
let events: unknown[];

beforeEach(async () => {
  events = [];
  runner = new LambdaRunner({ region: REGION, accountId: ACCOUNT });
  iam = new IamService({ roles: [], accessKeys: [] }, ACCOUNT);
  const authorizer = new Authorizer(iam);
  const lambda = new LambdaService({
    state: emptyLambdaState(),
    region: REGION,
    accountId: ACCOUNT,
    runner,
    iam,
    authorizer,
  });
  iam.createRole({
    name: 'audit-function',
    assumeRolePolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
        },
      ],
    },
  });
  ({ arn: functionArn } = await lambda.createFunction({
    name: 'audit',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/audit-function`,
    handler: (event) => {
      events.push(event);
      return Promise.resolve('audited');
    },
  }));
  iam.createRole({ name: 'audit-schedule', assumeRolePolicy: schedulerTrust() });
  iam.putRolePolicy('audit-schedule', 'invoke', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArn }],
  });
  state = emptySchedulerState();
  scheduler = new ScheduleService({
    state,
    region: REGION,
    accountId: ACCOUNT,
    iam,
    authorizer,
    lambda,
  });
  scheduler.createSchedule(auditSchedule());
});

afterEach(() => runner.close());

function auditSchedule(overrides: Partial<CreateScheduleInput> = {}): CreateScheduleInput {
  return {
    name: 'audit',
    scheduleExpression: 'rate(1 day)',
    state: 'ENABLED',
    flexibleTimeWindow: { mode: 'OFF' },
    target: {
      arn: functionArn,
      roleArn: SCHEDULE_ROLE,
      input: JSON.stringify({
        scheduledTime: '<aws.scheduler.scheduled-time>',
        schedule: '<aws.scheduler.schedule-arn>',
      }),
    },
    ...overrides,
  };
}

describe('CreateSchedule', () => {
  test('names the schedule by group and validates expression, window, target and name', () => {
    expect(scheduler.createSchedule(auditSchedule({ name: 'nightly', groupName: 'ops' }))).toEqual({
      arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/ops/nightly`,
    });
    for (const expression of ['cron(0 3 * * ? *)', 'at(2026-02-01T03:00:00)', 'rate(5 minutes)']) {
      const name = `ok-${scheduler.schedules().length}`;
      expect(() =>
        scheduler.createSchedule(auditSchedule({ name, scheduleExpression: expression })),
      ).not.toThrow();
    }
    const invalid: Partial<CreateScheduleInput>[] = [
      { name: 'bad-1', scheduleExpression: 'every day' },
      { name: 'bad-2', scheduleExpression: 'rate(1 days)' },
      { name: 'bad-3', scheduleExpression: 'cron(0 3 * * ?)' },
      { name: 'bad-4', flexibleTimeWindow: { mode: 'FLEXIBLE' } },
      {
        name: 'bad-5',
        target: { arn: 'arn:aws:sqs:us-east-1:000000000000:queue', roleArn: SCHEDULE_ROLE },
      },
      { name: 'bad name' },
    ];
    for (const overrides of invalid) {
      expect(thrownBy(() => scheduler.createSchedule(auditSchedule(overrides))).type).toBe(
        'ValidationException',
      );
    }
    const conflict = thrownBy(() => scheduler.createSchedule(auditSchedule()));
    expect([conflict.type, conflict.statusCode]).toEqual(['ConflictException', 409]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

describe('a schedule run', () => {
  test('assumes the execution role and invokes the function with the context attributes filled in', async () => {
    await expect(scheduler.runSchedule('audit', SCHEDULED)).resolves.toMatchObject({
      ok: true,
      payload: 'audited',
    });
    expect(events).toEqual([{ scheduledTime: '2026-01-31T12:00:00Z', schedule: SCHEDULE_ARN }]);
    expect(scheduler.runs('audit')).toEqual([
      expect.objectContaining({
        scheduleArn: SCHEDULE_ARN,
        scheduledTime: SCHEDULED.toISOString(),
        outcome: 'succeeded',
      }),
    ]);
  });

  test('is denied when the role does not trust scheduler.amazonaws.com, and records the denial', async () => {
    iam.role(SCHEDULE_ROLE)!.assumeRolePolicy = schedulerTrust('events.amazonaws.com');
    await expect(scheduler.runSchedule('audit', SCHEDULED)).resolves.toMatchObject({
      ok: false,
      errorType: 'AccessDeniedException',
    });
    expect(events).toEqual([]);
    const [run] = scheduler.runs('audit');
    expect(run).toMatchObject({ outcome: 'failed', failedAt: 'assume-role' });
    expect(run.errorMessage).toBe(
      `User: scheduler.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: ${SCHEDULE_ROLE} because no resource-based policy allows the sts:AssumeRole action`,
    );

    iam.role(SCHEDULE_ROLE)!.assumeRolePolicy = schedulerTrust();
    await expect(scheduler.runSchedule('audit', SCHEDULED)).resolves.toMatchObject({ ok: true });
  });

  test('is denied when the trust policy names another account or schedule group', async () => {
    const trustFor = (sourceArn: string): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': ACCOUNT },
            ArnEquals: { 'aws:SourceArn': sourceArn },
          },
        },
      ],
    });
    const group = (name: string): string =>
      `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/${name}`;
    iam.role(SCHEDULE_ROLE)!.assumeRolePolicy = trustFor(group('other'));
    await expect(scheduler.runSchedule('audit', SCHEDULED)).resolves.toMatchObject({ ok: false });
    iam.role(SCHEDULE_ROLE)!.assumeRolePolicy = trustFor(group('default'));
    await expect(scheduler.runSchedule('audit', SCHEDULED)).resolves.toMatchObject({ ok: true });

    iam.role(SCHEDULE_ROLE)!.assumeRolePolicy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': '999999999999' } },
        },
      ],
    };
    await expect(scheduler.runSchedule('audit', SCHEDULED)).resolves.toMatchObject({ ok: false });
  });

  test('is denied when the role may not invoke the function, and records the denial', async () => {
    iam.deleteRolePolicy('audit-schedule', 'invoke');
    await expect(scheduler.runSchedule('audit', SCHEDULED)).resolves.toMatchObject({
      ok: false,
      errorType: 'AccessDeniedException',
    });
    expect(events).toEqual([]);
    const [run] = scheduler.runs('audit');
    expect(run).toMatchObject({ outcome: 'failed', failedAt: 'invoke' });
    expect(run.errorMessage).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/audit-schedule\/[0-9a-f]{16} is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:audit because no identity-based policy allows the lambda:InvokeFunction action$/,
    );

    iam.putRolePolicy('audit-schedule', 'invoke', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArn }],
    });
    await expect(scheduler.runSchedule('audit', SCHEDULED)).resolves.toMatchObject({ ok: true });
    expect(scheduler.runs('audit').map((recorded) => recorded.outcome)).toEqual([
      'failed',
      'succeeded',
    ]);
  });

  test('a disabled or unknown schedule does not run', async () => {
    scheduler.setState('audit', 'DISABLED');
    expect((await awsErrorOf(scheduler.runSchedule('audit', SCHEDULED))).type).toBe(
      'ValidationException',
    );
    expect((await awsErrorOf(scheduler.runSchedule('nope', SCHEDULED))).type).toBe(
      'ResourceNotFoundException',
    );
    expect(events).toEqual([]);
  });
});
