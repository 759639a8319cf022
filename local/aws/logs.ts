/**
 * CloudWatch Logs log groups, in process: the groups a stack declares and a bounded buffer of the
 * lines written to each. One stream per group; no HTTP API.
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from './errors';
import type { Clock } from './types';

export interface LogGroupRecord {
  name: string;
  /** With the trailing `:*`, as CloudFormation's `Fn::GetAtt [group, Arn]` returns it. */
  arn: string;
  retentionInDays?: number;
  createdAt: number;
  /** `[epochMs, line]`, oldest first. */
  events: [number, string][];
  /** Lines dropped because the buffer was full. */
  dropped: number;
}

export interface LogsState {
  groups: Record<string, LogGroupRecord>;
}

export function emptyLogsState(): LogsState {
  return { groups: {} };
}

export interface LogsServiceOptions {
  readonly region: string;
  readonly accountId: string;
  readonly clock: Clock;
  readonly state?: LogsState;
  /** Lines kept per group; the oldest are dropped beyond it. @default 5000 */
  readonly maxLinesPerGroup?: number;
}

// AWS: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
export const RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];
// AWS: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const DAY_MS = 24 * 60 * 60 * 1000;
// AWS: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_InputLogEvent.html (1 MB event limit)
const MAX_EVENT_BYTES = 1024 * 1024;

/** CloudWatch Logs log groups with a bounded line buffer each. */
export class LogsService {
  readonly state: LogsState;
  private readonly region: string;
  private readonly accountId: string;
  private readonly clock: Clock;
  private readonly maxLines: number;

  constructor(options: LogsServiceOptions) {
    this.region = options.region;
    this.accountId = options.accountId;
    this.clock = options.clock;
    this.state = options.state ?? emptyLogsState();
    this.maxLines = options.maxLinesPerGroup ?? 5000;
  }

  /**
   * Creates a log group from AWS::Logs::LogGroup properties. Without a name, one is generated
   * (CloudFormation passes `<stack>-<logicalId>-<random>`); a name that exists is refused with
   * ResourceAlreadyExistsException; RetentionInDays must be one of `RETENTION_DAYS`.
   */
  // AWS: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html
  createLogGroup(input: { readonly logGroupName?: string; readonly retentionInDays?: number }): {
    name: string;
    arn: string;
  } {
    const name = input.logGroupName ?? `log-group-${randomBytes(6).toString('hex').toUpperCase()}`;
    if (!GROUP_NAME.test(name)) {
      throw new AwsError(
        'InvalidParameterException',
        `Log group name ${name} must be 1 to 512 characters from [.-_/#A-Za-z0-9].`,
      );
    }
    if (this.state.groups[name]) {
      throw new AwsError(
        'ResourceAlreadyExistsException',
        'The specified log group already exists',
      );
    }
    const retentionInDays = this.checkRetention(input.retentionInDays);
    // AWS: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_LogGroup.html (arn ends with :*)
    const arn = `arn:aws:logs:${this.region}:${this.accountId}:log-group:${name}:*`;
    this.state.groups[name] = {
      name,
      arn,
      ...(retentionInDays !== undefined ? { retentionInDays } : {}),
      createdAt: this.clock.now(),
      events: [],
      dropped: 0,
    };
    return { name, arn };
  }

  /** Sets or (with undefined) removes a group's retention (PutRetentionPolicy). */
  putRetentionPolicy(groupName: string, retentionInDays: number | undefined): void {
    const group = this.group(groupName);
    const checked = this.checkRetention(retentionInDays);
    if (checked === undefined) delete group.retentionInDays;
    else group.retentionInDays = checked;
  }

  deleteLogGroup(groupName: string): void {
    this.group(groupName);
    delete this.state.groups[groupName];
  }

  /**
   * Appends one line to a group, stamped with the clock; refused with ResourceNotFoundException
   * when the group does not exist. Lines past the group's retention and beyond the buffer are
   * dropped.
   */
  append(groupName: string, line: string): void {
    const group = this.group(groupName);
    if (Buffer.byteLength(line, 'utf8') > MAX_EVENT_BYTES) {
      throw new AwsError('InvalidParameterException', 'Log event too large.');
    }
    const now = this.clock.now();
    group.events.push([now, line]);
    this.expire(group, now);
    if (group.events.length > this.maxLines) {
      const excess = group.events.length - this.maxLines;
      group.events.splice(0, excess);
      group.dropped += excess;
    }
  }

  /** The lines a group holds, oldest first, without those past its retention. */
  lines(groupName: string): string[] {
    const group = this.group(groupName);
    this.expire(group, this.clock.now());
    return group.events.map(([, line]) => line);
  }

  logGroup(groupName: string): LogGroupRecord | undefined {
    return this.state.groups[groupName];
  }

  logGroups(): { name: string; arn: string; retentionInDays?: number }[] {
    return Object.values(this.state.groups).map(({ name, arn, retentionInDays }) => ({
      name,
      arn,
      ...(retentionInDays !== undefined ? { retentionInDays } : {}),
    }));
  }

  private group(name: string): LogGroupRecord {
    const group = this.state.groups[name];
    if (!group) {
      throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
    }
    return group;
  }

  private checkRetention(days: number | undefined): number | undefined {
    if (days === undefined) return undefined;
    if (!RETENTION_DAYS.includes(days)) {
      throw new AwsError(
        'InvalidParameterException',
        `1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
      );
    }
    return days;
  }

  private expire(group: LogGroupRecord, now: number): void {
    if (group.retentionInDays === undefined) return;
    const oldest = now - group.retentionInDays * DAY_MS;
    const first = group.events[0];
    if (first !== undefined && first[0] < oldest) {
      group.events = group.events.filter(([t]) => t >= oldest);
    }
  }
}
