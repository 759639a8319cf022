/**
 * Why `rotate` says RotateSecret was refused: decided by the error's class and the secret's state
 * (DescribeSecret), never by the text of AWS's message. Secrets Manager is a stub here, so each
 * state is exact and no world is started; the deployed-world cases are in rotate-recover.test.ts.
 */
import { Readable } from 'node:stream';
import {
  DescribeSecretCommand,
  InvalidRequestException,
  RotateSecretCommand,
  SecretsManagerClient,
  type DescribeSecretCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import type { CliDependencies } from '../../cli/dependencies';
import { ExitCode } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { noRotationHistory } from '../../cli/rotation-history';
import { HttpClient } from '../../lambda/http/client';

const SECRET = 'prod/polytomic';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:111122223333:function:rotator';

/** What the stub answers: RotateSecret's error, and DescribeSecret's output or error. */
interface Stub {
  readonly refusal: Error;
  readonly described: DescribeSecretCommandOutput | Error;
}

const invalidRequest = (message: string): InvalidRequestException =>
  new InvalidRequestException({ message, $metadata: {} });

const describedAs = (
  fields: Partial<DescribeSecretCommandOutput>,
): DescribeSecretCommandOutput => ({
  $metadata: {},
  ARN: `arn:aws:secretsmanager:us-east-1:111122223333:secret:${SECRET}-AbCdEf`,
  Name: SECRET,
  RotationLambdaARN: FUNCTION_ARN,
  VersionIdsToStages: { current: ['AWSCURRENT'] },
  ...fields,
});

async function rotate(
  stub: Stub,
): Promise<{ exitCode: ExitCode; stderr: string; described: number }> {
  const stderr: string[] = [];
  let described = 0;
  // A real client whose send answers from the stub: it never reaches the network.
  const secretsManager = Object.assign(new SecretsManagerClient({ region: 'us-east-1' }), {
    send: (command: unknown) => {
      if (command instanceof RotateSecretCommand) return Promise.reject(stub.refusal);
      if (command instanceof DescribeSecretCommand) {
        described += 1;
        return stub.described instanceof Error
          ? Promise.reject(stub.described)
          : Promise.resolve(stub.described);
      }
      return Promise.reject(new Error('unexpected AWS call'));
    },
  });
  const deps: CliDependencies = {
    io: {
      stdin: Readable.from([]),
      stdout: { write: () => true },
      stderr: { write: (text: string) => stderr.push(text) },
    },
    env: {},
    secretsManager,
    kms: { send: () => Promise.reject(new Error('no KMS call is expected')) },
    vendorHttp: () => new HttpClient({ policy: { allowedOrigins: [], allowLoopbackHttp: false } }),
    history: noRotationHistory,
    now: Date.now,
    sleep: () => Promise.resolve(),
  };
  const exitCode = await runCli(['rotate', SECRET], deps);
  secretsManager.destroy();
  return { exitCode, stderr: stderr.join(''), described };
}

it('sends a refusal to recover when AWSPENDING is on a version other than AWSCURRENT, whatever the message says', async () => {
  const { exitCode, stderr } = await rotate({
    refusal: invalidRequest('Some wording AWS may change.'),
    described: describedAs({
      VersionIdsToStages: { current: ['AWSCURRENT'], stuck: ['AWSPENDING'] },
    }),
  });
  expect(exitCode).toBe(ExitCode.Failed);
  expect(stderr).toContain('Some wording AWS may change.');
  expect(stderr).toContain(`api-key-rotator recover ${SECRET}`);
  expect(stderr).not.toContain('Rotation is not configured');
});

it('says rotation is not configured when the secret has no rotation function', async () => {
  const { exitCode, stderr } = await rotate({
    refusal: invalidRequest('Some other wording.'),
    described: describedAs({ RotationLambdaARN: undefined }),
  });
  expect(exitCode).toBe(ExitCode.Failed);
  expect(stderr).toContain(`Rotation is not configured for ${SECRET}`);
  expect(stderr).not.toContain('api-key-rotator recover');
});

it('gives no hint when the state explains neither (a finished rotation leaves AWSPENDING on AWSCURRENT)', async () => {
  const { exitCode, stderr } = await rotate({
    refusal: invalidRequest("A previous rotation isn't complete."),
    described: describedAs({ VersionIdsToStages: { current: ['AWSCURRENT', 'AWSPENDING'] } }),
  });
  expect(exitCode).toBe(ExitCode.Failed);
  expect(stderr).toContain("InvalidRequestException: A previous rotation isn't complete.");
  expect(stderr).not.toContain('api-key-rotator recover');
  expect(stderr).not.toContain('Rotation is not configured');
});

it('gives no hint for a secret scheduled for deletion, nor one another service manages', async () => {
  for (const fields of [
    { DeletedDate: new Date(), RotationLambdaARN: undefined },
    { OwningService: 'rds', RotationLambdaARN: undefined },
  ]) {
    const { exitCode, stderr } = await rotate({
      refusal: invalidRequest('Refused.'),
      described: describedAs({
        ...fields,
        VersionIdsToStages: { current: ['AWSCURRENT'], stuck: ['AWSPENDING'] },
      }),
    });
    expect(exitCode).toBe(ExitCode.Failed);
    expect(stderr).toContain('InvalidRequestException: Refused.');
    expect(stderr).not.toContain('api-key-rotator recover');
    expect(stderr).not.toContain('Rotation is not configured');
  }
});

it("reports AWS's error as it is when the secret's state cannot be read", async () => {
  const { exitCode, stderr } = await rotate({
    refusal: invalidRequest('Refused.'),
    // Secrets Manager's model has no AccessDeniedException class: the SDK raises it by name.
    described: Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }),
  });
  expect(exitCode).toBe(ExitCode.Failed);
  expect(stderr).toContain('InvalidRequestException: Refused.');
  expect(stderr).not.toContain('api-key-rotator recover');
});

it('reads no state for other errors, even one whose text reads like a pending rotation', async () => {
  const throttled = Object.assign(new Error("A previous rotation isn't complete."), {
    name: 'ThrottlingException',
  });
  const { exitCode, stderr, described } = await rotate({
    refusal: throttled,
    described: describedAs({
      VersionIdsToStages: { current: ['AWSCURRENT'], stuck: ['AWSPENDING'] },
    }),
  });
  expect(exitCode).toBe(ExitCode.Failed);
  expect(described).toBe(0);
  expect(stderr).not.toContain('api-key-rotator recover');
});
