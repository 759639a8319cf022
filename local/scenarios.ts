/**
 * Ready-made set-ups in the local world: a customer-managed key, Polytomic and Poelis secrets with
 * their vendor accounts, and the STAGED Poelis key an operator would store. Tests, the demo and the
 * benchmarks build on these so that each describes only what it is about.
 */
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  FunctionEnv,
  MANAGED_TAG,
  MANAGED_TAG_VALUE,
  PROVIDER_TAG,
} from '../lambda/shared/contracts';
import type { LocalWorld } from './world';

/**
 * SDK client settings that reach the local world's AWS emulator. The access key id names the
 * caller, which is what the emulator's deny rules match.
 */
export function localAwsConfig(
  world: LocalWorld,
  accessKeyId = 'local',
): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    endpoint: world.urls.aws,
    region: world.aws.region,
    credentials: { accessKeyId, secretAccessKey: 'local' },
  };
}

export interface LocalClients {
  readonly secrets: SecretsManagerClient;
  readonly kms: KMSClient;
  readonly sns: SNSClient;
  /** Closes the clients' connections. */
  destroy(): void;
}

export function localClients(world: LocalWorld, accessKeyId?: string): LocalClients {
  const config = localAwsConfig(world, accessKeyId);
  const clients = {
    secrets: new SecretsManagerClient(config),
    kms: new KMSClient(config),
    sns: new SNSClient(config),
  };
  return {
    ...clients,
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

/** Creates a customer-managed KMS key with an alias, as the stack does; returns its ARN. */
export async function createCustomerManagedKey(
  clients: LocalClients,
  alias = 'alias/api-key-rotator',
): Promise<string> {
  const created = await clients.kms.send(
    new CreateKeyCommand({ Description: 'api-key-rotator secrets' }),
  );
  const arn = created.KeyMetadata?.Arn;
  if (arn === undefined) throw new Error('CreateKey returned no key ARN');
  await clients.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: arn }));
  return arn;
}

/** Creates the SNS topic the functions tell operators through, as the stack does; returns its ARN. */
export async function createNotificationTopic(
  clients: LocalClients,
  name = 'api-key-rotator-notices',
): Promise<string> {
  const created = await clients.sns.send(new CreateTopicCommand({ Name: name }));
  if (created.TopicArn === undefined) throw new Error('CreateTopic returned no topic ARN');
  return created.TopicArn;
}

export interface RotatorDeploymentOptions {
  /** @default ROTATION_FUNCTION_NAME */
  readonly functionName?: string;
  /** More environment for the rotation function (it already gets the stack's settings). */
  readonly environment?: Record<string, string>;
  /** @default unlimited */
  readonly reservedConcurrency?: number;
  /** @default 128 */
  readonly memoryMb?: number;
}

/** What `cdk deploy` leaves in an account, in the local world. */
export interface RotatorDeployment {
  readonly kmsKeyArn: string;
  readonly topicArn: string;
  readonly functionArn: string;
  /** The settings the stack gives the rotation function, for registering variants of it. */
  readonly environment: Record<string, string>;
}

/**
 * Deploy-equivalent: a customer-managed key, the notification topic, and the bundled rotation
 * function configured as the stack configures it (customer-managed key required, topic set).
 */
export async function deployRotator(
  world: LocalWorld,
  clients: LocalClients,
  options: RotatorDeploymentOptions = {},
): Promise<RotatorDeployment> {
  const kmsKeyArn = await createCustomerManagedKey(clients);
  const topicArn = await createNotificationTopic(clients);
  const environment = {
    [FunctionEnv.RequireCustomerManagedKey]: 'true',
    [FunctionEnv.NotifyTopicArn]: topicArn,
    ...options.environment,
  };
  const functionArn = world.registerRotationFunction({
    name: options.functionName,
    reservedConcurrency: options.reservedConcurrency,
    memoryMb: options.memoryMb,
    environment,
  });
  return { kmsKeyArn, topicArn, functionArn, environment };
}

export interface PolytomicSecretOptions {
  readonly name: string;
  readonly kmsKeyId?: string;
  /** Two users alternate (zero downtime); false is single-user mode. @default true */
  readonly standby?: boolean;
  readonly revokePrevious?: 'on-finish' | 'next-rotation';
  /** Reuse a partner-key secret; otherwise one is created beside the secret. */
  readonly partnerKeySecretId?: string;
}

export interface PolytomicFixture {
  readonly secretArn: string;
  readonly organizationId: string;
  readonly userId: string;
  readonly standbyUserId?: string;
  readonly partnerKeySecretArn: string;
}

/** A Polytomic organization with its two rotation users (one in single-user mode). */
function polytomicAccount(
  world: LocalWorld,
  name: string,
  standby: boolean,
): { organizationId: string; userId: string; standbyUserId?: string } {
  const { admin } = world.polytomic;
  const organization = admin.createOrganization(`${name} org`);
  const user = admin.createUser(organization.id, `rotation-a+${organization.id}@example.com`);
  const standbyUser = standby
    ? admin.createUser(organization.id, `rotation-b+${organization.id}@example.com`)
    : undefined;
  return { organizationId: organization.id, userId: user.id, standbyUserId: standbyUser?.id };
}

/** The secret value (schema 1) of a Polytomic secret holding a fresh key of `userId`. */
function polytomicValue(
  world: LocalWorld,
  account: { organizationId: string; userId: string; standbyUserId?: string },
  partnerKeySecretId: string,
  revokePrevious?: 'on-finish' | 'next-rotation',
): string {
  return JSON.stringify({
    provider: 'polytomic',
    apiKey: world.polytomic.admin.issueUserKey(account.organizationId, account.userId),
    organizationId: account.organizationId,
    userId: account.userId,
    ...(account.standbyUserId ? { standbyUserId: account.standbyUserId } : {}),
    baseUrl: world.urls.polytomic,
    apiVersion: '2025-09-18',
    partnerKeySecretId,
    ...(revokePrevious ? { revokePrevious } : {}),
  });
}

/** A Polytomic organization with its rotation users, a partner key, and the managed secret. */
export async function provisionPolytomicSecret(
  world: LocalWorld,
  clients: LocalClients,
  options: PolytomicSecretOptions,
): Promise<PolytomicFixture> {
  const account = polytomicAccount(world, options.name, options.standby !== false);
  const partnerKeySecretArn =
    options.partnerKeySecretId ??
    (await createSecret(clients, {
      name: `${options.name}/partner-key`,
      kmsKeyId: options.kmsKeyId,
      value: { partnerKey: world.polytomic.admin.createPartnerKey() },
    }));
  const created = await clients.secrets.send(
    new CreateSecretCommand({
      Name: options.name,
      KmsKeyId: options.kmsKeyId,
      SecretString: polytomicValue(world, account, partnerKeySecretArn, options.revokePrevious),
      Tags: [
        { Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE },
        { Key: PROVIDER_TAG, Value: 'polytomic' },
      ],
    }),
  );
  if (created.ARN === undefined) throw new Error(`CreateSecret ${options.name} returned no ARN`);
  return { secretArn: created.ARN, ...account, partnerKeySecretArn };
}

/**
 * Deploy step 3 for a deployed Polytomic secret: the partner key and the first key are put into
 * the secrets the stack created (by `clients`, e.g. the administrator's).
 */
export async function putFirstPolytomicKey(
  world: LocalWorld,
  clients: LocalClients,
  options: {
    readonly secretArn: string;
    readonly partnerKeySecretArn: string;
    /** Two users alternate (zero downtime); false is single-user mode. @default true */
    readonly standby?: boolean;
    readonly revokePrevious?: 'on-finish' | 'next-rotation';
  },
): Promise<PolytomicFixture> {
  const account = polytomicAccount(world, options.secretArn, options.standby !== false);
  await clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: options.partnerKeySecretArn,
      SecretString: JSON.stringify({ partnerKey: world.polytomic.admin.createPartnerKey() }),
    }),
  );
  await clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: options.secretArn,
      SecretString: polytomicValue(
        world,
        account,
        options.partnerKeySecretArn,
        options.revokePrevious,
      ),
    }),
  );
  return {
    secretArn: options.secretArn,
    ...account,
    partnerKeySecretArn: options.partnerKeySecretArn,
  };
}

export interface PoelisSecretOptions {
  readonly name: string;
  /** Put the key in this existing organization (secrets sharing one rate limit). @default a new one */
  readonly organizationId?: string;
  readonly kmsKeyId?: string;
  readonly keyName?: string;
  readonly revokePrevious?: 'on-finish' | 'next-rotation';
}

export interface PoelisFixture {
  readonly secretArn: string;
  readonly organizationId: string;
  readonly keyName: string;
}

/** A Poelis organization with one workspace and a key created "in the web app", stored as the secret. */
export async function provisionPoelisSecret(
  world: LocalWorld,
  clients: LocalClients,
  options: PoelisSecretOptions,
): Promise<PoelisFixture> {
  const { admin } = world.poelis;
  const organizationId = options.organizationId ?? newPoelisOrganization(world, options.name);
  const keyName = options.keyName ?? `${options.name} #1`;
  const secretArn = await createSecret(clients, {
    name: options.name,
    kmsKeyId: options.kmsKeyId,
    provider: 'poelis',
    value: {
      provider: 'poelis',
      apiKey: admin.createKey(organizationId, keyName),
      keyName,
      baseUrl: world.urls.poelis,
      ...(options.revokePrevious ? { revokePrevious: options.revokePrevious } : {}),
    },
  });
  return { secretArn, organizationId, keyName };
}

/** Deploy step 3 for a deployed Poelis secret: a key created "in the web app", put as its first value. */
export async function putFirstPoelisKey(
  world: LocalWorld,
  clients: LocalClients,
  options: {
    readonly secretArn: string;
    readonly keyName: string;
    readonly organizationId?: string;
    readonly revokePrevious?: 'on-finish' | 'next-rotation';
  },
): Promise<PoelisFixture> {
  const organizationId = options.organizationId ?? newPoelisOrganization(world, options.keyName);
  await clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: options.secretArn,
      SecretString: JSON.stringify({
        provider: 'poelis',
        apiKey: world.poelis.admin.createKey(organizationId, options.keyName),
        keyName: options.keyName,
        baseUrl: world.urls.poelis,
        ...(options.revokePrevious ? { revokePrevious: options.revokePrevious } : {}),
      }),
    }),
  );
  return { secretArn: options.secretArn, organizationId, keyName: options.keyName };
}

/** A Poelis organization with one workspace, as a new customer has; returns its id. */
export function newPoelisOrganization(world: LocalWorld, name: string): string {
  const organization = world.poelis.admin.createOrganization(`${name} org`);
  world.poelis.admin.createWorkspace(organization.id, 'Main');
  return organization.id;
}

/** What an operator does for an assisted rotation: create a key in Poelis, store it as STAGED. */
export async function stagePoelisKey(
  world: LocalWorld,
  clients: LocalClients,
  fixture: PoelisFixture,
  keyName: string,
): Promise<void> {
  const apiKey = world.poelis.admin.createKey(fixture.organizationId, keyName);
  await clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: fixture.secretArn,
      SecretString: JSON.stringify({ apiKey, keyName }),
      VersionStages: ['STAGED'],
    }),
  );
}

/** Attaches the rotation function and a schedule; with rotateImmediately false nothing rotates yet. */
export async function configureRotation(
  clients: LocalClients,
  secretArn: string,
  rotationFunctionArn: string,
  options: { schedule?: string; window?: string; rotateImmediately?: boolean } = {},
): Promise<void> {
  await clients.secrets.send(
    new RotateSecretCommand({
      SecretId: secretArn,
      RotationLambdaARN: rotationFunctionArn,
      RotationRules: {
        ScheduleExpression: options.schedule ?? 'rate(30 days)',
        ...(options.window ? { Duration: options.window } : {}),
      },
      RotateImmediately: options.rotateImmediately ?? false,
    }),
  );
}

async function createSecret(
  clients: LocalClients,
  spec: { name: string; kmsKeyId?: string; provider?: string; value: Record<string, unknown> },
): Promise<string> {
  const created = await clients.secrets.send(
    new CreateSecretCommand({
      Name: spec.name,
      KmsKeyId: spec.kmsKeyId,
      SecretString: JSON.stringify(spec.value),
      Tags: spec.provider
        ? [
            { Key: MANAGED_TAG, Value: MANAGED_TAG_VALUE },
            { Key: PROVIDER_TAG, Value: spec.provider },
          ]
        : undefined,
    }),
  );
  if (created.ARN === undefined) throw new Error(`CreateSecret ${spec.name} returned no ARN`);
  return created.ARN;
}
