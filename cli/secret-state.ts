import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readSecretMetadata, type SecretMetadata } from '../lambda/aws/secret-metadata';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, SecretsStore } from '../lambda/aws/secrets';
import { describeError } from '../lambda/shared/errors';
import { fingerprint } from '../lambda/shared/fingerprint';
import type { KeyReference } from '../lambda/shared/key-reference';
import type { ProviderRegistry } from '../lambda/providers/registry';
import {
  parseStagedKeyEnvelope,
  STAGED_LABEL,
  resolveRevokePolicy,
  type RevokePolicy,
  type RotatedSecret,
} from '../lambda/shared/secret';

/** The labels whose versions hold keys, in the order the CLI shows them. */
export const KEY_LABELS: readonly string[] = [AWSCURRENT, AWSPENDING, AWSPREVIOUS, STAGED_LABEL];

/** A labelled version, its key named by fingerprint (and the vendor's key name), never by value. */
export interface KeyVersion {
  readonly versionId: string;
  readonly labels: readonly string[];
  readonly fingerprint?: string;
  readonly keyName?: string;
  /** Why the version has no fingerprint: no value yet, or a value that does not parse. */
  readonly problem?: string;
}

/** A rotated secret as an operator needs to see it. */
export interface SecretState {
  readonly arn: string;
  readonly name: string;
  readonly provider: string | undefined;
  readonly rotationEnabled: boolean;
  readonly rotationFunctionArn: string | undefined;
  /** `rate(30 days)`, `cron(…)` or `every N days`, with the window's duration when set. */
  readonly schedule: string | undefined;
  readonly windowDuration: string | undefined;
  readonly lastRotated: Date | undefined;
  readonly nextRotation: Date | undefined;
  readonly revokePolicy: RevokePolicy | undefined;
  readonly versions: readonly KeyVersion[];
  /** A version left under AWSPENDING by a rotation that did not finish (or is still running). */
  readonly stuckPendingVersionId: string | undefined;
}

/**
 * Reads a secret's metadata and the keys its labelled versions hold. Values are parsed into
 * fingerprints here and dropped; nothing returned can reveal a key.
 */
export async function readSecretState(
  client: SecretsManagerClient,
  secretId: string,
  providers: ProviderRegistry,
): Promise<SecretState> {
  const metadata = await readSecretMetadata(client, secretId);
  const { arn } = metadata;
  const store = new SecretsStore(client);
  const labelled = metadata.versions.filter((version) =>
    version.stages.some((label) => KEY_LABELS.includes(label)),
  );
  const versions = await Promise.all(
    labelled.map(({ versionId, stages: labels }) =>
      readKeyVersion(store, arn, versionId, labels, providers),
    ),
  );
  versions.sort((a, b) => labelRank(a.labels) - labelRank(b.labels));
  const current = await readCurrent(store, arn, providers);
  const currentId = versions.find((v) => v.labels.includes(AWSCURRENT))?.versionId;
  const pendingId = versions.find((v) => v.labels.includes(AWSPENDING))?.versionId;
  return {
    arn,
    name: metadata.name,
    provider: current?.provider,
    rotationEnabled: metadata.rotationEnabled,
    rotationFunctionArn: metadata.rotationLambdaArn,
    ...scheduleOf(metadata),
    lastRotated: dateOf(metadata.lastRotatedAt),
    nextRotation: dateOf(metadata.nextRotationAt),
    revokePolicy:
      current === undefined ? undefined : resolveRevokePolicy(current, arn, metadata.tags),
    versions,
    stuckPendingVersionId:
      pendingId !== undefined && pendingId !== currentId ? pendingId : undefined,
  };
}

/** The parsed AWSCURRENT value, or undefined when it does not parse (its version shows why). */
async function readCurrent(
  store: SecretsStore,
  arn: string,
  providers: ProviderRegistry,
): Promise<RotatedSecret | undefined> {
  const text = await store.findValue(arn, { versionStage: AWSCURRENT });
  try {
    return text === undefined ? undefined : providers.parseSecret(text);
  } catch {
    return undefined;
  }
}

/** Names the key one version holds; reads its value and keeps only the fingerprint. */
export async function readKeyVersion(
  store: SecretsStore,
  arn: string,
  versionId: string,
  labels: readonly string[],
  providers: ProviderRegistry,
): Promise<KeyVersion> {
  const text = await store.findValue(arn, { versionId });
  if (text === undefined) return { versionId, labels, problem: 'no value yet' };
  if (providers.isPlaceholder(text))
    return { versionId, labels, problem: 'placeholder, no key stored yet' };
  try {
    return { versionId, labels, ...keyOf(text, labels, providers) };
  } catch (error) {
    return { versionId, labels, problem: describeError(error).message };
  }
}

/** A STAGED value holds only a key and its name; the next rotation checks its vendor shape. */
function keyOf(text: string, labels: readonly string[], providers: ProviderRegistry): KeyReference {
  if (labels.includes(STAGED_LABEL) && !labels.includes(AWSCURRENT)) {
    const staged = parseStagedKeyEnvelope(text);
    const key = { fingerprint: fingerprint(staged.apiKey) };
    return staged.keyName === undefined ? key : { ...key, keyName: staged.keyName };
  }
  return providers.keyReference(providers.parseSecret(text));
}

function dateOf(epochMs: number | undefined): Date | undefined {
  return epochMs === undefined ? undefined : new Date(epochMs);
}

function labelRank(labels: readonly string[]): number {
  const ranks = labels.map((label) => KEY_LABELS.indexOf(label)).filter((rank) => rank >= 0);
  return Math.min(...ranks);
}

function scheduleOf(metadata: SecretMetadata): Pick<SecretState, 'schedule' | 'windowDuration'> {
  const rules = metadata.rotationRules;
  const schedule =
    rules?.ScheduleExpression ??
    (rules?.AutomaticallyAfterDays === undefined
      ? undefined
      : `every ${rules.AutomaticallyAfterDays} days`);
  return { schedule, windowDuration: rules?.Duration };
}
