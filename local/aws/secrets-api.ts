import { randomUUID } from 'node:crypto';
import type { InputReader } from './input';
import type { OperationTable } from './operations';
import type { RotationOrchestrator } from './rotation';
import type { SecretValue } from './secret-values';
import type { SecretsStore, StoredSecret, Tag } from './secrets';
import type { RotationRules } from './schedule';
import type { SecretFilter } from './secret-filters';
import type { SecretsAccess } from './secrets-access';
import { AwsError } from './errors';
import { epochSeconds } from './protocol';
import { moveLabel } from './staging';
import { nextRotationWindow, validateRotationRules } from './schedule';
import { describeSecretOutput, secretListEntry } from './secret-output';
import { matchesFilters, validateFilters } from './secret-filters';
import { paginate, type PaginationStyle } from './pagination';
import { randomPassword } from './random-password';

const SECRET_ID = { min: 1, max: 2048 };
const TOKEN = { min: 32, max: 64 };
const VALUE_BYTES = 65536;
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]+$/;

function secretId(input: InputReader): string {
  return input.requiredString('SecretId', SECRET_ID);
}

/** SecretString or SecretBinary: `required` when the operation needs a value. */
function secretValue(input: InputReader, required: boolean): SecretValue | undefined {
  const text = input.optionalString('SecretString', { max: VALUE_BYTES, sensitive: true });
  const bytes = input.optionalBlob('SecretBinary', { max: VALUE_BYTES });
  if (text !== undefined && bytes !== undefined) {
    throw new AwsError(
      'InvalidParameterException',
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (text !== undefined) return { kind: 'string', text };
  if (bytes !== undefined) return { kind: 'binary', bytes };
  if (required)
    throw new AwsError(
      'InvalidRequestException',
      'You must provide either SecretString or SecretBinary.',
    );
  return undefined;
}

function validateName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new AwsError(
      'InvalidParameterException',
      'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
    );
  }
}

function readTags(input: InputReader): Tag[] | undefined {
  const tags = input.optionalObjectList('Tags')?.map((tag) => ({
    Key: tag.requiredString('Key', { min: 1, max: 128 }),
    Value: tag.optionalString('Value', { max: 256 }) ?? '',
  }));
  if (tags === undefined) return undefined;
  if (tags.length > 50)
    throw new AwsError('InvalidParameterException', 'Number of tags exceeds the limit of 50.');
  if (tags.some((tag) => tag.Key.toLowerCase().startsWith('aws:'))) {
    throw new AwsError(
      'InvalidParameterException',
      'Tag keys starting with aws: are reserved for AWS use.',
    );
  }
  return tags;
}

function readRotationRules(input: InputReader): RotationRules | undefined {
  const rules = input.optionalObject('RotationRules');
  if (!rules) return undefined;
  const parsed: RotationRules = {
    AutomaticallyAfterDays: rules.optionalInteger('AutomaticallyAfterDays', { min: 1, max: 1000 }),
    ScheduleExpression: rules.optionalString('ScheduleExpression', { min: 1, max: 256 }),
    Duration: rules.optionalString('Duration', { min: 2, max: 3 }),
  };
  validateRotationRules(parsed);
  return Object.fromEntries(Object.entries(parsed).filter(([, value]) => value !== undefined));
}

function valueOutput(value: SecretValue): Record<string, string> {
  return value.kind === 'string'
    ? { SecretString: value.text }
    : { SecretBinary: value.bytes.toString('base64') };
}

function identity(secret: StoredSecret): { ARN: string; Name: string } {
  return { ARN: secret.arn, Name: secret.name };
}

/** Whether a resource policy grants an Allow to everyone, which BlockPublicPolicy refuses. */
function grantsPublicAccess(policy: unknown): boolean {
  const statements = (policy as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : [statements];
  return list.some((statement) => {
    const { Effect, Principal } = (statement ?? {}) as { Effect?: unknown; Principal?: unknown };
    const principals =
      typeof Principal === 'object' && Principal !== null
        ? Object.values(Principal).flat()
        : [Principal];
    return Effect === 'Allow' && principals.includes('*');
  });
}

/** `secretsmanager.*` operations. */
export function secretsOperations(
  store: SecretsStore,
  rotations: RotationOrchestrator,
  region: string,
  access: SecretsAccess,
  pagination: PaginationStyle = {},
): OperationTable {
  // An endpoint that ends lists with an empty token also takes one back as "from the start".
  const minTokenLength = pagination.emptyLastPageToken === true ? 0 : 1;
  return {
    CreateSecret: async (input, { principal }) => {
      const name = input.requiredString('Name', { min: 1, max: 512 });
      validateName(name);
      const token = input.optionalString('ClientRequestToken', TOKEN) ?? randomUUID();
      const value = secretValue(input, false);
      const kmsKeyId = input.optionalString('KmsKeyId', { max: 2048 });
      const secret = store.create({
        name,
        description: input.optionalString('Description', { max: 2048 }),
        kmsKeyId,
        tags: readTags(input) ?? [],
      });
      try {
        await access.authorizeOnSecret('CreateSecret', secret, principal);
        if (kmsKeyId !== undefined) await access.validateKeyAccess(principal, secret, kmsKeyId);
        if (!value) return identity(secret);
        await access.useKey(principal, 'kms:GenerateDataKey', secret, token);
        store.putValue(secret, { versionId: token, value });
      } catch (error) {
        store.discard(secret);
        throw error;
      }
      return { ...identity(secret), VersionId: token };
    },

    DescribeSecret: (input) => describeSecretOutput(store.find(secretId(input))),

    GetSecretValue: async (input, { principal }) => {
      const secret = store.findActive(secretId(input));
      const versionId = input.optionalString('VersionId', TOKEN);
      const versionStage = input.optionalString('VersionStage', { min: 1, max: 256 });
      const version = store.selectVersion(secret, versionId, versionStage);
      const label =
        versionId !== undefined
          ? `VersionId: ${versionId}`
          : `staging label: ${versionStage ?? 'AWSCURRENT'}`;
      if (version.value) await access.useKey(principal, 'kms:Decrypt', secret, version.versionId);
      const value = store.readValue(secret, version, label);
      return {
        ...identity(secret),
        VersionId: version.versionId,
        ...valueOutput(value),
        VersionStages: [...version.stages],
        CreatedDate: epochSeconds(version.createdDate),
      };
    },

    PutSecretValue: async (input, { principal }) => {
      const secret = store.findActive(secretId(input));
      const token = input.optionalString('ClientRequestToken', TOKEN) ?? randomUUID();
      const value = secretValue(input, true) as SecretValue;
      const stages = input.optionalStringList('VersionStages', { min: 1, max: 20, itemMax: 256 });
      const rotationToken = input.optionalString('RotationToken', {
        min: 1,
        max: 256,
        sensitive: true,
      });
      if (rotationToken !== undefined && !secret.rotationTokens.includes(rotationToken)) {
        throw new AwsError(
          'InvalidParameterException',
          'The RotationToken is not valid for this secret.',
        );
      }
      // An existing version is compared (Decrypt); a new value is encrypted (GenerateDataKey).
      const existing = store.version(secret, token);
      await access.useKey(
        principal,
        existing?.value ? 'kms:Decrypt' : 'kms:GenerateDataKey',
        secret,
        token,
        existing?.value ? existing.value.keyArn : secret.kmsKeyId,
      );
      const { version } = store.putValue(secret, { versionId: token, value, stages });
      return {
        ...identity(secret),
        VersionId: version.versionId,
        VersionStages: [...version.stages],
      };
    },

    UpdateSecret: async (input, { principal }) => {
      const secret = store.findActive(secretId(input));
      const token = input.optionalString('ClientRequestToken', TOKEN) ?? randomUUID();
      const description = input.optionalString('Description', { max: 2048 });
      const kmsKeyId = input.optionalString('KmsKeyId', { max: 2048 });
      const value = secretValue(input, false);
      const changesKey = kmsKeyId !== undefined && kmsKeyId !== secret.kmsKeyId;
      if (changesKey) await access.validateKeyAccess(principal, secret, kmsKeyId);
      if (value) {
        await access.useKey(
          principal,
          'kms:GenerateDataKey',
          secret,
          token,
          kmsKeyId ?? secret.kmsKeyId,
        );
      }
      if (changesKey) store.changeKey(secret, kmsKeyId);
      if (description !== undefined) secret.description = description;
      store.touch(secret);
      if (!value) return identity(secret);
      store.putValue(secret, { versionId: token, value });
      return { ...identity(secret), VersionId: token };
    },

    UpdateSecretVersionStage: (input) => {
      const secret = store.findActive(secretId(input));
      moveLabel(
        secret.versions,
        input.requiredString('VersionStage', { min: 1, max: 256 }),
        input.optionalString('MoveToVersionId', TOKEN),
        input.optionalString('RemoveFromVersionId', TOKEN),
      );
      store.prune(secret);
      store.touch(secret);
      return identity(secret);
    },

    ListSecretVersionIds: (input) => {
      const secret = store.findActive(secretId(input));
      const includeDeprecated = input.optionalBoolean('IncludeDeprecated') ?? false;
      const versions = secret.versions.filter(
        (version) => includeDeprecated || version.stages.length > 0,
      );
      const page = paginate(
        versions,
        input.optionalInteger('MaxResults', { min: 1, max: 100 }) ?? 100,
        input.optionalString('NextToken', { min: minTokenLength, max: 4096 }),
        'InvalidNextTokenException',
        pagination,
      );
      return {
        ...identity(secret),
        Versions: page.items.map((version) => ({
          VersionId: version.versionId,
          VersionStages: [...version.stages],
          LastAccessedDate: epochSeconds(version.lastAccessedDate),
          CreatedDate: epochSeconds(version.createdDate),
          KmsKeyIds: version.value ? [version.value.keyArn] : undefined,
        })),
        NextToken: page.nextToken,
      };
    },

    ListSecrets: (input) => {
      const filters: SecretFilter[] = (input.optionalObjectList('Filters') ?? []).map((filter) => ({
        key: filter.requiredString('Key'),
        values: filter.optionalStringList('Values', { min: 1, max: 10, itemMax: 512 }) ?? [],
      }));
      validateFilters(filters);
      const includeDeleted = input.optionalBoolean('IncludePlannedDeletion') ?? false;
      const descending = input.optionalString('SortOrder') === 'desc';
      const secrets = store
        .all()
        .filter((secret) => includeDeleted || secret.deletedDate === undefined)
        .filter((secret) => matchesFilters(secret, filters, region))
        .sort((a, b) =>
          descending ? b.createdDate - a.createdDate : a.createdDate - b.createdDate,
        );
      const page = paginate(
        secrets,
        input.optionalInteger('MaxResults', { min: 1, max: 100 }) ?? 100,
        input.optionalString('NextToken', { min: minTokenLength, max: 4096 }),
        'InvalidNextTokenException',
        pagination,
      );
      return { SecretList: page.items.map(secretListEntry), NextToken: page.nextToken };
    },

    RotateSecret: async (input, { principal }) => {
      const secret = store.findActive(secretId(input));
      const token = input.optionalString('ClientRequestToken', TOKEN);
      const lambdaArn = input.optionalString('RotationLambdaARN', { max: 2048 });
      const rules = readRotationRules(input);
      const rotateImmediately = input.optionalBoolean('RotateImmediately') ?? true;
      rotations.assertNoIncompleteRotation(secret);
      const functionArn = lambdaArn ?? secret.rotationLambdaArn;
      if (functionArn === undefined) {
        throw new AwsError(
          'InvalidRequestException',
          'No Lambda rotation function ARN is associated with this secret.',
        );
      }
      await access.authorizeRotationFunction(principal, functionArn);
      if (lambdaArn !== undefined) secret.rotationLambdaArn = lambdaArn;
      if (rules !== undefined) secret.rotationRules = rules;
      secret.rotationEnabled = true;
      secret.nextRotation = secret.rotationRules
        ? nextRotationWindow(secret.rotationRules, store.now())
        : undefined;
      store.touch(secret);
      const versionId = rotations.start(secret, { trigger: 'api', token, rotateImmediately });
      return { ...identity(secret), VersionId: versionId };
    },

    CancelRotateSecret: (input) => {
      const secret = store.findActive(secretId(input));
      secret.rotationEnabled = false;
      delete secret.nextRotation;
      store.touch(secret);
      return { ...identity(secret), VersionId: rotations.stuckPendingVersionId(secret) };
    },

    DeleteSecret: (input) => {
      const secret = store.find(secretId(input));
      const window = input.optionalInteger('RecoveryWindowInDays', { min: 7, max: 30 });
      const force = input.optionalBoolean('ForceDeleteWithoutRecovery') ?? false;
      if (force && window !== undefined) {
        throw new AwsError(
          'InvalidParameterException',
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      const deletionDate = store.scheduleDeletion(secret, window, force);
      return { ...identity(secret), DeletionDate: epochSeconds(deletionDate) };
    },

    RestoreSecret: (input) => {
      const secret = store.find(secretId(input));
      store.restore(secret);
      return identity(secret);
    },

    TagResource: (input) => {
      const secret = store.findActive(secretId(input));
      const tags = readTags(input);
      if (!tags)
        throw new AwsError(
          'ValidationException',
          "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
        );
      const merged = new Map(secret.tags.map((tag) => [tag.Key, tag.Value]));
      for (const tag of tags) merged.set(tag.Key, tag.Value);
      if (merged.size > 50)
        throw new AwsError('InvalidParameterException', 'Number of tags exceeds the limit of 50.');
      secret.tags = [...merged].map(([Key, Value]) => ({ Key, Value }));
      store.touch(secret);
      return {};
    },

    UntagResource: (input) => {
      const secret = store.findActive(secretId(input));
      const keys = input.optionalStringList('TagKeys', { itemMax: 128 });
      if (!keys)
        throw new AwsError(
          'ValidationException',
          "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
        );
      secret.tags = secret.tags.filter((tag) => !keys.includes(tag.Key));
      store.touch(secret);
      return {};
    },

    GetRandomPassword: (input) => ({
      RandomPassword: randomPassword({
        length: input.optionalInteger('PasswordLength', { min: 1, max: 4096 }) ?? 32,
        excludeCharacters: input.optionalString('ExcludeCharacters', { max: 4096 }) ?? '',
        excludeNumbers: input.optionalBoolean('ExcludeNumbers') ?? false,
        excludePunctuation: input.optionalBoolean('ExcludePunctuation') ?? false,
        excludeUppercase: input.optionalBoolean('ExcludeUppercase') ?? false,
        excludeLowercase: input.optionalBoolean('ExcludeLowercase') ?? false,
        includeSpace: input.optionalBoolean('IncludeSpace') ?? false,
        requireEachIncludedType: input.optionalBoolean('RequireEachIncludedType') ?? true,
      }),
    }),

    GetResourcePolicy: (input) => {
      const secret = store.find(secretId(input));
      return { ...identity(secret), ResourcePolicy: secret.resourcePolicy };
    },

    PutResourcePolicy: (input) => {
      const secret = store.findActive(secretId(input));
      const policyText = input.requiredString('ResourcePolicy', { min: 1, max: 20480 });
      let policy: unknown;
      try {
        policy = JSON.parse(policyText);
      } catch {
        throw new AwsError(
          'MalformedPolicyDocumentException',
          'This resource policy contains an unsupported or malformed JSON document.',
        );
      }
      if (typeof policy !== 'object' || policy === null) {
        throw new AwsError(
          'MalformedPolicyDocumentException',
          'This resource policy contains an unsupported or malformed JSON document.',
        );
      }
      if ((input.optionalBoolean('BlockPublicPolicy') ?? false) && grantsPublicAccess(policy)) {
        throw new AwsError(
          'PublicPolicyException',
          'The BlockPublicPolicy parameter is set to true and the resource policy did not prevent broad access to the secret.',
        );
      }
      secret.resourcePolicy = policyText;
      store.touch(secret);
      return identity(secret);
    },

    DeleteResourcePolicy: (input) => {
      const secret = store.find(secretId(input));
      delete secret.resourcePolicy;
      store.touch(secret);
      return identity(secret);
    },
  };
}
