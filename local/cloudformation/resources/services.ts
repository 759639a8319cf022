/**
 * Lambda, EventBridge Scheduler, SNS, EventBridge rules, CloudWatch and CloudWatch Logs resources.
 * Each call is authorized for the CloudFormation execution role with the action CloudFormation's
 * handler needs (the resource type's "Permissions" in the CloudFormation resource reference),
 * including `iam:PassRole` where a resource hands a role to a service.
 */
import type { AwsEmulator } from '../../aws';
import type { Principal } from '../../aws/authorization';
import type { FileAsset } from '../template';
import { lambdaCodeFile } from '../template';
import { ResourceProperties, UnsupportedPropertyError, type JsonRecord } from './properties';
import type { ResourceHandlerMap } from './types';

interface ServiceDependencies {
  readonly emulator: AwsEmulator;
  readonly deployer: Principal;
  /** The cloud assembly's file assets, by object key: where Lambda code comes from. */
  readonly assets: ReadonlyMap<string, FileAsset>;
}

/** The name part of a Lambda function ARN (or the name itself). */
function functionNameOf(nameOrArn: string): string {
  const match = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:([^:]+)(?::.*)?$/.exec(nameOrArn);
  return match ? match[1] : nameOrArn;
}

function xmlField(xml: string, field: string): string {
  const match = new RegExp(`<${field}>([^<]*)</${field}>`).exec(xml);
  if (!match) throw new Error(`The SNS answer has no ${field}`);
  return match[1];
}

export function serviceResourceHandlers({
  emulator,
  deployer,
  assets,
}: ServiceDependencies): ResourceHandlerMap {
  const { accountId, region } = emulator;
  const authorize = (action: string, resource: string): Promise<void> =>
    emulator.authorizer.authorize({ principal: deployer, action, resource });
  const sns = (params: Record<string, string>): Promise<string> =>
    emulator.sns.handleAs(deployer, new URLSearchParams(params));

  return {
    // AWS::Lambda::Function: Ref is the name; Fn::GetAtt Arn. The code is the assembly's asset.
    'AWS::Lambda::Function': {
      async create({ properties, physicalNameHint }) {
        const props = new ResourceProperties(
          properties,
          [
            'Code',
            'Handler',
            'Role',
            'Runtime',
            'Environment',
            'Timeout',
            'MemorySize',
            'ReservedConcurrentExecutions',
            'LoggingConfig',
            'FunctionName',
            'Description',
          ],
          // Bundled JavaScript runs the same on either architecture; X-Ray is not emulated.
          ['Architectures', 'TracingConfig', 'Tags'],
        );
        const runtime = props.string('Runtime');
        if (!/^nodejs\d+\.x$/.test(runtime)) {
          throw new UnsupportedPropertyError(`Runtime ${runtime} is not a Node.js runtime`);
        }
        const handler = props.string('Handler');
        const file = lambdaCodeFile(props.object('Code'), assets, handler);
        const environment = props.optionalObject('Environment');
        if (environment) props.onlyKeys('Environment', environment, ['Variables']);
        const variables = (environment?.Variables ?? {}) as Record<string, string>;
        const logging = props.optionalObject('LoggingConfig');
        if (logging) props.onlyKeys('LoggingConfig', logging, ['LogFormat', 'LogGroup']);
        const name = props.optionalString('FunctionName') ?? physicalNameHint;
        const arn = `arn:aws:lambda:${region}:${accountId}:function:${name}`;
        const roleArn = props.string('Role');
        await authorize('lambda:CreateFunction', arn);
        await authorize('iam:PassRole', roleArn);
        await emulator.lambda.createFunction({
          name,
          roleArn,
          file,
          handlerExport: handler.slice(handler.lastIndexOf('.') + 1),
          environment: variables,
          timeoutSeconds: props.optionalNumber('Timeout'),
          memoryMb: props.optionalNumber('MemorySize'),
          reservedConcurrency: props.optionalNumber('ReservedConcurrentExecutions'),
          logGroupName: typeof logging?.LogGroup === 'string' ? logging.LogGroup : undefined,
          description: props.optionalString('Description'),
        });
        return { physicalId: name, attributes: { Arn: arn } };
      },
    },

    // AWS::Lambda::Permission: a statement of the function policy.
    'AWS::Lambda::Permission': {
      async create({ properties, physicalNameHint }) {
        const props = new ResourceProperties(properties, [
          'Action',
          'FunctionName',
          'Principal',
          'SourceArn',
          'SourceAccount',
        ]);
        const functionName = functionNameOf(props.string('FunctionName'));
        await authorize(
          'lambda:AddPermission',
          `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
        );
        const statementId = physicalNameHint.replace(/[^a-zA-Z0-9-_]/g, '').slice(0, 100);
        emulator.lambda.addPermission({
          functionName,
          statementId,
          action: props.string('Action'),
          principal: props.string('Principal'),
          sourceArn: props.optionalString('SourceArn'),
          sourceAccount: props.optionalString('SourceAccount'),
        });
        return { physicalId: statementId, attributes: {} };
      },
    },

    // AWS::Lambda::EventInvokeConfig: retries of asynchronous invocations.
    'AWS::Lambda::EventInvokeConfig': {
      async create({ properties }) {
        const props = new ResourceProperties(properties, [
          'FunctionName',
          'Qualifier',
          'MaximumRetryAttempts',
          'MaximumEventAgeInSeconds',
        ]);
        const functionName = functionNameOf(props.string('FunctionName'));
        await authorize(
          'lambda:PutFunctionEventInvokeConfig',
          `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
        );
        const config = emulator.lambda.putEventInvokeConfig({
          functionName,
          qualifier: props.optionalString('Qualifier'),
          maximumRetryAttempts: props.optionalNumber('MaximumRetryAttempts'),
          maximumEventAgeInSeconds: props.optionalNumber('MaximumEventAgeInSeconds'),
        });
        return { physicalId: `${functionName}:${config.qualifier}`, attributes: {} };
      },
    },

    // AWS::Scheduler::Schedule: Fn::GetAtt Arn.
    'AWS::Scheduler::Schedule': {
      async create({ properties, physicalNameHint }) {
        const props = new ResourceProperties(properties, [
          'Name',
          'GroupName',
          'Description',
          'ScheduleExpression',
          'ScheduleExpressionTimezone',
          'State',
          'FlexibleTimeWindow',
          'Target',
        ]);
        const target = props.object('Target');
        props.onlyKeys('Target', target, ['Arn', 'RoleArn', 'Input', 'RetryPolicy']);
        const window = props.object('FlexibleTimeWindow');
        const retry = target.RetryPolicy as JsonRecord | undefined;
        const name = props.optionalString('Name') ?? physicalNameHint;
        await authorize(
          'scheduler:CreateSchedule',
          `arn:aws:scheduler:${region}:${accountId}:schedule/${props.optionalString('GroupName') ?? 'default'}/${name}`,
        );
        await authorize('iam:PassRole', String(target.RoleArn));
        const { arn } = emulator.scheduler.createSchedule({
          name,
          groupName: props.optionalString('GroupName'),
          scheduleExpression: props.string('ScheduleExpression'),
          scheduleExpressionTimezone: props.optionalString('ScheduleExpressionTimezone'),
          state: props.optionalString('State') === 'DISABLED' ? 'DISABLED' : 'ENABLED',
          description: props.optionalString('Description'),
          flexibleTimeWindow: {
            mode: window.Mode === 'FLEXIBLE' ? 'FLEXIBLE' : 'OFF',
            maximumWindowInMinutes:
              window.MaximumWindowInMinutes === undefined
                ? undefined
                : Number(window.MaximumWindowInMinutes),
          },
          target: {
            arn: String(target.Arn),
            roleArn: String(target.RoleArn),
            input: typeof target.Input === 'string' ? target.Input : undefined,
            retryPolicy: retry && {
              maximumEventAgeInSeconds:
                retry.MaximumEventAgeInSeconds === undefined
                  ? undefined
                  : Number(retry.MaximumEventAgeInSeconds),
              maximumRetryAttempts:
                retry.MaximumRetryAttempts === undefined
                  ? undefined
                  : Number(retry.MaximumRetryAttempts),
            },
          },
        });
        return { physicalId: name, attributes: { Arn: arn } };
      },
    },

    // AWS::SNS::Topic: Ref is the ARN; Fn::GetAtt TopicArn and TopicName.
    'AWS::SNS::Topic': {
      async create({ properties, physicalNameHint }) {
        const props = new ResourceProperties(
          properties,
          ['TopicName', 'DisplayName', 'KmsMasterKeyId'],
          ['Tags'],
        );
        const name = props.optionalString('TopicName') ?? physicalNameHint.slice(0, 256);
        const attributes: [string, string][] = [];
        const displayName = props.optionalString('DisplayName');
        const kmsKey = props.optionalString('KmsMasterKeyId');
        if (displayName !== undefined) attributes.push(['DisplayName', displayName]);
        if (kmsKey !== undefined) attributes.push(['KmsMasterKeyId', kmsKey]);
        const params: Record<string, string> = { Action: 'CreateTopic', Name: name };
        attributes.forEach(([key, value], index) => {
          params[`Attributes.entry.${index + 1}.key`] = key;
          params[`Attributes.entry.${index + 1}.value`] = value;
        });
        const arn = xmlField(await sns(params), 'TopicArn');
        return { physicalId: arn, attributes: { TopicArn: arn, TopicName: name } };
      },
    },

    // AWS::SNS::TopicPolicy: replaces each topic's access policy.
    'AWS::SNS::TopicPolicy': {
      async create({ properties, physicalNameHint }) {
        const props = new ResourceProperties(properties, ['PolicyDocument', 'Topics']);
        const policy = JSON.stringify(props.object('PolicyDocument'));
        for (const topicArn of props.stringList('Topics')) {
          await sns({
            Action: 'SetTopicAttributes',
            TopicArn: topicArn,
            AttributeName: 'Policy',
            AttributeValue: policy,
          });
        }
        emulator.authorizer.invalidate();
        return { physicalId: physicalNameHint, attributes: {} };
      },
    },

    // AWS::SNS::Subscription: Ref is the subscription ARN.
    'AWS::SNS::Subscription': {
      async create({ properties }) {
        const props = new ResourceProperties(properties, ['TopicArn', 'Protocol', 'Endpoint']);
        const xml = await sns({
          Action: 'Subscribe',
          TopicArn: props.string('TopicArn'),
          Protocol: props.string('Protocol'),
          Endpoint: props.string('Endpoint'),
        });
        const arn = xmlField(xml, 'SubscriptionArn');
        return { physicalId: arn, attributes: {} };
      },
    },

    // AWS::Events::Rule on the default bus: Ref is the name; Fn::GetAtt Arn.
    'AWS::Events::Rule': {
      async create({ properties, physicalNameHint }) {
        const props = new ResourceProperties(properties, [
          'Name',
          'Description',
          'EventPattern',
          'State',
          'Targets',
          'EventBusName',
        ]);
        const name = props.optionalString('Name') ?? physicalNameHint;
        await authorize('events:PutRule', `arn:aws:events:${region}:${accountId}:rule/${name}`);
        const arn = emulator.events.putRule({
          name,
          description: props.optionalString('Description'),
          eventPattern: props.object('EventPattern'),
          state: props.optionalString('State') === 'DISABLED' ? 'DISABLED' : 'ENABLED',
          eventBusName: props.optionalString('EventBusName'),
        });
        const targets = (props.optionalList('Targets') ?? []).map((target) => {
          const { Id, Arn, Input, ...rest } = target as JsonRecord;
          if (Object.keys(rest).length > 0) {
            throw new UnsupportedPropertyError(
              `the local world does not emulate Targets[].${Object.keys(rest).join(', Targets[].')}`,
            );
          }
          return {
            id: String(Id),
            arn: String(Arn),
            ...(typeof Input === 'string' ? { input: Input } : {}),
          };
        });
        await authorize('events:PutTargets', arn);
        emulator.events.putTargets(name, targets);
        return { physicalId: name, attributes: { Arn: arn } };
      },
    },

    // AWS::CloudWatch::Alarm: Ref is the name; Fn::GetAtt Arn.
    'AWS::CloudWatch::Alarm': {
      async create({ properties, physicalNameHint }) {
        await authorize(
          'cloudwatch:PutMetricAlarm',
          `arn:aws:cloudwatch:${region}:${accountId}:alarm:${typeof properties.AlarmName === 'string' ? properties.AlarmName : physicalNameHint}`,
        );
        try {
          const alarm = emulator.cloudwatch.putMetricAlarm(properties, {
            generatedName: physicalNameHint,
          });
          return { physicalId: alarm.name, attributes: { Arn: alarm.arn } };
        } catch (error) {
          throw new UnsupportedPropertyError(`${(error as Error).message}`);
        }
      },
    },

    // AWS::CloudWatch::Dashboard: recorded; Ref is the name.
    'AWS::CloudWatch::Dashboard': {
      async create({ properties, physicalNameHint }) {
        const props = new ResourceProperties(properties, ['DashboardName', 'DashboardBody']);
        const name = props.optionalString('DashboardName') ?? physicalNameHint;
        await authorize(
          'cloudwatch:PutDashboard',
          `arn:aws:cloudwatch::${accountId}:dashboard/${name}`,
        );
        emulator.dashboards.putDashboard(name, props.string('DashboardBody'));
        return { physicalId: name, attributes: {} };
      },
    },

    // AWS::Logs::LogGroup: Ref is the name; Fn::GetAtt Arn (with the trailing `:*`).
    'AWS::Logs::LogGroup': {
      async create({ properties, physicalNameHint }) {
        const props = new ResourceProperties(
          properties,
          ['LogGroupName', 'RetentionInDays'],
          ['Tags'],
        );
        const name = props.optionalString('LogGroupName') ?? physicalNameHint;
        await authorize(
          'logs:CreateLogGroup',
          `arn:aws:logs:${region}:${accountId}:log-group:${name}:*`,
        );
        const group = emulator.logs.createLogGroup({
          logGroupName: name,
          retentionInDays: props.optionalNumber('RetentionInDays'),
        });
        return { physicalId: group.name, attributes: { Arn: group.arn } };
      },
    },
  };
}
