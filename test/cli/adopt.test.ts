/**
 * `adopt` in the deployed local world, authorization on, run as a role holding exactly the
 * README's "Enrollment IAM" policy: a secret made outside the stack is enrolled without being
 * re-created or losing its value, the function then rotates it, a second run changes nothing,
 * a run cut short finishes when run again, and a malformed value is refused with nothing changed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  type DescribeSecretCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { ExitCode } from '../../cli/exit-codes';
import { MANAGED_TAG, PROVIDER_TAG, REVOKE_POLICY_TAG } from '../../lambda/shared/contracts';
import type { PolicyDocument } from '../../local/aws/authorization';
import { putFirstPolytomicKey } from '../../local/scenarios';
import { createEnrollerRole, documentedEnrollerPolicy } from '../../local/stack/deploy';
import { startCliWorld, type CliWorld, type SignedClients } from './support/cli-world';

let cli: CliWorld;
let enroller: SignedClients;
let enrollerRoleArn: string;
let outputsDir: string;
let outputsFile: string;
let counter = 0;

beforeAll(async () => {
  cli = await startCliWorld();
  enrollerRoleArn = createEnrollerRole(cli.world.aws, cli.stack);
  enroller = cli.clientsAs(enrollerRoleArn, 'adopt-test-enroller');
  // What `npx cdk deploy --outputs-file cdk-outputs.json` writes.
  outputsDir = mkdtempSync(join(tmpdir(), 'adopt-outputs-'));
  outputsFile = join(outputsDir, 'cdk-outputs.json');
  writeFileSync(outputsFile, JSON.stringify({ [cli.stack.stackName]: cli.stack.outputs }));
}, 300_000);

afterAll(async () => {
  rmSync(outputsDir, { recursive: true, force: true });
  await cli?.close();
});

/** A secret made outside the stack (default key, no tags, no policy), holding a live Polytomic key. */
async function outsideSecret(
  prefix = 'cli/',
): Promise<{ arn: string; name: string; value: string }> {
  counter += 1;
  const name = `${prefix}adopted-${counter}`;
  const created = await cli.admin.secrets.send(
    new CreateSecretCommand({ Name: name, SecretString: '{"provider":"polytomic"}' }),
  );
  const arn = created.ARN ?? '';
  await putFirstPolytomicKey(cli.world, cli.admin, {
    secretArn: arn,
    partnerKeySecretArn: cli.stack.partnerKeySecretArn ?? '',
  });
  return { arn, name, value: await valueOf(arn) };
}

/** The AWSCURRENT value, read as the audit role (a reader of adopted secrets too). */
async function valueOf(arn: string): Promise<string> {
  const reader = cli.admin;
  const output = await reader.secrets.send(
    new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }),
  );
  return output.SecretString ?? '';
}

async function describe_(arn: string): Promise<DescribeSecretCommandOutput> {
  return cli.admin.secrets.send(new DescribeSecretCommand({ SecretId: arn }));
}

/** What enrollment changes: key, tags, rotation and policy. */
async function enrollmentState(arn: string): Promise<unknown> {
  const described = await describe_(arn);
  const policy = await cli.admin.secrets.send(new GetResourcePolicyCommand({ SecretId: arn }));
  return {
    kmsKeyId: described.KmsKeyId,
    tags: described.Tags,
    rotationEnabled: described.RotationEnabled,
    rotationLambdaArn: described.RotationLambdaARN,
    policy: policy.ResourcePolicy,
  };
}

function adopt(secret: string, ...extra: string[]): ReturnType<CliWorld['run']> {
  return cli.run(
    ['adopt', secret, '--outputs', outputsFile, '--reader', cli.stack.operatorRoleArn, ...extra],
    { clients: enroller },
  );
}

describe('api-key-rotator adopt', () => {
  it('enrolls a secret made outside the stack, keeps its value, and the function then rotates it', async () => {
    const secret = await outsideSecret();
    const run = await adopt(secret.name, '--json');
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({
      exitCode: ExitCode.Ok,
      stderr: '',
    });
    expect(JSON.parse(run.stdout)).toEqual({
      secretId: secret.name,
      arn: secret.arn,
      provider: 'polytomic',
      outcome: 'adopted',
      steps: [
        { step: 'tags', outcome: 'done' },
        { step: 'encryption-key', outcome: 'done' },
        { step: 'rotation', outcome: 'done' },
        { step: 'resource-policy', outcome: 'done' },
      ],
    });
    const described = await describe_(secret.arn);
    expect(described.KmsKeyId).toBe(cli.stack.kmsKeyArn);
    expect(described.RotationLambdaARN).toBe(cli.stack.rotationFunctionArn);
    expect(described.RotationRules).toMatchObject({
      ScheduleExpression: 'rate(30 days)',
      Duration: '4h',
    });
    expect(Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({
      [MANAGED_TAG]: 'true',
      [PROVIDER_TAG]: 'polytomic',
      [REVOKE_POLICY_TAG]: 'on-finish',
    });
    // Same value, re-encrypted: read as the operator, a reader the policy names.
    const asOperator = await cli.operator.secrets.send(
      new GetSecretValueCommand({ SecretId: secret.arn, VersionStage: 'AWSCURRENT' }),
    );
    expect(asOperator.SecretString).toBe(secret.value);
    // Nobody else reads it now, not even the administrator who made it.
    await expect(valueOf(secret.arn)).rejects.toThrow(/explicit deny in a resource-based policy/);
    // The stack's function rotates it: authorized by prefix and tag alone.
    await cli.world.aws.waitForRotations(secret.arn);
    const configured = cli.world.aws.rotationHistory(secret.arn).at(-1);
    expect(configured?.steps.map((s) => [s.step, s.ok, s.errorMessage])).toEqual([
      ['testSecret', true, undefined],
    ]);
    const rotated = await cli.run(['rotate', secret.name, '--wait', '--timeout', '60']);
    expect({ exitCode: rotated.exitCode, stderr: rotated.stderr }).toEqual({
      exitCode: ExitCode.Ok,
      stderr: expect.any(String) as unknown,
    });
    const after = await cli.operator.secrets.send(
      new GetSecretValueCommand({ SecretId: secret.arn, VersionStage: 'AWSCURRENT' }),
    );
    expect(after.SecretString).not.toBe(secret.value);
    cli.scanner.expectClean();
  });

  it('changes nothing when run again on an adopted secret', async () => {
    const secret = await outsideSecret();
    expect((await adopt(secret.name)).exitCode).toBe(ExitCode.Ok);
    const before = await enrollmentState(secret.arn);
    const again = await adopt(secret.name, '--json');
    expect(again.exitCode).toBe(ExitCode.Ok);
    expect(JSON.parse(again.stdout)).toMatchObject({
      outcome: 'already-adopted',
      steps: [
        { step: 'tags', outcome: 'already' },
        { step: 'encryption-key', outcome: 'already' },
        { step: 'rotation', outcome: 'already' },
        { step: 'resource-policy', outcome: 'already' },
      ],
    });
    expect(await enrollmentState(secret.arn)).toEqual(before);
    const text = await adopt(secret.name);
    expect(text.stdout).toContain(`${secret.name} (polytomic) was already adopted`);
  });

  it('finishes the job when run again after a failure part-way', async () => {
    const secret = await outsideSecret();
    const documented = documentedEnrollerPolicy(cli.stack.config.secretNamePrefixes);
    // The enroller loses RotateSecret: the run stops after tagging and re-encrypting.
    const withoutRotate: PolicyDocument = {
      ...documented,
      Statement: (documented.Statement as Record<string, unknown>[]).map((statement) => ({
        ...statement,
        Action: ([] as unknown[])
          .concat(statement.Action)
          .filter((action) => action !== 'secretsmanager:RotateSecret'),
      })),
    };
    cli.world.aws.iam.putRolePolicy(enrollerRoleArn, 'policy', withoutRotate);
    cli.world.aws.authorizer.invalidate();
    const failed = await adopt(secret.name);
    cli.world.aws.iam.putRolePolicy(enrollerRoleArn, 'policy', documented);
    cli.world.aws.authorizer.invalidate();
    expect(failed.exitCode).toBe(ExitCode.NotFoundOrDenied);
    expect(failed.stderr).toContain('secretsmanager:RotateSecret');
    const halfway = await describe_(secret.arn);
    expect(halfway.KmsKeyId).toBe(cli.stack.kmsKeyArn);
    expect(halfway.RotationEnabled).not.toBe(true);

    const resumed = await adopt(secret.name, '--json');
    expect(resumed.exitCode).toBe(ExitCode.Ok);
    expect((JSON.parse(resumed.stdout) as { steps: unknown }).steps).toEqual([
      { step: 'tags', outcome: 'already' },
      { step: 'encryption-key', outcome: 'already' },
      { step: 'rotation', outcome: 'done' },
      { step: 'resource-policy', outcome: 'done' },
    ]);
    const asOperator = await cli.operator.secrets.send(
      new GetSecretValueCommand({ SecretId: secret.arn, VersionStage: 'AWSCURRENT' }),
    );
    expect(asOperator.SecretString).toBe(secret.value);
  });

  it('refuses a value that is not in the secret format, naming the field, with nothing changed', async () => {
    counter += 1;
    const name = `cli/malformed-${counter}`;
    const created = await cli.admin.secrets.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({ provider: 'polytomic', apiKey: 'not-a-json-secret-key' }),
      }),
    );
    const arn = created.ARN ?? '';
    const before = await enrollmentState(arn);
    const run = await adopt(name, '--json');
    expect(run.exitCode).toBe(ExitCode.Usage);
    const output = `${run.stdout}${run.stderr}`;
    expect(output).toContain('AdoptRefusedError');
    expect(output).toContain('SecretFormatError');
    expect(output).toContain('Nothing was changed.');
    expect(output).not.toContain('not-a-json-secret-key');
    expect(await enrollmentState(arn)).toEqual(before);
  });

  it("refuses a secret outside the stack's name prefixes, with nothing changed", async () => {
    const created = await cli.admin.secrets.send(
      new CreateSecretCommand({
        Name: 'elsewhere/adopt-me',
        SecretString: '{"provider":"poelis"}',
      }),
    );
    const arn = created.ARN ?? '';
    const before = await enrollmentState(arn);
    const run = await adopt('elsewhere/adopt-me');
    // The enrollment policy reaches only the prefix: AWS refuses even the describe.
    expect(run.exitCode).toBe(ExitCode.NotFoundOrDenied);
    expect(await enrollmentState(arn)).toEqual(before);
  });

  it('refuses a reader the key policy does not name, before any call', async () => {
    const secret = await outsideSecret();
    const before = await enrollmentState(secret.arn);
    const run = await cli.run(
      [
        'adopt',
        secret.name,
        '--outputs',
        outputsFile,
        '--reader',
        'arn:aws:iam::000000000000:role/stranger',
      ],
      { clients: enroller },
    );
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.stderr).toContain("is not one: add it to a secret's readerRoleArns");
    expect(await enrollmentState(secret.arn)).toEqual(before);
  });
});
