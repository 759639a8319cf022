import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Context } from 'aws-lambda';
import { assertKmsKeyUsable } from '../aws/kms';
import type { Notifier } from '../aws/notifications';
import type { RotationEventPublisher } from '../aws/rotation-events';
import type { SecretMetadata } from '../aws/secret-metadata';
import type { SecretsStore } from '../aws/secrets';
import type { HttpClient } from '../http/client';
import { builtInProviders, type ProviderRegistry } from '../providers/registry';
import type { RotatorConfig } from './config';
import { parseRotationEvent, type RotationEvent } from './event';
import { RotationReporter } from './reporting';
import { createSecret, finishSecret, setSecret, testSecret, type StepInput } from './steps';
import { checkVersionStages } from './version-stages';

/** What the handler is built from: real clients in the Lambda, stubs in tests. */
export interface RotationDependencies {
  readonly config: RotatorConfig;
  readonly secrets: SecretsStore;
  readonly kms: Pick<KMSClient, 'send'>;
  readonly http: HttpClient;
  readonly notifier: Notifier;
  /** Where finishSecret announces a rotation. @default noEventPublisher (nothing is published) */
  readonly events?: RotationEventPublisher;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The vendors this function rotates. @default builtInProviders (Polytomic and Poelis) */
  readonly providers?: ProviderRegistry;
  readonly now?: () => number;
}

/** Vendor calls stop this long before the Lambda would time out, leaving time to report. */
const DEADLINE_MARGIN_MS = 2_000;

export type RotationHandler = (event: unknown, context: Context) => Promise<void>;

export function createRotationHandler(deps: RotationDependencies): RotationHandler {
  const { config, secrets, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const providers = deps.providers ?? builtInProviders;
  const report = new RotationReporter(logger, metrics, deps.notifier, deps.events);

  function stepInput(event: RotationEvent, metadata: SecretMetadata, timeoutAt: number): StepInput {
    return {
      event,
      metadata,
      secrets,
      providers,
      vendor: {
        http: deps.http,
        secrets,
        secretId: metadata.arn,
        // The rotation's token is its vendor idempotency key: a retried step replays its issue.
        idempotencyKey: event.ClientRequestToken,
        deadline: timeoutAt - DEADLINE_MARGIN_MS,
        defaultPartnerKeySecretId: config.defaultPartnerKeySecretId,
      },
      log: logger,
      report,
    };
  }

  return async function handler(rawEvent, context) {
    const started = now();
    logger.addContext(context);
    try {
      const event = parseRotationEvent(rawEvent);
      logger.appendKeys({
        secretArn: event.SecretId,
        token: event.ClientRequestToken,
        step: event.Step,
      });
      metrics.addMetadata('secretArn', event.SecretId);
      metrics.addMetadata('step', event.Step);

      const metadata = await secrets.describe(event.SecretId);
      const stage = checkVersionStages(metadata, event.ClientRequestToken);
      // finishSecret alone has work left once promoted: a revocation a crash may have cut short.
      if (stage === 'current' && event.Step !== 'finishSecret') {
        logger.info('version is already AWSCURRENT; nothing to do');
      } else {
        await assertKmsKeyUsable(deps.kms, metadata.kmsKeyId, config.requireCustomerManagedKey);
        const input = stepInput(event, metadata, now() + context.getRemainingTimeInMillis());
        switch (event.Step) {
          case 'createSecret':
            await createSecret(input);
            break;
          case 'setSecret':
            await setSecret(input);
            break;
          case 'testSecret':
            await testSecret(input);
            break;
          case 'finishSecret':
            await finishSecret(input);
            break;
        }
      }
      report.stepSucceeded(now() - started);
    } catch (error) {
      report.stepFailed(now() - started, error);
      throw error;
    } finally {
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}
