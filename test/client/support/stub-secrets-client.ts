import type {
  GetSecretValueCommand,
  GetSecretValueCommandInput,
  GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import type { SecretValueClient } from '../../../client';

/** The AWSCURRENT version the stub serves. */
export interface StubVersion {
  readonly versionId: string;
  readonly secretString?: string;
}

/**
 * A hand stub of `SecretsManagerClient.send` for GetSecretValue: serves one current version,
 * or fails, records every call, and can hold reads until released.
 */
export class StubSecretsClient implements SecretValueClient {
  public readonly calls: GetSecretValueCommandInput[] = [];
  #current: StubVersion;
  #failure: Error | undefined;
  #held: Promise<void> | undefined;

  public constructor(current: StubVersion) {
    this.#current = current;
  }

  /** A version whose value is `{"apiKey": key}`. */
  public static withKey(key: string, versionId = 'v1'): StubSecretsClient {
    return new StubSecretsClient({ versionId, secretString: JSON.stringify({ apiKey: key }) });
  }

  /** Rotates: later reads return this key under a new version id. */
  public rotateTo(key: string, versionId: string): void {
    this.#current = { versionId, secretString: JSON.stringify({ apiKey: key }) };
    this.#failure = undefined;
  }

  /** Later reads reject with this error until the next rotation or `recover()`. */
  public failWith(error: Error): void {
    this.#failure = error;
  }

  public recover(): void {
    this.#failure = undefined;
  }

  /** Reads started from now on wait until the returned function is called. */
  public hold(): () => void {
    let release!: () => void;
    this.#held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.#held = undefined;
      release();
    };
  }

  public async send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput> {
    this.calls.push(command.input);
    await this.#held;
    if (this.#failure !== undefined) throw this.#failure;
    return {
      $metadata: { httpStatusCode: 200 },
      ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${command.input.SecretId}`,
      Name: command.input.SecretId,
      VersionId: this.#current.versionId,
      SecretString: this.#current.secretString,
      VersionStages: ['AWSCURRENT'],
    };
  }
}
