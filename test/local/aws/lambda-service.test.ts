import { awsErrorOf } from './helpers';
import * as path from 'node:path';
import { Authorizer, roleSession, type PolicyDocument } from '../../../local/aws/authorization';
import { IamService, type IamState } from '../../../local/aws/iam';
import { LambdaRunner, type InvocationReport } from '../../../local/aws/lambda-runner';
import {
  LambdaService,
  emptyLambdaState,
  type LambdaState,
} from '../../../local/aws/lambda-service';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const OTHER_ACCOUNT = '999999999999';
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:polytomic/prod-AbCdEf`;
const fixture = (name: string): string => path.join(__dirname, 'fixtures', name);

function trustedBy(service: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  };
}

function allow(action: string, resource: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
  };
}

let runner: LambdaRunner;
let iam: IamService;
let iamState: IamState;
let authorizer: Authorizer;
let state: LambdaState;
let lambda: LambdaService;
let reports: { functionName: string; report: InvocationReport }[];
const echo = (event: unknown): Promise<unknown> => Promise.resolve({ received: event });

beforeEach(() => {
  reports = [];
  runner = new LambdaRunner({
    region: REGION,
    accountId: ACCOUNT,
    onInvocation: (functionName, report) => reports.push({ functionName, report }),
  });
  iamState = { roles: [], accessKeys: [] };
  iam = new IamService(iamState, ACCOUNT);
  authorizer = new Authorizer(iam);
  state = emptyLambdaState();
  lambda = new LambdaService({
    state,
    region: REGION,
    accountId: ACCOUNT,
    runner,
    iam,
    authorizer,
  });
  iam.createRole({ name: 'rotation-role', assumeRolePolicy: trustedBy('lambda.amazonaws.com') });
});

afterEach(() => runner.close());

async function createRotationFunction(): Promise<string> {
  const { arn } = await lambda.createFunction({
    name: 'rotation',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/rotation-role`,
    handler: echo,
  });
  return arn;
}

describe('CreateFunction', () => {
  test.each([
    ['ec2.amazonaws.com', false],
    ['lambda.amazonaws.com', true],
  ])('a role trusted by %s can be the execution role: %s', async (service, accepted) => {
    iam.createRole({ name: 'candidate', assumeRolePolicy: trustedBy(service) });
    const creating = lambda.createFunction({
      name: 'fn',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/candidate`,
      handler: echo,
    });
    if (accepted) {
      await expect(creating).resolves.toEqual({
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:fn`,
      });
    } else {
      const error = await awsErrorOf(creating);
      expect(error.type).toBe('InvalidParameterValueException');
      expect(error.message).toBe('The role defined for the function cannot be assumed by Lambda.');
      expect(lambda.functions()).toEqual([]);
    }
  });

  test('a missing role, a taken name and reserved variables are refused as Lambda refuses them', async () => {
    expect(
      (
        await awsErrorOf(
          lambda.createFunction({
            name: 'fn',
            roleArn: `arn:aws:iam::${ACCOUNT}:role/nobody`,
            handler: echo,
          }),
        )
      ).type,
    ).toBe('InvalidParameterValueException');
    await createRotationFunction();
    const taken = await awsErrorOf(createRotationFunction());
    expect([taken.type, taken.statusCode, taken.message]).toEqual([
      'ResourceConflictException',
      409,
      'Function already exist: rotation',
    ]);
    const reserved = await awsErrorOf(
      lambda.createFunction({
        name: 'other',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/rotation-role`,
        handler: echo,
        environment: { AWS_REGION: 'eu-west-1' },
      }),
    );
    expect(reserved.type).toBe('InvalidParameterValueException');
    expect(reserved.message).toContain('Reserved keys used in this request: AWS_REGION');
  });

  test('a bundled function runs with a session of its execution role and its log group', async () => {
    const { arn } = await lambda.createFunction({
      name: 'probe',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/rotation-role`,
      file: fixture('env-context.js'),
      logGroupName: '/custom/probe',
      timeoutSeconds: 20,
      memoryMb: 256,
    });
    iam.createRole({ name: 'operator', assumeRolePolicy: trustedBy('ec2.amazonaws.com') });
    iam.putRolePolicy('operator', 'invoke', allow('lambda:InvokeFunction', arn));

    const result = await lambda.invoke(
      arn,
      {},
      {
        principal: roleSession(`arn:aws:iam::${ACCOUNT}:role/operator`),
      },
    );
    expect(result.ok).toBe(true);
    const { env } = result.payload as { env: Record<string, string> };
    expect(iam.principalOf(env.AWS_ACCESS_KEY_ID)).toEqual(
      roleSession(`arn:aws:iam::${ACCOUNT}:role/rotation-role`, 'probe'),
    );
    expect(env.AWS_SECRET_ACCESS_KEY).not.toMatch(/^local-lambda-/);
    expect(env.AWS_SESSION_TOKEN).not.toMatch(/^local-lambda-/);
    expect(env.AWS_LAMBDA_LOG_GROUP_NAME).toBe('/custom/probe');
    expect(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE).toBe('256');
    expect(lambda.functions()).toEqual([
      {
        name: 'probe',
        arn,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/rotation-role`,
        environment: {},
        timeoutSeconds: 20,
        memoryMb: 256,
        logGroupName: '/custom/probe',
      },
    ]);
  });

  test('a LambdaService built on a restored state registers the bundled functions again', async () => {
    await lambda.createFunction({
      name: 'probe',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/rotation-role`,
      file: fixture('succeed.js'),
    });
    await createRotationFunction();
    const restored: LambdaState = JSON.parse(JSON.stringify(state)) as LambdaState;
    const nextRunner = new LambdaRunner({ region: REGION, accountId: ACCOUNT });
    try {
      const next = new LambdaService({
        state: restored,
        region: REGION,
        accountId: ACCOUNT,
        runner: nextRunner,
        iam,
        authorizer,
      });
      // In-process handlers are not in the state file.
      expect(next.functions().map((fn) => fn.name)).toEqual(['probe']);
      iam.createRole({ name: 'operator', assumeRolePolicy: trustedBy('ec2.amazonaws.com') });
      iam.putRolePolicy('operator', 'invoke', allow('lambda:InvokeFunction', '*'));
      const result = await next.invoke(
        'probe',
        {},
        {
          principal: roleSession(`arn:aws:iam::${ACCOUNT}:role/operator`),
        },
      );
      expect(result.ok).toBe(true);
    } finally {
      await nextRunner.close();
    }
  });
});

describe('AddPermission and Invoke', () => {
  test('AddPermission writes the statement Lambda writes', async () => {
    const arn = await createRotationFunction();
    lambda.addPermission({
      functionName: 'rotation',
      statementId: 'SecretsManagerInvoke',
      action: 'lambda:InvokeFunction',
      principal: 'secretsmanager.amazonaws.com',
      sourceArn: SECRET_ARN,
      sourceAccount: ACCOUNT,
    });
    lambda.addPermission({
      functionName: arn,
      statementId: 'xaccount',
      action: 'lambda:InvokeFunction',
      principal: OTHER_ACCOUNT,
    });
    expect(lambda.getPolicy('rotation')).toEqual({
      Version: '2012-10-17',
      Id: 'default',
      Statement: [
        {
          Sid: 'SecretsManagerInvoke',
          Effect: 'Allow',
          Principal: { Service: 'secretsmanager.amazonaws.com' },
          Action: 'lambda:InvokeFunction',
          Resource: arn,
          Condition: {
            StringEquals: { 'AWS:SourceAccount': ACCOUNT },
            ArnLike: { 'AWS:SourceArn': SECRET_ARN },
          },
        },
        {
          Sid: 'xaccount',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` },
          Action: 'lambda:InvokeFunction',
          Resource: arn,
        },
      ],
    });
    expect(
      (
        await awsErrorOf(
          Promise.resolve().then(() =>
            lambda.addPermission({
              functionName: 'rotation',
              statementId: 'xaccount',
              action: 'lambda:InvokeFunction',
              principal: OTHER_ACCOUNT,
            }),
          ),
        )
      ).type,
    ).toBe('ResourceConflictException');
  });

  describe('as secretsmanager.amazonaws.com', () => {
    const rotationEvent = (secretId: string): Record<string, string> => ({
      Step: 'createSecret',
      SecretId: secretId,
      ClientRequestToken: 'token',
    });

    test('is denied until the function policy allows Secrets Manager for this secret and account', async () => {
      const arn = await createRotationFunction();
      const invoke = (source: { sourceArn?: string; sourceAccount?: string }): Promise<unknown> =>
        lambda.invokeAsService(
          'secretsmanager.amazonaws.com',
          arn,
          rotationEvent(SECRET_ARN),
          source,
        );

      const denied = await awsErrorOf(invoke({ sourceArn: SECRET_ARN, sourceAccount: ACCOUNT }));
      expect([denied.type, denied.statusCode, denied.message]).toEqual([
        'AccessDeniedException',
        403,
        `User: secretsmanager.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: ${arn} because no resource-based policy allows the lambda:InvokeFunction action`,
      ]);

      lambda.addPermission({
        functionName: 'rotation',
        statementId: 'SecretsManagerInvoke',
        action: 'lambda:InvokeFunction',
        principal: 'secretsmanager.amazonaws.com',
        sourceArn: SECRET_ARN,
        sourceAccount: ACCOUNT,
      });
      await expect(
        invoke({ sourceArn: SECRET_ARN, sourceAccount: ACCOUNT }),
      ).resolves.toMatchObject({
        ok: true,
        payload: { received: rotationEvent(SECRET_ARN) },
      });
      // The same statement refuses another secret, another account, and a call without a source.
      const otherSecret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:poelis/prod-XyZ123`;
      for (const source of [
        { sourceArn: otherSecret, sourceAccount: ACCOUNT },
        { sourceArn: SECRET_ARN, sourceAccount: OTHER_ACCOUNT },
        {},
      ]) {
        expect((await awsErrorOf(invoke(source))).type).toBe('AccessDeniedException');
      }
    });

    test('the Secrets Manager invoker passes the secret of each event as aws:SourceArn', async () => {
      const arn = await createRotationFunction();
      lambda.addPermission({
        functionName: 'rotation',
        statementId: 'SecretsManagerInvoke',
        action: 'lambda:InvokeFunction',
        principal: 'secretsmanager.amazonaws.com',
        sourceArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:polytomic/*`,
        sourceAccount: ACCOUNT,
      });
      const invoker = lambda.secretsManagerInvoker();
      await expect(invoker.invoke(arn, rotationEvent(SECRET_ARN))).resolves.toMatchObject({
        ok: true,
      });
      const other = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:poelis/prod-XyZ123`;
      expect((await awsErrorOf(invoker.invoke(arn, rotationEvent(other)))).type).toBe(
        'AccessDeniedException',
      );
    });
  });

  test('a role of another account with lambda:InvokeFunction on * needs the function policy too', async () => {
    const arn = await createRotationFunction();
    iam.createRole({
      name: 'intruder',
      accountId: OTHER_ACCOUNT,
      assumeRolePolicy: trustedBy('ec2.amazonaws.com'),
    });
    const intruderRole = `arn:aws:iam::${OTHER_ACCOUNT}:role/intruder`;
    iam.putRolePolicy(intruderRole, 'invoke-anything', allow('lambda:InvokeFunction', '*'));
    const invoke = (): Promise<unknown> =>
      lambda.invoke(arn, {}, { principal: roleSession(intruderRole, 'session') });

    const denied = await awsErrorOf(invoke());
    expect([denied.type, denied.statusCode]).toEqual(['AccessDeniedException', 403]);
    expect(denied.message).toBe(
      `User: arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/intruder/session is not authorized to perform: lambda:InvokeFunction on resource: ${arn} because no resource-based policy allows the lambda:InvokeFunction action`,
    );
    expect(reports).toEqual([]);

    lambda.addPermission({
      functionName: 'rotation',
      statementId: 'xaccount',
      action: 'lambda:InvokeFunction',
      principal: OTHER_ACCOUNT,
    });
    await expect(invoke()).resolves.toMatchObject({ ok: true });
  });

  test('a role of the same account needs an identity policy that allows the call', async () => {
    const arn = await createRotationFunction();
    iam.createRole({ name: 'operator', assumeRolePolicy: trustedBy('ec2.amazonaws.com') });
    const invoke = (): Promise<unknown> =>
      lambda.invoke(
        `${arn}:$LATEST`,
        { n: 1 },
        {
          principal: roleSession(`arn:aws:iam::${ACCOUNT}:role/operator`),
        },
      );
    const denied = await awsErrorOf(invoke());
    expect(denied.message).toContain('because no identity-based policy allows');
    iam.putRolePolicy('operator', 'invoke', allow('lambda:InvokeFunction', arn));
    await expect(invoke()).resolves.toMatchObject({ ok: true, payload: { received: { n: 1 } } });
    expect(reports).toEqual([
      {
        functionName: 'rotation',
        report: expect.objectContaining({ ok: true, throttled: false }) as unknown,
      },
    ]);
  });

  test('an unknown function, region or qualifier is ResourceNotFoundException', async () => {
    const arn = await createRotationFunction();
    const caller = { principal: roleSession(`arn:aws:iam::${ACCOUNT}:role/rotation-role`) };
    for (const target of [
      'missing',
      `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:rotation`,
      `arn:aws:lambda:${REGION}:${OTHER_ACCOUNT}:function:rotation`,
      `${arn}:live`,
    ]) {
      const error = await awsErrorOf(lambda.invoke(target, {}, caller));
      expect([error.type, error.statusCode]).toEqual(['ResourceNotFoundException', 404]);
    }
    expect((await awsErrorOf(lambda.invoke('missing', {}, caller))).message).toBe(
      `Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:missing`,
    );
  });
});

describe('event invoke config', () => {
  test('is recorded, and an asynchronous invocation retries a failing function that many times', async () => {
    let calls = 0;
    const { arn } = await lambda.createFunction({
      name: 'flaky',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/rotation-role`,
      handler: () => {
        calls += 1;
        return Promise.reject(new Error('boom'));
      },
    });
    lambda.addPermission({
      functionName: 'flaky',
      statementId: 'sns',
      action: 'lambda:InvokeFunction',
      principal: 'sns.amazonaws.com',
    });
    const caller = { principal: { kind: 'service', service: 'sns.amazonaws.com' } as const };

    await expect(lambda.invokeEvent(arn, {}, caller)).resolves.toMatchObject({
      ok: false,
      errorType: 'Error',
      attempts: 3,
    });
    expect(calls).toBe(3);

    const config = lambda.putEventInvokeConfig({ functionName: 'flaky', maximumRetryAttempts: 0 });
    expect(lambda.getEventInvokeConfig('flaky')).toEqual(config);
    expect(config).toMatchObject({
      functionName: 'flaky',
      qualifier: '$LATEST',
      maximumRetryAttempts: 0,
    });
    calls = 0;
    await expect(lambda.invokeEvent(arn, {}, caller)).resolves.toMatchObject({ attempts: 1 });
    expect(calls).toBe(1);
    expect(
      (await awsErrorOf(Promise.resolve().then(() => lambda.getEventInvokeConfig('rotation-x'))))
        .type,
    ).toBe('ResourceNotFoundException');
  });
});
