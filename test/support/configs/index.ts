/**
 * The config the end-to-end suites deploy into the local world (`startDeployedWorld`). They all
 * deploy the same file, so `cdk synth` runs once and every suite reuses the cached assembly.
 *
 * `e2e.json` names one secret per scenario, so a suite picks its secrets by name:
 * - `rotation/*`: test/lambda/e2e/rotation.e2e.test.ts (`rotation/next-rotation` carries the
 *   stack's `next-rotation` revoke-policy tag);
 * - `e2e/*`: test/audit/audit-function.e2e.test.ts;
 * - `deployed/polytomic`: test/lib/synth.test.ts; `client/poelis`: test/client/emulator.test.ts.
 * Every secret lets the application role `e2e-app` read it (README "Reading the key from an
 * application"); the audit runs hourly, so only its run between 00:00 and 01:00 UTC notifies.
 */
import { join } from 'node:path';
import type { LocalStack } from '../../../local/stack/deploy';

/** The config file every end-to-end suite deploys. */
export const E2E_CONFIG = join(__dirname, 'e2e.json');

/** The application role the config lets read every managed secret. */
export function appRoleArn(stack: LocalStack): string {
  const [role] = stack.config.secrets.flatMap((secret) => secret.readerRoleArns);
  if (role === undefined) throw new Error(`${E2E_CONFIG} names no reader role`);
  return role;
}

/** The ARN of the deployed secret `name`, failing loudly when the config has no such secret. */
export function deployedSecretArn(stack: LocalStack, name: string): string {
  const arn = stack.secretArns[name];
  if (arn === undefined) {
    throw new Error(
      `${E2E_CONFIG} deploys no secret ${name} (it has ${Object.keys(stack.secretArns).join(', ')})`,
    );
  }
  return arn;
}

/**
 * The physical name of the stack's alarm `alarmId` (RotationMonitoring's id: the metric name, and
 * for the audit's per-check alarms the check, e.g. `AuditCheckFailedCurrentKeyWorks`).
 */
export function alarmNameOf(stack: LocalStack, alarmId: string): string {
  for (const [logicalId, resource] of stack.deployed.resources) {
    if (
      resource.type === 'AWS::CloudWatch::Alarm' &&
      new RegExp(`^Monitoring${alarmId}[0-9A-F]{8}$`).test(logicalId)
    ) {
      return resource.physicalId;
    }
  }
  throw new Error(`The deployed stack has no alarm ${alarmId}`);
}
