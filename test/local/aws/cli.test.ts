import { execFile } from 'node:child_process';
import { startAwsEmulator, type AwsEmulator } from '../../../local/aws';
import {
  API_BEHAVIOUR_SUITE,
  clientsFor,
  RecordingInvoker,
  templateStep,
  type Clients,
} from './helpers';

interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

describe('AWS emulator driven by the AWS CLI', () => {
  let emulator: AwsEmulator;
  let clients: Clients;
  const invoker = new RecordingInvoker();

  beforeAll(async () => {
    emulator = await startAwsEmulator({
      invoker,
      administratorForUnknownKeys: API_BEHAVIOUR_SUITE,
    });
    clients = clientsFor(emulator);
    invoker.setHandler((event) => templateStep(clients.sm, event));
  });
  afterAll(async () => {
    clients.destroy();
    await emulator.close();
  });

  /** Runs `aws` asynchronously: a synchronous child would block the emulator it talks to. */
  function aws(...args: string[]): Promise<CliResult> {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'AKIACLITEST',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: emulator.region,
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_PAGER: '',
    };
    return new Promise((resolve) => {
      execFile(
        'aws',
        ['--endpoint-url', emulator.url, '--output', 'json', 'secretsmanager', ...args],
        { env },
        (error, stdout, stderr) => {
          resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  }

  async function awsJson<T>(...args: string[]): Promise<T> {
    const result = await aws(...args);
    expect(result).toMatchObject({ exitCode: 0 });
    return JSON.parse(result.stdout) as T;
  }

  it('creates, updates, stages, rotates and reads a secret', async () => {
    const created = await awsJson<{ ARN: string; VersionId: string }>(
      'create-secret',
      '--name',
      'cli/secret',
      '--secret-string',
      '{"apiKey":"one"}',
    );
    expect(created.ARN).toMatch(/:secret:cli\/secret-[A-Za-z0-9]{6}$/);

    const put = await awsJson<{ VersionId: string }>(
      'put-secret-value',
      '--secret-id',
      'cli/secret',
      '--secret-string',
      '{"apiKey":"two"}',
      '--version-stages',
      'AWSPENDING',
    );
    await awsJson(
      'update-secret-version-stage',
      '--secret-id',
      'cli/secret',
      '--version-stage',
      'AWSCURRENT',
      '--move-to-version-id',
      put.VersionId,
      '--remove-from-version-id',
      created.VersionId,
    );
    const current = await awsJson<{ SecretString: string; VersionStages: string[] }>(
      'get-secret-value',
      '--secret-id',
      created.ARN,
    );
    expect(current).toMatchObject({
      SecretString: '{"apiKey":"two"}',
      VersionStages: ['AWSPENDING', 'AWSCURRENT'],
    });

    // Clear AWSPENDING from the promoted version's test run before rotating.
    await awsJson(
      'update-secret-version-stage',
      '--secret-id',
      'cli/secret',
      '--version-stage',
      'AWSPENDING',
      '--remove-from-version-id',
      put.VersionId,
    );
    const rotated = await awsJson<{ VersionId: string }>(
      'rotate-secret',
      '--secret-id',
      'cli/secret',
      '--rotation-lambda-arn',
      'arn:aws:lambda:us-east-1:000000000000:function:rotator',
      '--rotation-rules',
      '{"ScheduleExpression":"rate(30 days)"}',
    );
    await emulator.waitForRotations();

    const described = await awsJson<{
      RotationEnabled: boolean;
      VersionIdsToStages: Record<string, string[]>;
      NextRotationDate: number;
    }>('describe-secret', '--secret-id', 'cli/secret');
    expect(described.RotationEnabled).toBe(true);
    expect(described.NextRotationDate).toEqual(expect.any(Number));
    expect(described.VersionIdsToStages).toEqual({
      [put.VersionId]: ['AWSPREVIOUS'],
      [rotated.VersionId]: ['AWSCURRENT'],
    });
    const latest = await awsJson<{ SecretString: string }>(
      'get-secret-value',
      '--secret-id',
      'cli/secret',
    );
    expect(latest.SecretString).toBe('{"apiKey":"two"}+');
  });

  it('reports AWS error names the way the CLI prints them', async () => {
    const missing = await aws('get-secret-value', '--secret-id', 'cli/none');
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain(
      'An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation',
    );
  });
});
