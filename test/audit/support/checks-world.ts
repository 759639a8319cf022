/**
 * A hand-built local world for the audit's checks in process (test/audit/checks.test.ts): a
 * manual clock, a customer-managed key, a notification topic and the bundled rotation function,
 * plus helpers to rotate a secret and to build the audit's dependencies in process. The checks
 * meet secrets in states the stack never creates (the AWS managed key, keys of their own, no
 * rotation, no secret at all), so the test's callers act as the account's administrator; the
 * deployed audit is tested on the deployed stack (./audit-world.ts).
 */
import { GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { Agent } from 'undici';
import type { AuditDependencies } from '../../../lambda/audit/checks';
import { HttpClient } from '../../../lambda/http/client';
import type { RotationRecord } from '../../../local/aws';
import { ManualClock } from '../../../local/aws/types';
import {
  configureRotation,
  deployRotator,
  localClients,
  type LocalClients,
} from '../../../local/scenarios';
import { startLocalWorld, type LocalWorld } from '../../../local/world';

export const DAY_MS = 86_400_000;

export interface ChecksTestWorld {
  readonly world: LocalWorld;
  readonly clock: ManualClock;
  readonly clients: LocalClients;
  readonly kmsKeyArn: string;
  readonly topicArn: string;
  readonly rotationFunctionArn: string;
  /** Every line the bundled functions printed, by function name. */
  readonly functionLog: { readonly line: string; readonly functionName: string }[];
  /** The audit's dependencies in process, judging time by the world's clock. */
  auditDependencies(overrides?: Partial<AuditDependencies>): AuditDependencies;
  /** Attaches the rotation function with a `rate(30 days)` schedule, without rotating. */
  enableRotation(secretArn: string): Promise<void>;
  /** RotateSecret now and wait for the four steps. */
  rotate(secretArn: string): Promise<RotationRecord>;
  /** The parsed AWSCURRENT value. */
  current(secretArn: string): Promise<{ apiKey: string; keyName?: string }>;
  /** Runs `action` with the world's clock set `ms` in the past, then sets it back to now. */
  inThePast<T>(ms: number, action: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function startChecksWorld(): Promise<ChecksTestWorld> {
  const clock = new ManualClock();
  const functionLog: { line: string; functionName: string }[] = [];
  const world = await startLocalWorld({
    clock,
    logSink: (line, functionName) => functionLog.push({ line, functionName }),
    administratorForUnknownKeys:
      'the audit checks run in process on secrets in states the stack never creates: the AWS managed key, keys of their own, rotation off, no secret',
  });
  const clients = localClients(world);
  const dispatcher = new Agent();
  try {
    const {
      kmsKeyArn,
      topicArn,
      functionArn: rotationFunctionArn,
    } = await deployRotator(world, clients);
    const http = new HttpClient({
      policy: {
        allowedOrigins: [world.urls.polytomic, world.urls.poelis],
        allowLoopbackHttp: true,
      },
      dispatcher,
    });
    return {
      world,
      clock,
      clients,
      kmsKeyArn,
      topicArn,
      rotationFunctionArn,
      functionLog,
      auditDependencies: (overrides = {}) => ({
        secretsManager: clients.secrets,
        kms: clients.kms,
        http,
        now: () => clock.now(),
        deadline: Date.now() + 30_000,
        ...overrides,
      }),
      async enableRotation(secretArn) {
        await configureRotation(clients, secretArn, rotationFunctionArn);
        // RotateImmediately=false still tests the configuration in the background.
        await world.aws.waitForRotations(secretArn);
      },
      async rotate(secretArn) {
        await clients.secrets.send(new RotateSecretCommand({ SecretId: secretArn }));
        await world.aws.waitForRotations(secretArn);
        return world.aws.rotationHistory(secretArn).at(-1)!;
      },
      async current(secretArn) {
        const { SecretString } = await clients.secrets.send(
          new GetSecretValueCommand({ SecretId: secretArn }),
        );
        return JSON.parse(SecretString!) as { apiKey: string; keyName?: string };
      },
      async inThePast(ms, action) {
        clock.set(Date.now() - ms);
        try {
          return await action();
        } finally {
          clock.set(Date.now());
        }
      },
      async close() {
        clients.destroy();
        await dispatcher.close();
        await world.close();
      },
    };
  } catch (error) {
    clients.destroy();
    await dispatcher.close();
    await world.close();
    throw error;
  }
}
