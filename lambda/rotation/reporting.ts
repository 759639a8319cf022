import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Notifier } from '../aws/notifications';
import {
  noEventPublisher,
  type RotationEventPublisher,
  type RotatorEvent,
} from '../aws/rotation-events';
import { RotationEventType, RotationMetric } from '../shared/contracts';
import { describeError } from '../shared/errors';
import { describeKey, type KeyReference } from '../shared/key-reference';
import { printable, snsSubject } from '../shared/printable';
import type { KeyProvider } from '../providers/provider';

/**
 * Everything a rotation tells the outside world beyond its return value: metrics, the log
 * lines operators act on, and notifications. Keys appear by fingerprint only.
 */
export class RotationReporter {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly notifier: Notifier,
    private readonly events: RotationEventPublisher = noEventPublisher,
  ) {}

  /**
   * Puts an event on the bus. The key is already rotated when this runs, so a failure is logged
   * and counted (RotationEventPublishFailed), never thrown.
   */
  async event(event: RotatorEvent): Promise<void> {
    try {
      const eventId = await this.events.publish(event);
      this.logger.info('event published', { detailType: event.detailType, eventId });
    } catch (error) {
      this.metrics.addMetric(RotationMetric.EventPublishFailed, MetricUnit.Count, 1);
      this.logger.error('event could not be published', {
        detailType: event.detailType,
        error: describeError(error),
      });
    }
  }

  /** Tags the rest of the invocation's logs and metrics with the secret's provider. */
  provider(name: string): void {
    this.logger.appendKeys({ provider: name });
    this.metrics.addMetadata('provider', name);
  }

  stepSucceeded(durationMs: number): void {
    this.metrics.addMetric(RotationMetric.StepSucceeded, MetricUnit.Count, 1);
    this.logger.info('rotation step succeeded', { durationMs });
  }

  stepFailed(durationMs: number, error: unknown): void {
    this.metrics.addMetric(RotationMetric.StepFailed, MetricUnit.Count, 1);
    this.logger.error('rotation step failed', { durationMs, error: describeError(error) });
  }

  rotationCompleted(newVersionId: string, replacedVersionId: string): void {
    this.metrics.addMetric(RotationMetric.Completed, MetricUnit.Count, 1);
    this.logger.info('AWSCURRENT moved to the new version', { newVersionId, replacedVersionId });
  }

  keyRevoked(key: KeyReference): void {
    this.metrics.addMetric(RotationMetric.KeyRevoked, MetricUnit.Count, 1);
    this.logger.info('previous key revoked', { revokedKey: key });
  }

  keyAlreadyRevoked(key: KeyReference): void {
    this.logger.info('previous key was already replaced when the new key was issued', {
      revokedKey: key,
    });
  }

  async manualRevocationRequired(
    secretId: string,
    key: KeyReference,
    provider: Pick<KeyProvider, 'displayName' | 'staging'>,
    /** The rotation asking for it: with it, the `API Key Manual Revocation Required` event is published. */
    rotation?: { readonly rotationId: string; readonly provider: string },
  ): Promise<void> {
    this.metrics.addMetric(RotationMetric.ManualRevocationRequired, MetricUnit.Count, 1);
    this.logger.warn('previous key must be revoked in the vendor web app', { keyToRevoke: key });
    const revokeKeyIn = provider.staging?.revokeKeyIn ?? `the ${provider.displayName} web app`;
    if (rotation !== undefined) {
      await this.event({
        detailType: RotationEventType.ManualRevocationRequired,
        detail: {
          rotationId: rotation.rotationId,
          secretArn: secretId,
          secretName: secretNameOf(secretId),
          provider: rotation.provider,
          key,
          revokeIn: revokeKeyIn,
        },
      });
    }
    await this.notify(
      snsSubject(`Revoke the old ${provider.displayName} key of ${secretNameOf(secretId)}`),
      printable(
        `Secret ${secretId} was rotated. Revoke the previous key ${describeKey(key)} in ${revokeKeyIn}.`,
      ),
    );
  }

  async revocationFailed(
    secretId: string,
    key: KeyReference | undefined,
    error: unknown,
  ): Promise<void> {
    this.metrics.addMetric(RotationMetric.RevocationFailed, MetricUnit.Count, 1);
    this.logger.error('previous key could not be revoked', {
      keyToRevoke: key,
      error: describeError(error),
    });
    await this.notify(
      snsSubject(`Key revocation failed for ${secretNameOf(secretId)}`),
      printable(
        `Secret ${secretId} was rotated, but its previous key ${key ? describeKey(key) : '(unreadable version)'} could not be revoked: ${describeError(error).message}. It stays live until the next rotation or the audit revokes it.`,
      ),
    );
  }

  // A failed notification must not hide the report it carried: the log line and metric remain.
  private async notify(subject: string, message: string): Promise<void> {
    try {
      await this.notifier.notify(subject, message);
    } catch (error) {
      this.logger.error('notification could not be published', { error: describeError(error) });
    }
  }
}

/**
 * A secret's name from its ARN (`arn:aws:secretsmanager:…:secret:prod/poelis-AbCdEf` →
 * `prod/poelis`): subjects name the secret, the message body carries the full ARN.
 */
export function secretNameOf(secretId: string): string {
  const match = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(secretId);
  return match?.[1] ?? secretId;
}
