/**
 * The deployed stack (test/support/configs/e2e.json) in a local world on a manual clock, for the
 * audit end to end: the people around it (an administrator who puts first keys and rotates, the
 * operator who stages Poelis keys, the application that reads), and the ways AWS starts the audit
 * (its EventBridge Scheduler schedule, or an invocation from the console).
 */
import { GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { RotationRecord } from '../../../local/aws';
import { roleSession } from '../../../local/aws/authorization';
import type { InvokeResult } from '../../../local/aws/types';
import { ManualClock } from '../../../local/aws/types';
import {
  putFirstPoelisKey,
  putFirstPolytomicKey,
  stagePoelisKey,
  type LocalClients,
  type PoelisFixture,
  type PolytomicFixture,
} from '../../../local/scenarios';
import type { LocalStack } from '../../../local/stack/deploy';
import { startDeployedWorld, type DeployedWorld } from '../../../local/stack/world';
import type { LocalWorld } from '../../../local/world';
import { appRoleArn, deployedSecretArn, E2E_CONFIG } from '../../support/configs';

export const DAY_MS = 86_400_000;

export interface AuditTestWorld {
  readonly deployed: DeployedWorld;
  readonly world: LocalWorld;
  readonly stack: LocalStack;
  readonly clock: ManualClock;
  /** The account administrator: puts first keys, rotates, manages keys. */
  readonly admin: LocalClients;
  /** The operator of the README's policy: stages Poelis keys. */
  readonly operator: LocalClients;
  /** The application role: reads AWSCURRENT. */
  readonly app: LocalClients;
  /** The audit function's physical name. */
  readonly auditFunctionName: string;
  /** Every line the deployed functions printed, by function name. */
  readonly functionLog: { readonly line: string; readonly functionName: string }[];
  /** Every call the world's IAM evaluator refused, one line each. */
  readonly denials: string[];
  /** The ARN of the deployed secret `name`. */
  secretArn(name: string): string;
  /** Deploy step 3 for the Polytomic secret `name`: a partner key and the first key. */
  putPolytomicKey(name: string): Promise<PolytomicFixture>;
  /** Deploy step 3 for the Poelis secret `name`: the key `<name> #1` of a new organization. */
  putPoelisKey(name: string): Promise<PoelisFixture>;
  /** The operator stages a new Poelis key created in the web app. */
  stage(fixture: PoelisFixture, keyName: string): Promise<void>;
  /** RotateSecret now (the administrator), wait for the steps and for the alarms they moved. */
  rotate(secretArn: string): Promise<RotationRecord>;
  /** The parsed AWSCURRENT value, as the application reads it. */
  current(secretArn: string): Promise<{ apiKey: string; keyName?: string }>;
  /** Runs the audit's schedule for `scheduledTime`, as EventBridge Scheduler does when it is due. */
  runSchedule(scheduledTime: Date): Promise<InvokeResult>;
  /** Invokes the audit function with `event`, as the administrator would from the console. */
  invokeAudit(event: unknown): Promise<InvokeResult>;
  /** Runs `action` with the world's clock set `ms` in the past, then sets it back to now. */
  inThePast<T>(ms: number, action: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function startAuditWorld(): Promise<AuditTestWorld> {
  const clock = new ManualClock();
  const functionLog: { line: string; functionName: string }[] = [];
  const denials: string[] = [];
  const deployed = await startDeployedWorld({
    configPath: E2E_CONFIG,
    clock,
    logSink: (line, functionName) => functionLog.push({ line, functionName }),
    authorizationLog: (line) => denials.push(line),
  });
  const { world, stack } = deployed;
  try {
    const admin = deployed.clientsAs();
    const operator = deployed.clientsAs(stack.operatorRoleArn, 'operator');
    const app = deployed.clientsAs(appRoleArn(stack), 'app');
    const schedule = world.aws.scheduler
      .schedules()
      .find((candidate) => candidate.target.arn === stack.auditFunctionArn);
    if (schedule === undefined) throw new Error('The deployed stack has no audit schedule');
    const settled = async (): Promise<void> => {
      await world.aws.sns.waitForDeliveries();
      await world.aws.cloudwatch.settled();
    };
    return {
      deployed,
      world,
      stack,
      clock,
      admin,
      operator,
      app,
      auditFunctionName: stack.auditFunctionArn.slice(stack.auditFunctionArn.lastIndexOf(':') + 1),
      functionLog,
      denials,
      secretArn: (name) => deployedSecretArn(stack, name),
      putPolytomicKey: (name) =>
        putFirstPolytomicKey(world, admin, {
          secretArn: deployedSecretArn(stack, name),
          partnerKeySecretArn: stack.partnerKeySecretArn!,
        }),
      putPoelisKey: (name) =>
        putFirstPoelisKey(world, admin, {
          secretArn: deployedSecretArn(stack, name),
          keyName: `${name} #1`,
        }),
      stage: (fixture, keyName) => stagePoelisKey(world, operator, fixture, keyName),
      async rotate(secretArn) {
        await admin.secrets.send(new RotateSecretCommand({ SecretId: secretArn }));
        await world.aws.waitForRotations(secretArn);
        await settled();
        return world.aws.rotationHistory(secretArn).at(-1)!;
      },
      async current(secretArn) {
        const { SecretString } = await app.secrets.send(
          new GetSecretValueCommand({ SecretId: secretArn }),
        );
        return JSON.parse(SecretString!) as { apiKey: string; keyName?: string };
      },
      async runSchedule(scheduledTime) {
        const result = await world.aws.scheduler.runSchedule(schedule.name, scheduledTime);
        await settled();
        return result;
      },
      async invokeAudit(event) {
        const result = await world.aws.lambda.invoke(stack.auditFunctionArn, event, {
          principal: roleSession(stack.administratorRoleArn, 'console'),
        });
        await settled();
        return result;
      },
      async inThePast(ms, action) {
        clock.set(Date.now() - ms);
        try {
          return await action();
        } finally {
          clock.set(Date.now());
        }
      },
      close: () => deployed.close(),
    };
  } catch (error) {
    await deployed.close();
    throw error;
  }
}
