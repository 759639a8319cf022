/**
 * The overhead baseline: one Polytomic two-user rotation written as a straight script that
 * issues, in order, the same Secrets Manager, KMS and vendor calls the rotation function
 * makes, with the same clients (AWS SDK v3, undici) — and nothing else: no Lambda, no
 * logging, no metrics, no validation beyond what the next call needs.
 */
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { LocalClients } from '../local/scenarios';

interface PolytomicValue {
  apiKey: string;
  organizationId: string;
  userId: string;
  standbyUserId: string;
  baseUrl: string;
  apiVersion: string;
  partnerKeySecretId: string;
}

export class DirectRotation {
  private readonly agent = new Agent();

  constructor(private readonly clients: Pick<LocalClients, 'secrets' | 'kms'>) {}

  /** Starts the script in a child process (see direct-rotation-process.ts). */
  static fork(awsEndpointUrl: string): DirectRotationProcess {
    return new DirectRotationProcess(awsEndpointUrl);
  }

  async rotate(secretArn: string): Promise<void> {
    const token = randomUUID();
    // createSecret
    let metadata = await this.describe(secretArn);
    const currentVersionId = versionWith(metadata.versions, 'AWSCURRENT');
    await this.probeMissingVersion(secretArn, token);
    const current = JSON.parse(await this.value(secretArn, currentVersionId)) as PolytomicValue;
    const issued = await this.issueKey(current, current.standbyUserId, token);
    const pending = {
      ...current,
      apiKey: issued,
      userId: current.standbyUserId,
      standbyUserId: current.userId,
    };
    await this.clients.secrets.send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        ClientRequestToken: token,
        SecretString: JSON.stringify(pending),
        VersionStages: ['AWSPENDING'],
      }),
    );
    // setSecret
    await this.describe(secretArn);
    // testSecret
    await this.describe(secretArn);
    const tested = JSON.parse(await this.value(secretArn, token)) as PolytomicValue;
    await this.identity(tested);
    // finishSecret: re-read the pending version, read the replaced one, and make sure the key
    // before it (AWSPREVIOUS) is dead, as the function does, before promoting.
    metadata = await this.describe(secretArn);
    await this.value(secretArn, token);
    const replaced = JSON.parse(await this.value(secretArn, currentVersionId)) as PolytomicValue;
    const olderVersionId = findVersionWith(metadata.versions, 'AWSPREVIOUS');
    if (olderVersionId !== undefined) {
      const older = JSON.parse(await this.value(secretArn, olderVersionId)) as PolytomicValue;
      await this.identity(older, { expectRejected: true });
    }
    await this.clients.secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretArn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: versionWith(metadata.versions, 'AWSCURRENT'),
      }),
    );
    // Revocation by forced re-issue; the new value is dropped unseen.
    await this.issueKey(replaced, replaced.userId, `${token}-revoke`);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** DescribeSecret and, as each step does, DescribeKey on the secret's key. */
  private async describe(secretArn: string): Promise<{ versions: Record<string, string[]> }> {
    const output = await this.clients.secrets.send(
      new DescribeSecretCommand({ SecretId: secretArn }),
    );
    await this.clients.kms.send(new DescribeKeyCommand({ KeyId: output.KmsKeyId }));
    return { versions: output.VersionIdsToStages ?? {} };
  }

  private async probeMissingVersion(secretArn: string, versionId: string): Promise<void> {
    try {
      await this.value(secretArn, versionId);
      throw new Error('the new version already has a value');
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }

  private async value(secretId: string, versionId?: string): Promise<string> {
    const output = await this.clients.secrets.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }),
    );
    if (output.SecretString === undefined) throw new Error(`${secretId} has no SecretString`);
    return output.SecretString;
  }

  private async issueKey(
    secret: PolytomicValue,
    userId: string,
    idempotencyKey: string,
  ): Promise<string> {
    const partner = JSON.parse(await this.value(secret.partnerKeySecretId)) as {
      partnerKey: string;
    };
    const url = new URL(
      `/api/organizations/${secret.organizationId}/users/${userId}/keys?force=true`,
      secret.baseUrl,
    );
    const response = await request(url, {
      dispatcher: this.agent,
      method: 'POST',
      headers: {
        ...headers(secret, partner.partnerKey),
        'Idempotency-Key': idempotencyKey,
      },
    });
    const body = (await response.body.json()) as { data?: { value?: string } };
    const value = body.data?.value;
    if (response.statusCode !== 200 || value === undefined) {
      throw new Error(`key issue answered ${response.statusCode}`);
    }
    return value;
  }

  /** GET /api/me: the key must authenticate as its user, or (`expectRejected`) be refused. */
  private async identity(
    secret: PolytomicValue,
    { expectRejected = false }: { expectRejected?: boolean } = {},
  ): Promise<void> {
    const response = await request(new URL('/api/me', secret.baseUrl), {
      dispatcher: this.agent,
      headers: headers(secret, secret.apiKey),
    });
    const body = (await response.body.json()) as { data?: { id?: string } };
    const accepted = response.statusCode === 200 && body.data?.id === secret.userId;
    if (accepted === expectRejected) {
      throw new Error(`identity check answered ${response.statusCode}`);
    }
  }
}

function headers(secret: PolytomicValue, bearer: string): Record<string, string> {
  return {
    Authorization: `Bearer ${bearer}`,
    Accept: 'application/json',
    'X-Polytomic-Version': secret.apiVersion,
  };
}

function findVersionWith(versions: Record<string, string[]>, label: string): string | undefined {
  return Object.keys(versions).find((versionId) => versions[versionId]?.includes(label));
}

function versionWith(versions: Record<string, string[]>, label: string): string {
  const id = findVersionWith(versions, label);
  if (id === undefined) throw new Error(`no version is ${label}`);
  return id;
}

/** DirectRotation in a child process; one rotation at a time. */
export class DirectRotationProcess {
  private readonly child: ChildProcess;

  constructor(awsEndpointUrl: string) {
    this.child = fork(join(__dirname, 'direct-rotation-process.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { PATH: process.env.PATH ?? '', BENCH_AWS_ENDPOINT: awsEndpointUrl },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
  }

  rotate(secretArn: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void =>
        reject(new Error(`the direct rotation process exited (${code ?? 'signal'})`));
      this.child.once('exit', onExit);
      this.child.once('message', (reply: { ok: boolean; error?: string }) => {
        this.child.off('exit', onExit);
        if (reply.ok) resolve();
        else reject(new Error(`direct rotation failed: ${reply.error ?? ''}`));
      });
      this.child.send({ secretArn });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }
}
