/**
 * The audit Lambda: run daily by an EventBridge Scheduler schedule (input
 * `{"scheduledTime":"<aws.scheduler.scheduled-time>"}`) and on demand (`{}`), it proves each
 * managed secret is in sync with its vendor. Clients are created once per container.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { silentNotifier, SnsNotifier } from '../aws/notifications';
import { FunctionEnv, METRICS_NAMESPACE, SERVICE_NAME } from '../shared/contracts';
import { readAuditConfig } from './config';
import { SnsContinuation } from './continuation';
import { createAuditHandler } from './handler';
import { OriginGatedHttpClient } from './origin-gated-http-client';

const serviceName = process.env[FunctionEnv.ServiceName] ?? SERVICE_NAME;
const logger = new Logger({ serviceName });
const metrics = new Metrics({
  serviceName,
  namespace: process.env[FunctionEnv.MetricsNamespace] ?? METRICS_NAMESPACE,
});
const config = readAuditConfig(process.env);
const sns = new SNSClient({});

export const handler = createAuditHandler({
  config,
  secretsManager: new SecretsManagerClient({}),
  kms: new KMSClient({}),
  http: new OriginGatedHttpClient(
    { policy: config.rotator.originPolicy, log: logger },
    config.vendorConcurrency,
  ),
  notifier:
    config.rotator.notifyTopicArn === undefined
      ? silentNotifier
      : new SnsNotifier(sns, config.rotator.notifyTopicArn),
  continuation:
    config.continuationTopicArn === undefined
      ? undefined
      : new SnsContinuation(sns, config.continuationTopicArn),
  logger,
  metrics,
});
