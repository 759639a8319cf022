import { RotatorError } from '../shared/errors';

/** Where a run stopped: the ListSecrets page it was on and how many of its secrets it started. */
export interface AuditCursor {
  /** NextToken of the page (absent for the first page). */
  readonly pageToken?: string;
  /** Secrets of that page already audited. */
  readonly offset: number;
}

/** What one invocation is asked to do. */
export interface AuditRequest {
  /** Epoch ms the schedule fired; absent for on-demand runs, which never notify. */
  readonly scheduledTime?: number;
  /** Where to resume; absent to start from the first managed secret. */
  readonly cursor?: AuditCursor;
  /** How many invocations of this run came before this one. */
  readonly hop: number;
}

/** The JSON a run posts to continue, and the schedule's input (`{"scheduledTime":"…"}`). */
export interface AuditEventPayload {
  readonly scheduledTime?: string;
  readonly cursor?: AuditCursor;
  readonly hop?: number;
}

/** The function was invoked with something that is not an audit event. */
export class InvalidAuditEventError extends RotatorError {
  constructor(problem: string) {
    super(
      `Invalid audit event: ${problem}. Send {} (audit now), {"scheduledTime":"<ISO time>"} (the schedule's input), or a continuation the function posted.`,
    );
  }
}

/**
 * Parses the schedule's input, an on-demand `{}`, or a continuation delivered by SNS
 * (`Records[0].Sns.Message` holds the payload).
 */
export function parseAuditEvent(event: unknown): AuditRequest {
  if (event === undefined || event === null) return { hop: 0 };
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidAuditEventError('the event is not an object');
  }
  const records = (event as { Records?: unknown }).Records;
  if (records !== undefined) return parsePayload(snsMessage(records));
  return parsePayload(event as Record<string, unknown>);
}

export function toEventPayload(request: AuditRequest): AuditEventPayload {
  return {
    ...(request.scheduledTime === undefined
      ? {}
      : { scheduledTime: new Date(request.scheduledTime).toISOString() }),
    ...(request.cursor === undefined ? {} : { cursor: request.cursor }),
    hop: request.hop,
  };
}

function snsMessage(records: unknown): Record<string, unknown> {
  const message = Array.isArray(records)
    ? (records[0] as { Sns?: { Message?: unknown } } | undefined)?.Sns?.Message
    : undefined;
  if (typeof message !== 'string') {
    throw new InvalidAuditEventError('an SNS event must carry one record with a Message');
  }
  try {
    const parsed = JSON.parse(message) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // Reported below, with the same message as any other unusable payload.
  }
  throw new InvalidAuditEventError('the SNS message is not a JSON object');
}

function parsePayload(payload: Record<string, unknown>): AuditRequest {
  const { scheduledTime, cursor, hop } = payload;
  let time: number | undefined;
  if (scheduledTime !== undefined) {
    time = typeof scheduledTime === 'string' ? Date.parse(scheduledTime) : NaN;
    if (Number.isNaN(time)) {
      throw new InvalidAuditEventError('"scheduledTime" must be an ISO 8601 time');
    }
  }
  if (hop !== undefined && !(Number.isInteger(hop) && (hop as number) >= 0)) {
    throw new InvalidAuditEventError('"hop" must be a whole number');
  }
  return {
    ...(time === undefined ? {} : { scheduledTime: time }),
    ...(cursor === undefined ? {} : { cursor: parseCursor(cursor) }),
    hop: (hop as number | undefined) ?? 0,
  };
}

function parseCursor(cursor: unknown): AuditCursor {
  const { pageToken, offset } = (typeof cursor === 'object' && cursor !== null ? cursor : {}) as {
    pageToken?: unknown;
    offset?: unknown;
  };
  if (pageToken !== undefined && (typeof pageToken !== 'string' || pageToken === '')) {
    throw new InvalidAuditEventError('"cursor.pageToken" must be a non-empty string');
  }
  if (!(typeof offset === 'number' && Number.isInteger(offset) && offset >= 0)) {
    throw new InvalidAuditEventError('"cursor.offset" must be a whole number');
  }
  return pageToken === undefined ? { offset } : { pageToken, offset };
}
