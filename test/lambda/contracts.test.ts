/**
 * The wire contract: names that deployed stacks, dashboards, alarms, operators' scripts and the
 * README depend on. Every other test imports them; this one spells them out, so renaming one is a
 * deliberate, visible change.
 */
import {
  AuditMetric,
  FunctionEnv,
  MANAGED_TAG,
  MANAGED_TAG_VALUE,
  METRICS_NAMESPACE,
  parseCronExpression,
  parseRateExpression,
  parseSchedulerRate,
  PROVIDER_TAG,
  REVOKE_POLICY_TAG,
  ROTATION_EVENT_SOURCE,
  RotationEventType,
  RotationMetric,
  SERVICE_NAME,
} from '../../lambda/shared/contracts';

describe('contract names', () => {
  it('keeps the metric namespace, service and metric names', () => {
    expect(METRICS_NAMESPACE).toBe('ApiKeyRotator');
    expect(SERVICE_NAME).toBe('api-key-rotator');
    expect(RotationMetric).toEqual({
      StepSucceeded: 'RotationStepSucceeded',
      StepFailed: 'RotationStepFailed',
      Completed: 'RotationCompleted',
      KeyRevoked: 'KeyRevoked',
      RevocationFailed: 'RevocationFailed',
      ManualRevocationRequired: 'ManualRevocationRequired',
      EventPublishFailed: 'RotationEventPublishFailed',
    });
    expect(AuditMetric).toEqual({
      CheckPassed: 'AuditCheckPassed',
      CheckFailed: 'AuditCheckFailed',
      CheckErrored: 'AuditCheckErrored',
      SecretsAudited: 'AuditSecretsAudited',
      Incomplete: 'AuditIncomplete',
    });
  });

  it('keeps the event source and detail-types consumers match on', () => {
    expect(ROTATION_EVENT_SOURCE).toBe('api-key-rotator');
    expect(RotationEventType).toEqual({
      KeyRotated: 'API Key Rotated',
      ManualRevocationRequired: 'API Key Manual Revocation Required',
      KeyRolledBack: 'API Key Rolled Back',
    });
  });

  it('keeps the environment variable names', () => {
    expect(FunctionEnv).toEqual({
      AllowedOrigins: 'ROTATOR_ALLOWED_ORIGINS',
      AllowLoopbackHttp: 'ROTATOR_ALLOW_LOOPBACK_HTTP',
      RequireCustomerManagedKey: 'ROTATOR_REQUIRE_CUSTOMER_MANAGED_KEY',
      PartnerKeySecretId: 'ROTATOR_PARTNER_KEY_SECRET_ID',
      NotifyTopicArn: 'ROTATOR_NOTIFY_TOPIC_ARN',
      ExpectedKmsKeyArn: 'ROTATOR_EXPECTED_KMS_KEY_ARN',
      AuditContinuationTopicArn: 'ROTATOR_AUDIT_CONTINUATION_TOPIC_ARN',
      AuditIntervalMinutes: 'ROTATOR_AUDIT_INTERVAL_MINUTES',
      AuditConcurrency: 'ROTATOR_AUDIT_CONCURRENCY',
      AuditVendorConcurrency: 'ROTATOR_AUDIT_VENDOR_CONCURRENCY',
      AuditOverdueGraceHours: 'ROTATOR_AUDIT_OVERDUE_GRACE_HOURS',
      AuditSecretNamePrefixes: 'ROTATOR_AUDIT_SECRET_NAME_PREFIXES',
      ServiceName: 'POWERTOOLS_SERVICE_NAME',
      MetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
    });
  });

  it('keeps the tags', () => {
    expect([MANAGED_TAG, MANAGED_TAG_VALUE, PROVIDER_TAG, REVOKE_POLICY_TAG]).toEqual([
      'api-key-rotator:managed',
      'true',
      'api-key-rotator:provider',
      'api-key-rotator:revoke-previous',
    ]);
  });
});

describe('parseRateExpression', () => {
  it.each([
    ['rate(1 minute)', { amount: 1, unit: 'minute', plural: false }],
    ['rate(6 hours)', { amount: 6, unit: 'hour', plural: true }],
    ['rate(1 hours)', { amount: 1, unit: 'hour', plural: true }],
    ['rate(30 days)', { amount: 30, unit: 'day', plural: true }],
  ])('reads %s', (expression, expected) => {
    expect(parseRateExpression(expression)).toEqual(expected);
    expect(parseRateExpression(expression, { tolerateBlanks: true })).toEqual(expected);
  });

  it.each([' rate(6 hours)', 'rate( 6 hours )', 'rate(6  hours)', 'rate(6\thours)'])(
    'reads %j only when blanks are tolerated',
    (expression) => {
      expect(parseRateExpression(expression)).toBeUndefined();
      expect(parseRateExpression(expression, { tolerateBlanks: true })).toEqual({
        amount: 6,
        unit: 'hour',
        plural: true,
      });
    },
  );

  it.each([
    'rate(6 weeks)',
    'rate(six hours)',
    'rate(6hours)',
    'rate (6 hours)',
    'cron(0 6 * * ? *)',
  ])('refuses %j', (expression) => {
    expect(parseRateExpression(expression, { tolerateBlanks: true })).toBeUndefined();
  });
});

describe('parseSchedulerRate', () => {
  it('wants the singular exactly for 1, and at least 1', () => {
    expect(parseSchedulerRate('rate(1 hour)')).toEqual({ amount: 1, unit: 'hour', plural: false });
    expect(parseSchedulerRate('rate(2 days)')).toEqual({ amount: 2, unit: 'day', plural: true });
    for (const expression of [
      'rate(1 hours)',
      'rate(2 day)',
      'rate(0 minutes)',
      'rate(0 minute)',
    ]) {
      expect(parseSchedulerRate(expression)).toBeUndefined();
    }
  });
});

describe('parseCronExpression', () => {
  it('splits six fields separated by one space', () => {
    expect(parseCronExpression('cron(0 9 ? * MON#1 *)')).toEqual({
      minutes: '0',
      hours: '9',
      dayOfMonth: '?',
      month: '*',
      dayOfWeek: 'MON#1',
      year: '*',
    });
    for (const expression of ['cron(0 9 * *)', 'cron(0  9 ? * MON *)', 'rate(1 day)', 'cron()']) {
      expect(parseCronExpression(expression)).toBeUndefined();
    }
  });
});
