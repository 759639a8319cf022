import { ConfigurationError, readRotatorConfig } from '../../lambda/rotation/config';
import { parseRotationEvent } from '../../lambda/rotation/event';

describe('readRotatorConfig', () => {
  it('has the documented defaults', () => {
    expect(readRotatorConfig({})).toEqual({
      originPolicy: {
        allowedOrigins: ['https://app.polytomic.com', 'https://api.poelis.com'],
        allowLoopbackHttp: false,
      },
      requireCustomerManagedKey: false,
      defaultPartnerKeySecretId: undefined,
      notifyTopicArn: undefined,
    });
  });

  it('reads every variable', () => {
    const config = readRotatorConfig({
      ROTATOR_ALLOWED_ORIGINS: 'http://127.0.0.1:4010, http://127.0.0.1:4020',
      ROTATOR_ALLOW_LOOPBACK_HTTP: 'true',
      ROTATOR_REQUIRE_CUSTOMER_MANAGED_KEY: 'TRUE',
      ROTATOR_PARTNER_KEY_SECRET_ID: 'polytomic/partner',
      ROTATOR_NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:rotator',
    });
    expect(config).toEqual({
      originPolicy: {
        allowedOrigins: ['http://127.0.0.1:4010', 'http://127.0.0.1:4020'],
        allowLoopbackHttp: true,
      },
      requireCustomerManagedKey: true,
      defaultPartnerKeySecretId: 'polytomic/partner',
      notifyTopicArn: 'arn:aws:sns:us-east-1:123456789012:rotator',
    });
  });

  it('names the variable it cannot use', () => {
    expect(() => readRotatorConfig({ ROTATOR_ALLOW_LOOPBACK_HTTP: 'yes' })).toThrow(
      ConfigurationError,
    );
    expect(() => readRotatorConfig({ ROTATOR_ALLOW_LOOPBACK_HTTP: 'yes' })).toThrow(
      /ROTATOR_ALLOW_LOOPBACK_HTTP/,
    );
    expect(() => readRotatorConfig({ ROTATOR_ALLOWED_ORIGINS: 'app.polytomic.com' })).toThrow(
      /ROTATOR_ALLOWED_ORIGINS/,
    );
  });
});

describe('parseRotationEvent', () => {
  it('keeps the RotationToken only when present', () => {
    const event = { Step: 'testSecret', SecretId: 'arn:x', ClientRequestToken: 't-1' };
    expect(parseRotationEvent(event)).toEqual(event);
    expect(parseRotationEvent({ ...event, RotationToken: 'r' })).toEqual({
      ...event,
      RotationToken: 'r',
    });
  });
});
