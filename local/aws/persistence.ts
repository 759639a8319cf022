import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KmsState } from './kms';
import type { SecretsState } from './secrets';
import type { SnsState } from './sns';
import type { IamState } from './iam';
import { emptyLambdaState, type LambdaState } from './lambda-service';
import { emptySchedulerState, type SchedulerState } from './eventbridge-scheduler';
import { emptyCloudWatchState, type CloudWatchState } from './cloudwatch';
import { emptyEventsState, type EventsState } from './events';
import { emptyLogsState, type LogsState } from './logs';
import { emptyDashboardsState, type DashboardsState } from './dashboards';

/** Everything the emulator keeps across restarts (rotation history and call counts are not kept). */
export interface EmulatorState {
  version: 1;
  kms: KmsState;
  secrets: SecretsState;
  sns: SnsState;
  iam: IamState;
  lambda: LambdaState;
  scheduler: SchedulerState;
  cloudwatch: CloudWatchState;
  events: EventsState;
  logs: LogsState;
  dashboards: DashboardsState;
  /** Stacks deployed into the world (`local/stack`), so a restart with the state file keeps them. */
  stacks: Record<string, StackRecord>;
}

/** A deployed stack as the local CloudFormation engine left it. */
export interface StackRecord {
  stackId: string;
  resources: [string, { type: string; physicalId: string; attributes: Record<string, unknown> }][];
  outputs: Record<string, string>;
}

export function emptyState(): EmulatorState {
  return {
    version: 1,
    kms: { keys: [], aliases: [] },
    secrets: { secrets: [] },
    sns: { topics: [], messages: [] },
    iam: { roles: [], accessKeys: [] },
    lambda: emptyLambdaState(),
    scheduler: emptySchedulerState(),
    cloudwatch: emptyCloudWatchState(),
    events: emptyEventsState(),
    logs: emptyLogsState(),
    dashboards: emptyDashboardsState(),
    stacks: {},
  };
}

/** Reads the state file, or starts empty when there is none. */
export function loadState(path: string | undefined): EmulatorState {
  if (path === undefined || !existsSync(path)) return emptyState();
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<EmulatorState>;
  if (parsed.version !== 1) throw new Error(`Unsupported emulator state file version in ${path}`);
  return { ...emptyState(), ...parsed };
}

/** Writes the state file atomically, so a crash never leaves half a file; creates its folder. */
export function saveState(path: string | undefined, state: EmulatorState): void {
  if (path === undefined) return;
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
  renameSync(temporary, path);
}
