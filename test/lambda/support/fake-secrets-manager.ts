import type { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

interface Version {
  value: string | undefined;
  stages: Set<string>;
}

interface Secret {
  arn: string;
  rotationEnabled: boolean;
  kmsKeyId: string | undefined;
  versions: Map<string, Version>;
}

type Command =
  | DescribeSecretCommand
  | GetSecretValueCommand
  | PutSecretValueCommand
  | UpdateSecretVersionStageCommand;

const metadata = { $metadata: {} };

/**
 * An in-memory Secrets Manager with the staging-label rules rotation relies on: one version per
 * label, AWSPREVIOUS follows AWSCURRENT, PutSecretValue is idempotent per token and value.
 */
export class FakeSecretsManager {
  readonly calls: { command: string; secretId: string; input: Record<string, unknown> }[] = [];
  private readonly secrets = new Map<string, Secret>();
  private readonly failures: { command: string; error: Error }[] = [];
  private versionCounter = 0;
  private sdkClient: SecretsManagerClient | undefined;

  /**
   * The value to hand to code that wants a SecretsManagerClient: a real one (the SDK's paginators
   * accept nothing else) whose calls this fake answers.
   */
  get client(): SecretsManagerClient {
    if (this.sdkClient === undefined) {
      this.sdkClient = new SecretsManagerClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
      });
      this.sdkClient.send = ((command: Command) =>
        this.send(command)) as SecretsManagerClient['send'];
    }
    return this.sdkClient;
  }

  addSecret(
    name: string,
    value: string,
    options: { rotationEnabled?: boolean; kmsKeyId?: string } = {},
  ): string {
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`;
    this.secrets.set(arn, {
      arn,
      rotationEnabled: options.rotationEnabled ?? true,
      kmsKeyId: options.kmsKeyId,
      versions: new Map([[this.nextVersionId(), { value, stages: new Set(['AWSCURRENT']) }]]),
    });
    return arn;
  }

  /** What RotateSecret does before calling the function: a valueless version under AWSPENDING. */
  startRotation(arn: string, token: string): void {
    const secret = this.secret(arn);
    this.takeLabel(secret, 'AWSPENDING');
    secret.versions.set(token, { value: undefined, stages: new Set(['AWSPENDING']) });
  }

  /** What `api-key-rotator stage` does: a version under the STAGED label. */
  stage(arn: string, value: string): string {
    const secret = this.secret(arn);
    this.takeLabel(secret, 'STAGED');
    const id = this.nextVersionId();
    secret.versions.set(id, { value, stages: new Set(['STAGED']) });
    return id;
  }

  /** Makes the next call of `command` throw `error` (once). */
  failNext(command: string, error: Error): void {
    this.failures.push({ command, error });
  }

  valueOf(arn: string, label: string): string | undefined {
    return [...this.secret(arn).versions.values()].find((v) => v.stages.has(label))?.value;
  }

  versionIdOf(arn: string, label: string): string | undefined {
    return [...this.secret(arn).versions.entries()].find(([, v]) => v.stages.has(label))?.[0];
  }

  /** Every value ever stored for the secret. */
  allValues(arn: string): string[] {
    return [...this.secret(arn).versions.values()].flatMap((v) =>
      v.value === undefined ? [] : [v.value],
    );
  }

  async send(command: Command): Promise<unknown> {
    const name = command.constructor.name;
    this.calls.push({
      command: name,
      secretId: command.input.SecretId ?? '',
      input: { ...command.input },
    });
    const failure = this.failures.findIndex((f) => f.command === name);
    if (failure >= 0) throw this.failures.splice(failure, 1)[0].error;
    await Promise.resolve(); // answer asynchronously, like the SDK
    return this.dispatch(command);
  }

  private dispatch(command: Command): unknown {
    if (command instanceof DescribeSecretCommand) {
      const secret = this.secret(command.input.SecretId!);
      return {
        ARN: secret.arn,
        RotationEnabled: secret.rotationEnabled,
        KmsKeyId: secret.kmsKeyId,
        VersionIdsToStages: Object.fromEntries(
          [...secret.versions.entries()]
            .filter(([, v]) => v.stages.size > 0)
            .map(([id, v]) => [id, [...v.stages]]),
        ),
      };
    }
    if (command instanceof GetSecretValueCommand) {
      const secret = this.secret(command.input.SecretId!);
      const { VersionId, VersionStage } = command.input;
      const versionId =
        VersionId ??
        [...secret.versions.entries()].find(([, v]) =>
          v.stages.has(VersionStage ?? 'AWSCURRENT'),
        )?.[0];
      const version = versionId === undefined ? undefined : secret.versions.get(versionId);
      const labelMatches = VersionStage === undefined || version?.stages.has(VersionStage) === true;
      if (version?.value === undefined || !labelMatches) {
        throw notFound("Secrets Manager can't find the specified secret value.");
      }
      return { ARN: secret.arn, VersionId: versionId, SecretString: version.value };
    }
    if (command instanceof PutSecretValueCommand) {
      const secret = this.secret(command.input.SecretId!);
      const token = command.input.ClientRequestToken!;
      const existing = secret.versions.get(token);
      if (existing?.value !== undefined) {
        if (existing.value === command.input.SecretString)
          return { ARN: secret.arn, VersionId: token };
        throw new ResourceExistsException({
          message: 'A version with this token already exists.',
          ...metadata,
        });
      }
      for (const label of command.input.VersionStages ?? ['AWSCURRENT'])
        this.takeLabel(secret, label);
      secret.versions.set(token, {
        value: command.input.SecretString,
        stages: new Set(command.input.VersionStages ?? ['AWSCURRENT']),
      });
      return { ARN: secret.arn, VersionId: token };
    }
    const secret = this.secret(command.input.SecretId!);
    const { VersionStage: label, MoveToVersionId: to, RemoveFromVersionId: from } = command.input;
    const holder = [...secret.versions.entries()].find(([, v]) => v.stages.has(label!))?.[0];
    if (holder !== undefined && holder !== to && holder !== from) {
      throw new InvalidParameterException({
        message: `The staging label ${label} is attached to another version.`,
        ...metadata,
      });
    }
    if (holder !== undefined && holder === from) secret.versions.get(from)!.stages.delete(label!);
    if (to !== undefined) {
      secret.versions.get(to)!.stages.add(label!);
      if (label === 'AWSCURRENT' && from !== undefined && from !== to) {
        this.takeLabel(secret, 'AWSPREVIOUS');
        secret.versions.get(from)!.stages.add('AWSPREVIOUS');
      }
    }
    return { ARN: secret.arn };
  }

  private secret(arn: string): Secret {
    const secret = this.secrets.get(arn);
    if (secret === undefined) throw notFound("Secrets Manager can't find the specified secret.");
    return secret;
  }

  private takeLabel(secret: Secret, label: string): void {
    for (const version of secret.versions.values()) version.stages.delete(label);
  }

  private nextVersionId(): string {
    this.versionCounter += 1;
    return `00000000-0000-4000-8000-${String(this.versionCounter).padStart(12, '0')}`;
  }
}

function notFound(message: string): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, ...metadata });
}
