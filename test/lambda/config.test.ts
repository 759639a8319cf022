import { ConfigurationError, readRotatorConfig } from '../../lambda/rotation/config';
import { parseRotationEvent } from '../../lambda/rotation/event';
import { FunctionEnv } from '../../lambda/shared/contracts';

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
      [FunctionEnv.AllowedOrigins]: 'http://127.0.0.1:4010, http://127.0.0.1:4020',
      [FunctionEnv.AllowLoopbackHttp]: 'true',
      [FunctionEnv.RequireCustomerManagedKey]: 'TRUE',
      [FunctionEnv.PartnerKeySecretId]: 'polytomic/partner',
      [FunctionEnv.NotifyTopicArn]: 'arn:aws:sns:us-east-1:123456789012:rotator',
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
    const badLoopback = { [FunctionEnv.AllowLoopbackHttp]: 'yes' };
    expect(() => readRotatorConfig(badLoopback)).toThrow(ConfigurationError);
    expect(() => readRotatorConfig(badLoopback)).toThrow(FunctionEnv.AllowLoopbackHttp);
    expect(() => readRotatorConfig({ [FunctionEnv.AllowedOrigins]: 'app.polytomic.com' })).toThrow(
      FunctionEnv.AllowedOrigins,
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
