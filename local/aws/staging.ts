import { AwsError } from './errors';
import { DAY_MS } from './time';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';
export const AWSPENDING = 'AWSPENDING';

/** Secrets Manager keeps this many versions, plus every version younger than a day. */
export const MAX_KEPT_VERSIONS = 100;
/** Staging labels a secret's versions may carry in all. */
export const MAX_LABELS_PER_SECRET = 20;

export interface StagedVersion {
  versionId: string;
  stages: string[];
  createdDate: number;
}

export function findByLabel<V extends StagedVersion>(
  versions: readonly V[],
  label: string,
): V | undefined {
  return versions.find((version) => version.stages.includes(label));
}

/** Refuses labels that would take the secret past its staging label quota. */
export function assertLabelQuota(
  versions: readonly StagedVersion[],
  labels: readonly string[],
): void {
  const all = new Set([...versions.flatMap((version) => version.stages), ...labels]);
  if (all.size > MAX_LABELS_PER_SECRET) {
    throw new AwsError(
      'LimitExceededException',
      `A secret can have at most ${MAX_LABELS_PER_SECRET} staging labels attached across its versions.`,
    );
  }
}

function detach(version: StagedVersion, label: string): void {
  version.stages = version.stages.filter((stage) => stage !== label);
}

/**
 * Attaches `labels` to `target`, taking each from whichever version held it;
 * when AWSCURRENT moves, AWSPREVIOUS follows to the version it left.
 */
export function attachLabels(
  versions: readonly StagedVersion[],
  target: StagedVersion,
  labels: readonly string[],
): void {
  for (const label of labels) {
    const holder = findByLabel(versions, label);
    if (holder === target) continue;
    if (holder) detach(holder, label);
    target.stages.push(label);
    if (label === AWSCURRENT && holder && !labels.includes(AWSPREVIOUS)) {
      const previous = findByLabel(versions, AWSPREVIOUS);
      if (previous) detach(previous, AWSPREVIOUS);
      holder.stages.push(AWSPREVIOUS);
    }
  }
}

/** UpdateSecretVersionStage: moves or removes one label, with the checks Secrets Manager makes. */
export function moveLabel(
  versions: readonly StagedVersion[],
  label: string,
  moveToVersionId: string | undefined,
  removeFromVersionId: string | undefined,
): void {
  const byId = (versionId: string): StagedVersion => {
    const version = versions.find((candidate) => candidate.versionId === versionId);
    if (!version)
      throw new AwsError('InvalidParameterException', `Not a valid version: ${versionId}`);
    return version;
  };
  const target = moveToVersionId === undefined ? undefined : byId(moveToVersionId);
  const source = removeFromVersionId === undefined ? undefined : byId(removeFromVersionId);
  if (source && !source.stages.includes(label)) {
    throw new AwsError(
      'InvalidParameterException',
      `Staging label ${label} isn't currently attached to version ${source.versionId}.`,
    );
  }
  const holder = findByLabel(versions, label);
  if (target && holder && holder !== target && holder !== source) {
    throw new AwsError(
      'InvalidParameterException',
      `The parameter RemoveFromVersionId can't be empty. Staging label ${label} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
  }
  if (!target && label === AWSCURRENT && source) {
    throw new AwsError(
      'InvalidParameterException',
      "You can only move the staging label AWSCURRENT to another version; you can't remove it.",
    );
  }
  if (target) {
    assertLabelQuota(versions, [label]);
    attachLabels(versions, target, [label]);
  } else if (source) {
    detach(source, label);
  }
}

/** Versions without labels are deprecated: drop the oldest past the kept count, sparing the last day's. */
export function pruneDeprecated<V extends StagedVersion>(versions: readonly V[], now: number): V[] {
  let excess = versions.length - MAX_KEPT_VERSIONS;
  if (excess <= 0) return [...versions];
  const removable = new Set(
    [...versions]
      .filter((version) => version.stages.length === 0 && now - version.createdDate > DAY_MS)
      .sort((a, b) => a.createdDate - b.createdDate)
      .filter(() => excess-- > 0),
  );
  return versions.filter((version) => !removable.has(version));
}
