import { readFileSync } from 'node:fs';
import {
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  PutResourcePolicyCommand,
  RotateSecretCommand,
  TagResourceCommand,
  UpdateSecretCommand,
  type DescribeSecretCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { AWSCURRENT, SecretsStore } from '../../lambda/aws/secrets';
import {
  MANAGED_TAG,
  MANAGED_TAG_VALUE,
  parseCronExpression,
  parseRateExpression,
  PROVIDER_TAG,
  REVOKE_POLICY_TAG,
} from '../../lambda/shared/contracts';
import { describeError } from '../../lambda/shared/errors';
import { printable } from '../../lambda/shared/printable';
import { REVOKE_POLICIES, SecretFormatError, type RevokePolicy } from '../../lambda/shared/secret';
import { prefixOf } from '../../lib/secret-scope';
import { secretResourcePolicy } from '../../lib/secret-policy';
import { providersOf, type CliDependencies } from '../dependencies';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { writeJson } from '../output';

/** What `adopt` is told on its command line. */
export interface AdoptOptions {
  readonly json: boolean;
  /** The file `cdk deploy --outputs-file` wrote. */
  readonly outputsFile: string;
  /** The stack in that file, when it holds several. */
  readonly stack?: string;
  /** Roles that may read the key, besides the stack's functions. */
  readonly readers: readonly string[];
  readonly schedule: string;
  /** Whole hours, such as "4h". */
  readonly window: string;
  readonly revokePolicy: string;
}

/** The deployed stack's outputs `adopt` needs (`cdk deploy --outputs-file`). */
export interface StackSettings {
  readonly secretNamePrefixes: readonly string[];
  readonly readerRoleArns: readonly string[];
  readonly rotationKeyArn: string;
  readonly rotationFunctionArn: string;
  readonly rotationRoleArn: string;
  readonly auditRoleArn: string;
}

/** One enrollment step and whether this run took it or found it done. */
export interface AdoptStep {
  readonly step: 'encryption-key' | 'tags' | 'rotation' | 'resource-policy';
  readonly outcome: 'done' | 'already';
}

/** Thrown when a secret cannot be adopted as it is: nothing was changed. */
export class AdoptRefusedError extends CliError {
  constructor(message: string, exitCode: ExitCode = ExitCode.Usage, options?: { cause?: unknown }) {
    super(`${message} Nothing was changed.`, exitCode);
    this.name = 'AdoptRefusedError';
    if (options?.cause !== undefined)
      Object.defineProperty(this, 'cause', { value: options.cause });
  }
}

/** Thrown when the outputs file does not describe a deployed stack. */
export class StackOutputsError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.Usage);
    this.name = 'StackOutputsError';
    if (options?.cause !== undefined)
      Object.defineProperty(this, 'cause', { value: options.cause });
  }
}

const OUTPUT_KEYS = {
  secretNamePrefixes: 'SecretNamePrefixes',
  readerRoleArns: 'SecretReaderRoleArns',
  rotationKeyArn: 'RotationKeyArn',
  rotationFunctionArn: 'RotationFunctionArn',
  rotationRoleArn: 'RotationRoleArn',
  auditRoleArn: 'AuditRoleArn',
} as const;

/**
 * Reads the stack's outputs as `npx cdk deploy --outputs-file cdk-outputs.json` writes them:
 * `{"<stack>": {"<output>": "<value>"}}`.
 *
 * @example
 * readStackSettings('cdk-outputs.json'); // { secretNamePrefixes: ['api-key-rotator/'], … }
 */
export function readStackSettings(file: string, stackName?: string): StackSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StackOutputsError(
      `Cannot read the stack outputs ${printable(file)} (${printable(describeError(error).message)}): write them with \`npx cdk deploy --outputs-file ${printable(file)}\`.`,
      { cause: error },
    );
  }
  const stacks = isRecord(parsed) ? parsed : {};
  const names = Object.keys(stacks);
  const name = stackName ?? (names.length === 1 ? names[0] : undefined);
  const outputs = name === undefined ? undefined : stacks[name];
  if (!isRecord(outputs)) {
    throw new StackOutputsError(
      stackName === undefined
        ? `${printable(file)} holds ${names.length} stacks (${names.map(printable).join(', ')}): name one with --stack.`
        : `${printable(file)} has no stack ${printable(stackName)}.`,
    );
  }
  const read = (key: string): string => {
    const value = outputs[key];
    if (typeof value !== 'string') {
      throw new StackOutputsError(
        `${printable(file)} has no output ${key} for ${printable(name ?? '')}: deploy this version of the stack, then write the outputs again.`,
      );
    }
    return value;
  };
  const list = (key: string): string[] => read(key).split(',').filter(Boolean);
  return {
    secretNamePrefixes: list(OUTPUT_KEYS.secretNamePrefixes),
    readerRoleArns: list(OUTPUT_KEYS.readerRoleArns),
    rotationKeyArn: read(OUTPUT_KEYS.rotationKeyArn),
    rotationFunctionArn: read(OUTPUT_KEYS.rotationFunctionArn),
    rotationRoleArn: read(OUTPUT_KEYS.rotationRoleArn),
    auditRoleArn: read(OUTPUT_KEYS.auditRoleArn),
  };
}

/**
 * `adopt <secret>`: enrolls a secret made outside the stack (console, Terraform, another tool)
 * without re-creating it or touching its value. It checks everything first — the name is under
 * one of the stack's prefixes, the readers are ones the key policy names, the value is in the
 * secret format — then takes only the steps not yet taken: tag it managed, re-encrypt it with the
 * stack's key, configure rotation with the stack's function, and put the stack's resource
 * policy last (after it, only readers can read the value). Run again after a failure, it
 * finishes the job; run on an adopted secret, it changes nothing.
 *
 * @example
 * await adoptCommand(deps, 'api-key-rotator/polytomic/billing', {
 *   json: true, outputsFile: 'cdk-outputs.json', readers: [], schedule: 'rate(30 days)',
 *   window: '4h', revokePolicy: 'on-finish',
 * }); // ExitCode.Ok, and {"outcome":"adopted",…} on stdout
 */
export async function adoptCommand(
  deps: CliDependencies,
  secretId: string,
  options: AdoptOptions,
): Promise<ExitCode> {
  const settings = readStackSettings(options.outputsFile, options.stack);
  const rules = rotationRules(options);
  const revokePolicy = checkRevokePolicy(options.revokePolicy);
  const strangers = options.readers.filter((arn) => !settings.readerRoleArns.includes(arn));
  if (strangers.length > 0) {
    throw new AdoptRefusedError(
      `The key policy lets only the config's reader roles decrypt, and ${strangers.map(printable).join(', ')} is not one: add it to a secret's readerRoleArns in the config and deploy first.`,
    );
  }
  const metadata = await deps.secretsManager.send(
    new DescribeSecretCommand({ SecretId: secretId }),
  );
  const arn = metadata.ARN ?? secretId;
  const name = metadata.Name ?? secretId;
  if (prefixOf(name, settings.secretNamePrefixes) === undefined) {
    throw new AdoptRefusedError(
      `${printable(name)} is not under the stack's name prefixes (${settings.secretNamePrefixes.map(printable).join(', ')}): the function reaches only secrets under them, and Secrets Manager cannot rename a secret. Add its prefix to secretNamePrefixes in the config and deploy, or create the secret under a prefix.`,
    );
  }
  if (
    metadata.RotationEnabled === true &&
    metadata.RotationLambdaARN !== settings.rotationFunctionArn
  ) {
    throw new AdoptRefusedError(
      `${printable(name)} is rotated by another function (${printable(metadata.RotationLambdaARN ?? '?')}): turn that rotation off first (aws secretsmanager cancel-rotate-secret).`,
    );
  }

  const policy = secretResourcePolicy([
    settings.rotationRoleArn,
    settings.auditRoleArn,
    ...options.readers,
  ]);
  const done = {
    key: sameKey(metadata.KmsKeyId, settings.rotationKeyArn),
    rotation:
      metadata.RotationEnabled === true &&
      metadata.RotationRules?.ScheduleExpression === rules.ScheduleExpression &&
      metadata.RotationRules?.Duration === rules.Duration,
    policy: await hasPolicy(deps, arn, policy),
  };
  const tagged = (provider: string): boolean =>
    tagValue(metadata, MANAGED_TAG) === MANAGED_TAG_VALUE &&
    tagValue(metadata, PROVIDER_TAG) === provider &&
    tagValue(metadata, REVOKE_POLICY_TAG) === revokePolicy;
  const knownProvider = tagValue(metadata, PROVIDER_TAG);
  if (
    done.key &&
    done.rotation &&
    done.policy &&
    knownProvider !== undefined &&
    tagged(knownProvider)
  ) {
    return report(deps, options, {
      secretId: name,
      arn,
      provider: knownProvider,
      steps: [
        { step: 'tags', outcome: 'already' },
        { step: 'encryption-key', outcome: 'already' },
        { step: 'rotation', outcome: 'already' },
        { step: 'resource-policy', outcome: 'already' },
      ],
    });
  }
  // Once re-encrypted, only readers can decrypt: the value was checked before it was tagged, and
  // the rotation's testSecret checks it again.
  const checkedBefore =
    done.key &&
    tagValue(metadata, MANAGED_TAG) === MANAGED_TAG_VALUE &&
    knownProvider !== undefined;
  const provider = checkedBefore ? knownProvider : await readProvider(deps, arn, name);
  if (knownProvider !== undefined && knownProvider !== provider) {
    throw new AdoptRefusedError(
      `${printable(name)} is tagged ${PROVIDER_TAG}=${printable(knownProvider)} but holds a ${provider} key: fix the tag or the value.`,
    );
  }

  const steps: AdoptStep[] = [];
  const tagsDone = tagged(provider);
  if (!tagsDone) {
    await deps.secretsManager.send(
      new TagResourceCommand({
        SecretId: arn,
        Tags: [
          { Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE },
          { Key: PROVIDER_TAG, Value: provider },
          { Key: REVOKE_POLICY_TAG, Value: revokePolicy },
        ],
      }),
    );
  }
  steps.push({ step: 'tags', outcome: tagsDone ? 'already' : 'done' });
  if (!done.key) {
    // Secrets Manager re-encrypts the labelled versions with the new key ("Change the encryption key for a secret").
    await deps.secretsManager.send(
      new UpdateSecretCommand({ SecretId: arn, KmsKeyId: settings.rotationKeyArn }),
    );
  }
  steps.push({ step: 'encryption-key', outcome: done.key ? 'already' : 'done' });
  if (!done.rotation) {
    // As the stack's schedule does: configured without rotating, so only testSecret runs now.
    await deps.secretsManager.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: settings.rotationFunctionArn,
        RotationRules: rules,
        RotateImmediately: false,
      }),
    );
  }
  steps.push({ step: 'rotation', outcome: done.rotation ? 'already' : 'done' });
  if (!done.policy) {
    await deps.secretsManager.send(
      new PutResourcePolicyCommand({
        SecretId: arn,
        ResourcePolicy: JSON.stringify(policy),
        BlockPublicPolicy: true,
      }),
    );
  }
  steps.push({ step: 'resource-policy', outcome: done.policy ? 'already' : 'done' });
  return report(deps, options, { secretId: name, arn, provider, steps });
}

interface AdoptResult {
  readonly secretId: string;
  readonly arn: string;
  readonly provider: string;
  readonly steps: readonly AdoptStep[];
}

function report(deps: CliDependencies, options: AdoptOptions, result: AdoptResult): ExitCode {
  const adopted = result.steps.some((step) => step.outcome === 'done');
  if (options.json) {
    writeJson(deps.io, { ...result, outcome: adopted ? 'adopted' : 'already-adopted' });
    return ExitCode.Ok;
  }
  const lines = result.steps.map(
    (step) => `  ${step.step.padEnd(16)} ${step.outcome === 'done' ? 'done' : 'already in place'}`,
  );
  deps.io.stdout.write(
    `${printable(result.secretId)} (${result.provider}) ${adopted ? 'adopted' : 'was already adopted'}:\n${lines.join('\n')}\n`,
  );
  return ExitCode.Ok;
}

/** Reads AWSCURRENT and checks it is in the secret format; the error names the field, never the value. */
async function readProvider(deps: CliDependencies, arn: string, name: string): Promise<string> {
  const text = await new SecretsStore(deps.secretsManager).getValue(arn, {
    versionStage: AWSCURRENT,
  });
  try {
    return providersOf(deps).parseSecret(text).provider;
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    throw new AdoptRefusedError(
      `${printable(name)} does not hold a value in the secret format (SecretFormatError: ${printable(error.message)})`,
      ExitCode.Usage,
      { cause: error },
    );
  }
}

/** Whether the secret's policy is already `policy` (compared as JSON documents). */
async function hasPolicy(deps: CliDependencies, arn: string, policy: unknown): Promise<boolean> {
  const output = await deps.secretsManager.send(new GetResourcePolicyCommand({ SecretId: arn }));
  if (output.ResourcePolicy === undefined) return false;
  try {
    return canonical(JSON.parse(output.ResourcePolicy)) === canonical(policy);
  } catch {
    return false;
  }
}

/** JSON with sorted keys, so two equal documents compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    isRecord(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

function sameKey(current: string | undefined, keyArn: string): boolean {
  if (current === undefined) return false;
  return current === keyArn || keyArn.endsWith(`:key/${current}`);
}

function tagValue(metadata: DescribeSecretCommandOutput, key: string): string | undefined {
  return metadata.Tags?.find((tag) => tag.Key === key)?.Value;
}

/** The rotation rules of the options, checked as Secrets Manager will check their syntax. */
function rotationRules(options: AdoptOptions): { ScheduleExpression: string; Duration: string } {
  const isSchedule =
    parseRateExpression(options.schedule) !== undefined ||
    parseCronExpression(options.schedule) !== undefined;
  if (!isSchedule) {
    throw new AdoptRefusedError(
      `--schedule ${printable(options.schedule)} is not a Secrets Manager schedule: use "rate(N days)", "rate(N hours)" or "cron(…)".`,
    );
  }
  const hours = /^(\d{1,2})h$/.exec(options.window);
  if (!hours || Number(hours[1]) < 1 || Number(hours[1]) > 24) {
    throw new AdoptRefusedError(
      `--window ${printable(options.window)} must be whole hours from 1h to 24h.`,
    );
  }
  return { ScheduleExpression: options.schedule, Duration: options.window };
}

function checkRevokePolicy(value: string): RevokePolicy {
  if (!(REVOKE_POLICIES as readonly string[]).includes(value)) {
    throw new AdoptRefusedError(
      `--revoke-policy ${printable(value)} is not one of ${REVOKE_POLICIES.join(', ')}.`,
    );
  }
  return value as RevokePolicy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
