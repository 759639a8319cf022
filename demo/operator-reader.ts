/**
 * Makes the operator a reader of the story's secrets, as listing its role in each secret's
 * `readerRoleArns` and redeploying would: wherever the secret and key policies name the config's
 * reader role, they name the operator's too. `rollback` and `report` read keys (to name them by
 * fingerprint and ask the vendor), which only readers may (README "Operator IAM").
 */
import { GetKeyPolicyCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import {
  GetResourcePolicyCommand,
  PutResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import type { StoryContext } from './story-context';

/** Adds `operator` beside every occurrence of `reader` in a policy document. */
export function withOperatorBesideReader(
  policy: unknown,
  reader: string,
  operator: string,
): unknown {
  if (Array.isArray(policy)) {
    const items = policy.map((item: unknown) => withOperatorBesideReader(item, reader, operator));
    return items.includes(reader) && !items.includes(operator) ? [...items, operator] : items;
  }
  if (typeof policy !== 'object' || policy === null) return policy;
  return Object.fromEntries(
    Object.entries(policy).map(([key, value]) => [
      key,
      value === reader ? [reader, operator] : withOperatorBesideReader(value, reader, operator),
    ]),
  );
}

/** The administrator updates the secrets' resource policies and the key policy. */
export async function makeOperatorReader(context: StoryContext): Promise<void> {
  const { demo } = context;
  const admin = demo.principals.administrator;
  const reader = demo.roleArns.app;
  const operator = demo.roleArns.operator;
  for (const secretArn of [demo.polytomic.arn, demo.poelis.arn]) {
    const { ResourcePolicy } = await admin.secrets.send(
      new GetResourcePolicyCommand({ SecretId: secretArn }),
    );
    if (ResourcePolicy === undefined) continue;
    const updated = withOperatorBesideReader(JSON.parse(ResourcePolicy), reader, operator);
    await admin.secrets.send(
      new PutResourcePolicyCommand({
        SecretId: secretArn,
        ResourcePolicy: JSON.stringify(updated),
      }),
    );
  }
  const { Policy } = await admin.kms.send(
    new GetKeyPolicyCommand({ KeyId: demo.stack.kmsKeyArn, PolicyName: 'default' }),
  );
  if (Policy !== undefined) {
    const updated = withOperatorBesideReader(JSON.parse(Policy), reader, operator);
    await admin.kms.send(
      new PutKeyPolicyCommand({
        KeyId: demo.stack.kmsKeyArn,
        PolicyName: 'default',
        Policy: JSON.stringify(updated),
      }),
    );
  }
  context.narrator.line(
    'info',
    `the platform engineer lists ${operator} among the secrets' readers (as readerRoleArns and a redeploy would): rollback and report read keys`,
  );
}
