/**
 * The rotation Lambda: Secrets Manager's four rotation steps for Polytomic and Poelis keys.
 * Clients are created once per container; AWS endpoints come from the SDK's standard settings.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { silentNotifier, SnsNotifier } from '../aws/notifications';
import { EventBridgePublisher } from '../aws/rotation-events';
import { SecretsStore } from '../aws/secrets';
import { HttpClient } from '../http/client';
import { FunctionEnv, METRICS_NAMESPACE, SERVICE_NAME } from '../shared/contracts';
import { readRotatorConfig } from './config';
import { createRotationHandler } from './handler';

const serviceName = process.env[FunctionEnv.ServiceName] ?? SERVICE_NAME;
const logger = new Logger({ serviceName });
const metrics = new Metrics({
  serviceName,
  namespace: process.env[FunctionEnv.MetricsNamespace] ?? METRICS_NAMESPACE,
});
const config = readRotatorConfig(process.env);

export const handler = createRotationHandler({
  config,
  secrets: new SecretsStore(new SecretsManagerClient({})),
  kms: new KMSClient({}),
  http: new HttpClient({ policy: config.originPolicy, log: logger }),
  notifier:
    config.notifyTopicArn === undefined
      ? silentNotifier
      : new SnsNotifier(new SNSClient({}), config.notifyTopicArn),
  events: new EventBridgePublisher(new EventBridgeClient({})),
  logger,
  metrics,
});
