/**
 * The local world with the api-key-rotator stack deployed into it from the synthesized template,
 * authorization on: what `cdk deploy` leaves in an account, plus the people and apps around it
 * (an administrator who puts first keys, the operator of the README's policy, the apps that read).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { LocalClients } from '../scenarios';
import { startLocalWorld, type LocalWorld, type LocalWorldOptions } from '../world';
import { deployLocalStack, type LocalStack } from './deploy';
import { synthesizeForLocalWorld } from './synthesize';

export interface DeployedWorldOptions extends LocalWorldOptions {
  /** The config to synthesize and deploy. @default config/example.json */
  readonly configPath?: string;
  /** Progress of synthesis and deploy, one line at a time. */
  readonly onProgress?: (line: string) => void;
}

/** A local world with the stack deployed. */
export interface DeployedWorld {
  readonly world: LocalWorld;
  readonly stack: LocalStack;
  /** SDK clients signed as a session of `roleArn` (the administrator's by default). */
  clientsAs(roleArn?: string, sessionName?: string): LocalClients;
  close(): Promise<void>;
}

/**
 * Starts the local world, synthesizes the app (cached) and deploys it.
 *
 * @example
 * const deployed = await startDeployedWorld();
 * const operator = deployed.clientsAs(deployed.stack.operatorRoleArn);
 */
export async function startDeployedWorld(
  options: DeployedWorldOptions = {},
): Promise<DeployedWorld> {
  const progress = options.onProgress ?? ((): void => undefined);
  const { assemblyDir, config } = await synthesizeForLocalWorld({
    configPath: options.configPath,
    onProgress: progress,
  });
  const world = await startLocalWorld(options);
  const opened: LocalClients[] = [];
  try {
    progress(`deploying ${config.stackName} into the local world`);
    const stack = await deployLocalStack(world.aws, { assemblyDir, config, log: progress });
    return {
      world,
      stack,
      clientsAs(roleArn = stack.administratorRoleArn, sessionName) {
        const credentials = stack.credentialsFor(roleArn, sessionName);
        const config = { endpoint: world.urls.aws, region: world.aws.region, credentials };
        const clients = {
          secrets: new SecretsManagerClient(config),
          kms: new KMSClient(config),
          sns: new SNSClient(config),
        };
        const handle: LocalClients = {
          ...clients,
          destroy() {
            for (const client of Object.values(clients)) client.destroy();
          },
        };
        opened.push(handle);
        return handle;
      },
      async close() {
        for (const clients of opened) clients.destroy();
        await world.close();
      },
    };
  } catch (error) {
    await world.close();
    throw error;
  }
}
