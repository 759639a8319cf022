import { createHash } from 'node:crypto';
import { NestedStack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Up to this many managed secrets live in the stack itself (3 resources each, beside about 70 of
 * shared infrastructure, under CloudFormation's 500): a small fleet deploys as one stack.
 */
export const ROOT_STACK_SECRET_LIMIT = 100;

/**
 * A larger fleet is spread over this many nested stacks, each secret in the one its name hashes to,
 * so adding or removing a secret never moves another. 10,000 secrets average 78 per shard.
 */
export const SECRET_SHARD_COUNT = 128;

/** At most this many secrets per shard: 3 resources each stay under 500 with room to spare. */
export const MAX_SECRETS_PER_SHARD = 150;

/**
 * The shard a secret name belongs to: the first 4 bytes of its SHA-256, modulo the shard count.
 *
 * @example
 * shardOf('fleet/acme'); // the same number from 0 to 127 on every synthesis
 */
export function shardOf(secretName: string): number {
  return createHash('sha256').update(secretName).digest().readUInt32BE(0) % SECRET_SHARD_COUNT;
}

/** Thrown when one shard would hold more secrets than a nested stack can. */
export class ShardOverflowError extends Error {
  constructor(
    readonly shard: number,
    readonly count: number,
  ) {
    super(
      `Secret shard ${shard} would hold ${count} secrets (at most ${MAX_SECRETS_PER_SHARD}, for CloudFormation's 500 resources per stack): deploy the fleet as two stacks with different stackName and secretNamePrefixes.`,
    );
    this.name = 'ShardOverflowError';
  }
}

/**
 * Where each secret's resources go: `scope` itself for a fleet of at most
 * {@link ROOT_STACK_SECRET_LIMIT}, else the nested stack `Secrets<NNN>` of its shard, made on
 * first use.
 *
 * @example
 * const placeOf = secretPlacement(stack, names);
 * new ManagedApiKey(placeOf('fleet/acme'), 'FleetAcme', props);
 */
export function secretPlacement(
  scope: Construct,
  secretNames: readonly string[],
): (secretName: string) => Construct {
  if (secretNames.length <= ROOT_STACK_SECRET_LIMIT) return () => scope;
  const counts = new Map<number, number>();
  for (const name of secretNames) counts.set(shardOf(name), (counts.get(shardOf(name)) ?? 0) + 1);
  for (const [shard, count] of counts) {
    if (count > MAX_SECRETS_PER_SHARD) throw new ShardOverflowError(shard, count);
  }
  const shards = new Map<number, NestedStack>();
  return (secretName) => {
    const shard = shardOf(secretName);
    let stack = shards.get(shard);
    if (stack === undefined) {
      stack = new NestedStack(scope, `Secrets${String(shard).padStart(3, '0')}`, {
        description: `api-key-rotator managed secrets, shard ${shard} of ${SECRET_SHARD_COUNT}`,
      });
      shards.set(shard, stack);
    }
    return stack;
  };
}
