import { LogsService, RETENTION_DAYS } from '../../../local/aws/logs';
import { ManualClock } from '../../../local/aws/types';

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';
const DAY = 24 * 60 * 60 * 1000;

function setup(maxLinesPerGroup?: number): { logs: LogsService; clock: ManualClock } {
  const clock = new ManualClock(Date.UTC(2025, 0, 6, 12, 0, 0));
  return {
    logs: new LogsService({ region: REGION, accountId: ACCOUNT, clock, maxLinesPerGroup }),
    clock,
  };
}

/** What a call throws, for matching an AwsError's `type`. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('CloudWatch Logs log groups', () => {
  it('creates a group whose ARN ends with :* as Fn::GetAtt Arn returns it', () => {
    const { logs } = setup();
    const name = 'ApiKeyRotator-RotationFunctionLogs331190BF-AbCdEf123456';
    expect(logs.createLogGroup({ logGroupName: name, retentionInDays: 90 })).toEqual({
      name,
      arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`,
    });
    expect(logs.logGroups()).toEqual([
      { name, arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`, retentionInDays: 90 },
    ]);
  });

  it('generates a name when none is given', () => {
    const { logs } = setup();
    const { name, arn } = logs.createLogGroup({});
    expect(name).toMatch(/^[.\-_/#A-Za-z0-9]{1,512}$/);
    expect(arn).toBe(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`);
  });

  it.each([0, 2, 10, 366, 3654])('refuses retention of %i days', (days) => {
    const { logs } = setup();
    expect(
      thrown(() => logs.createLogGroup({ logGroupName: 'g', retentionInDays: days })),
    ).toMatchObject({ type: 'InvalidParameterException' });
    expect(logs.logGroup('g')).toBeUndefined();
  });

  it.each(RETENTION_DAYS.map((days) => [days]))('accepts retention of %i days', (days) => {
    const { logs } = setup();
    logs.createLogGroup({ logGroupName: 'g', retentionInDays: days });
    expect(logs.logGroup('g')?.retentionInDays).toBe(days);
  });

  it('refuses a duplicate group and a name with other characters', () => {
    const { logs } = setup();
    logs.createLogGroup({ logGroupName: '/aws/lambda/rotation' });
    expect(
      thrown(() => logs.createLogGroup({ logGroupName: '/aws/lambda/rotation' })),
    ).toMatchObject({ type: 'ResourceAlreadyExistsException' });
    expect(thrown(() => logs.createLogGroup({ logGroupName: 'has space' }))).toMatchObject({
      type: 'InvalidParameterException',
    });
  });

  it('keeps the lines appended, oldest first, and refuses an unknown group', () => {
    const { logs } = setup();
    logs.createLogGroup({ logGroupName: 'g' });
    logs.append('g', 'first');
    logs.append('g', '{"level":"INFO","message":"second"}');
    expect(logs.lines('g')).toEqual(['first', '{"level":"INFO","message":"second"}']);
    expect(thrown(() => logs.append('missing', 'x'))).toMatchObject({
      type: 'ResourceNotFoundException',
    });
    expect(thrown(() => logs.lines('missing'))).toMatchObject({
      type: 'ResourceNotFoundException',
    });
  });

  it('bounds the buffer, dropping the oldest lines and counting them', () => {
    const { logs } = setup(3);
    logs.createLogGroup({ logGroupName: 'g' });
    for (const line of ['1', '2', '3', '4', '5']) logs.append('g', line);
    expect(logs.lines('g')).toEqual(['3', '4', '5']);
    expect(logs.logGroup('g')?.dropped).toBe(2);
  });

  it('drops lines older than the retention, and keeps them without one', () => {
    const { logs, clock } = setup();
    logs.createLogGroup({ logGroupName: 'short', retentionInDays: 1 });
    logs.createLogGroup({ logGroupName: 'forever' });
    logs.append('short', 'old');
    logs.append('forever', 'old');
    clock.advance(DAY + 1);
    logs.append('short', 'new');
    expect(logs.lines('short')).toEqual(['new']);
    expect(logs.lines('forever')).toEqual(['old']);

    logs.putRetentionPolicy('forever', 1);
    expect(logs.lines('forever')).toEqual([]);
  });
});
