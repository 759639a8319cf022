import { AwsError } from '../../../local/aws/errors';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import type { AwsEmulator } from '../../../local/aws';
import type { FunctionInvoker, InvokeResult, RotationEvent } from '../../../local/aws/types';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * These suites test the APIs' behaviour, not who may call them: callers act as the account's
 * administrator, and key, secret and topic policies still apply.
 */
export const API_BEHAVIOUR_SUITE =
  "tests of the APIs' behaviour, not of who may call them (test/local/aws/helpers.ts)";

export interface Clients {
  sm: SecretsManagerClient;
  kms: KMSClient;
  sns: SNSClient;
  destroy(): void;
}

/** Real SDK clients pointed at the emulator, optionally with another access key id. */
export function clientsFor(emulator: AwsEmulator, accessKeyId = credentials.accessKeyId): Clients {
  const config = {
    endpoint: emulator.url,
    region: emulator.region,
    credentials: { ...credentials, accessKeyId },
    maxAttempts: 1,
  };
  const sm = new SecretsManagerClient(config);
  const kms = new KMSClient(config);
  const sns = new SNSClient(config);
  return {
    sm,
    kms,
    sns,
    destroy: () => {
      sm.destroy();
      kms.destroy();
      sns.destroy();
    },
  };
}

/** The error name an SDK call rejects with. */
export async function errorName(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return (error as Error).name;
  }
  throw new Error('expected the call to fail');
}

/** The error an SDK call rejects with. */
export async function rejection(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

export type StepHandler = (event: RotationEvent) => Promise<void> | void;

/** An invoker that records events and runs `handler` for each, turning throws into failed invocations. */
export class RecordingInvoker implements FunctionInvoker {
  readonly events: { functionName: string; event: RotationEvent }[] = [];
  constructor(private handler: StepHandler = () => undefined) {}

  setHandler(handler: StepHandler): void {
    this.handler = handler;
  }

  async invoke(functionArnOrName: string, event: unknown): Promise<InvokeResult> {
    const rotationEvent = event as RotationEvent;
    this.events.push({ functionName: functionArnOrName, event: rotationEvent });
    try {
      await this.handler(rotationEvent);
      return { ok: true, durationMs: 1 };
    } catch (error) {
      const failure = error as Error;
      return { ok: false, errorType: failure.name, errorMessage: failure.message, durationMs: 1 };
    }
  }
}

/** The four steps of Secrets Manager's rotation template, against the emulator. */
export async function templateStep(sm: SecretsManagerClient, event: RotationEvent): Promise<void> {
  const { SecretId, ClientRequestToken: token } = event;
  if (event.Step === 'createSecret') {
    try {
      await sm.send(
        new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      const current = await sm.send(
        new GetSecretValueCommand({ SecretId, VersionStage: 'AWSCURRENT' }),
      );
      await sm.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken: token,
          SecretString: `${current.SecretString}+`,
          VersionStages: ['AWSPENDING'],
          RotationToken: event.RotationToken,
        }),
      );
    }
  } else if (event.Step === 'testSecret') {
    await sm.send(
      new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }),
    );
  } else if (event.Step === 'finishSecret') {
    const stages =
      (await sm.send(new DescribeSecretCommand({ SecretId }))).VersionIdsToStages ?? {};
    const current = Object.keys(stages).find((id) => stages[id].includes('AWSCURRENT'));
    if (current === token) return;
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: current,
      }),
    );
  }
}

/** What a call throws (undefined when it does not), for matching an error's type. */
export function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The AwsError a call throws. */
export function thrownBy(call: () => unknown): AwsError {
  try {
    call();
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error('expected the call to throw');
}

/** The AwsError a call rejects with. */
export async function awsErrorOf(call: Promise<unknown>): Promise<AwsError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
