import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Notifier } from '../aws/notifications';
import { AuditMetric, type AuditMetricName } from '../shared/contracts';
import { describeError } from '../shared/errors';
import { describeKey } from '../shared/key-reference';
import { printable, snsSubject } from '../shared/printable';
import type { AuditCheck, AuditFinding, AuditOutcome } from './findings';

const METRIC_OF: Readonly<Record<AuditOutcome, AuditMetricName>> = {
  pass: AuditMetric.CheckPassed,
  fail: AuditMetric.CheckFailed,
  error: AuditMetric.CheckErrored,
};

export type OutcomeCounts = Record<AuditOutcome, number>;

/**
 * Everything an audit run tells the outside world: one log line per finding, the metrics,
 * and (in a notifying run) one notification per failed finding. Keys appear by fingerprint
 * and name only. Findings that could not be completed are alarmed through AuditCheckErrored,
 * not notified one by one, so a vendor outage does not send a message per secret.
 */
export class AuditReporter {
  private readonly counts = new Map<AuditCheck, OutcomeCounts>();
  private notifiedCount = 0;

  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly notifier: Notifier,
    private readonly notifying: boolean,
  ) {}

  get notified(): number {
    return this.notifiedCount;
  }

  /** Counts per check and outcome, so far. */
  summary(): Partial<Record<AuditCheck, OutcomeCounts>> {
    return Object.fromEntries(this.counts);
  }

  async record(findings: readonly AuditFinding[]): Promise<void> {
    for (const found of findings) {
      const counts = this.counts.get(found.check) ?? { pass: 0, fail: 0, error: 0 };
      counts[found.outcome] += 1;
      this.counts.set(found.check, counts);
      this.log(found);
      if (found.outcome === 'fail' && this.notifying) await this.notify(found);
    }
  }

  /** Emits the invocation's metrics; call once, at the end. */
  publish(secretsAudited: number, incomplete: boolean): void {
    for (const [check, counts] of this.counts) {
      for (const outcome of ['pass', 'fail', 'error'] as const) {
        const single = this.metrics.singleMetric();
        single.addDimension('check', check);
        single.addMetric(METRIC_OF[outcome], MetricUnit.Count, counts[outcome]);
      }
    }
    this.metrics.addMetric(AuditMetric.SecretsAudited, MetricUnit.Count, secretsAudited);
    if (incomplete) this.metrics.addMetric(AuditMetric.Incomplete, MetricUnit.Count, 1);
    this.metrics.publishStoredMetrics();
  }

  private log(found: AuditFinding): void {
    const attributes = { finding: found };
    if (found.outcome === 'pass') this.logger.debug('audit check passed', attributes);
    else if (found.outcome === 'fail') this.logger.warn('audit check failed', attributes);
    else this.logger.error('audit check could not be completed', attributes);
  }

  // A failed notification must not hide the finding: the log line and the metric remain.
  private async notify(found: AuditFinding): Promise<void> {
    const key =
      found.keyFingerprint === undefined
        ? undefined
        : describeKey({ fingerprint: found.keyFingerprint, keyName: found.keyName });
    // Each line is made printable on its own: a newline inside a value cannot forge a line.
    const lines = [
      found.message,
      '',
      `Secret: ${found.secretArn}`,
      `Check: ${found.check}`,
      ...(key === undefined ? [] : [`Key: ${key}`]),
      'The daily audit repeats this notice while the finding lasts.',
    ].map(printable);
    try {
      await this.notifier.notify(
        snsSubject(`api-key-rotator audit: ${found.check} failed for ${found.secretName}`),
        lines.join('\n'),
      );
      this.notifiedCount += 1;
    } catch (error) {
      this.logger.error('notification could not be published', {
        finding: found,
        error: describeError(error),
      });
    }
  }
}
