import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import type { Notifier } from '../aws/notifications';
import type { HttpClient } from '../http/client';
import type { ProviderRegistry } from '../providers/registry';
import { auditSecret, type AuditCheck, type AuditFinding } from './checks';
import type { AuditConfig } from './config';
import type { ContinuationSink } from './continuation';
import { parseAuditEvent, toEventPayload, type AuditCursor, type AuditEventPayload } from './event';
import { managedSecretPages } from './managed-secrets';
import { isNotifyingRun } from './notification-policy';
import { AuditReporter, type OutcomeCounts } from './reporting';
import { runInOrder } from './work-pool';

/** What the handler is built from: real clients in the Lambda, the local world in tests. */
export interface AuditHandlerDependencies {
  readonly config: AuditConfig;
  /** A real client: the SDK's paginators accept nothing else. */
  readonly secretsManager: SecretsManagerClient;
  readonly kms: Pick<KMSClient, 'send'>;
  readonly http: HttpClient;
  readonly notifier: Notifier;
  /** Absent: a run that runs out of time returns its cursor and reports AuditIncomplete. */
  readonly continuation?: ContinuationSink;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The vendors whose secrets are audited. @default builtInProviders (Polytomic and Poelis) */
  readonly providers?: ProviderRegistry;
  /** The time findings are judged against. @default Date.now */
  readonly now?: () => number;
}

/** What an invocation returns (and logs): the findings that need attention, and where it stopped. */
export interface AuditRunResult {
  readonly secretsAudited: number;
  readonly notifying: boolean;
  readonly notified: number;
  readonly summary: Partial<Record<AuditCheck, OutcomeCounts>>;
  /** Every finding other than `pass`. */
  readonly findings: readonly AuditFinding[];
  /** Set when the run stopped early: the event that resumes it. */
  readonly continuation?: AuditEventPayload;
  /** Whether `continuation` was posted for the function to pick up. */
  readonly continued: boolean;
}

export type AuditHandler = (event: unknown, context: Context) => Promise<AuditRunResult>;

/** Vendor calls stop this long before the Lambda would time out, leaving time to report. */
const DEADLINE_MARGIN_MS = 5_000;
/** The most one secret's checks may take; a quarter of a short function's time at most. */
const SECRET_BUDGET_MS = 20_000;
const MIN_SECRET_BUDGET_MS = 1_000;
/** Continuations a run may chain, below Lambda's recursive-loop limit of about 16. */
export const MAX_HOPS = 12;

export function createAuditHandler(deps: AuditHandlerDependencies): AuditHandler {
  const { config, logger, metrics } = deps;
  const now = deps.now ?? Date.now;

  return async function handler(rawEvent, context) {
    logger.addContext(context);
    const request = parseAuditEvent(rawEvent);
    const notifying = isNotifyingRun(request.scheduledTime, config.scheduleIntervalMs);
    const reporter = new AuditReporter(logger, metrics, deps.notifier, notifying);
    const findings: AuditFinding[] = [];
    // Deadlines are wall-clock time: they bound this invocation, whatever `now` says.
    const timeLeft = (): number => context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
    const budget = Math.max(MIN_SECRET_BUDGET_MS, Math.min(SECRET_BUDGET_MS, timeLeft() / 4));
    let startedHere = 0;
    // The first secret always starts (given a second), so every invocation makes progress.
    const mayStart = (): boolean =>
      timeLeft() > (startedHere === 0 ? MIN_SECRET_BUDGET_MS : budget);
    const auditOne = async (secretArn: string): Promise<void> => {
      startedHere += 1;
      const deadline = Date.now() + Math.min(budget, timeLeft());
      const secretFindings = await auditSecret(
        {
          secretsManager: deps.secretsManager,
          kms: deps.kms,
          http: deps.http,
          now,
          providers: deps.providers,
          expectedKmsKeyArn: config.expectedKmsKeyArn,
          overdueGraceMs: config.overdueGraceMs,
          deadline,
        },
        secretArn,
      );
      findings.push(...secretFindings.filter((found) => found.outcome !== 'pass'));
      await reporter.record(secretFindings);
    };

    let secretsAudited = 0;
    let continuation: AuditEventPayload | undefined;
    let continued = false;
    try {
      let offset = request.cursor?.offset ?? 0;
      let stoppedAt: AuditCursor | undefined;
      const pages = managedSecretPages(
        deps.secretsManager,
        request.cursor?.pageToken,
        config.secretNamePrefixes,
      );
      for await (const page of pages) {
        const todo = page.secretArns.slice(offset);
        const started = await runInOrder(todo, config.concurrency, mayStart, auditOne);
        secretsAudited += started;
        if (started < todo.length) {
          stoppedAt = cursor(page.pageToken, offset + started);
          break;
        }
        offset = 0;
        // Stopping between pages names the next one, so it is not listed before it is needed.
        if (page.nextToken !== undefined && !mayStart()) {
          stoppedAt = cursor(page.nextToken, 0);
          break;
        }
      }
      if (stoppedAt !== undefined) {
        continuation = toEventPayload({ ...request, cursor: stoppedAt, hop: request.hop + 1 });
        continued = await continueRun(continuation);
      }
    } finally {
      reporter.publish(secretsAudited, continuation !== undefined && !continued);
    }

    const result: AuditRunResult = {
      secretsAudited,
      notifying,
      notified: reporter.notified,
      summary: reporter.summary(),
      findings,
      ...(continuation === undefined ? {} : { continuation }),
      continued,
    };
    logger.info('audit run finished', {
      secretsAudited,
      notifying,
      notified: result.notified,
      summary: result.summary,
      continuation,
      continued,
    });
    return result;
  };

  /** Posts the continuation; false when the run cannot continue and stays incomplete. */
  async function continueRun(payload: AuditEventPayload): Promise<boolean> {
    if ((payload.hop ?? 0) > MAX_HOPS) {
      logger.error('audit run stopped: too many continuations', { continuation: payload });
      return false;
    }
    if (deps.continuation === undefined) {
      logger.warn(
        'audit run ran out of time; set ROTATOR_AUDIT_CONTINUATION_TOPIC_ARN to resume it',
        { continuation: payload },
      );
      return false;
    }
    await deps.continuation.continueWith(payload);
    logger.info('audit run continues in a new invocation', { continuation: payload });
    return true;
  }
}

function cursor(pageToken: string | undefined, offset: number): AuditCursor {
  return pageToken === undefined ? { offset } : { pageToken, offset };
}
