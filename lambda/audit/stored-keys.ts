/**
 * Every key a secret still stores besides AWSCURRENT, probed at its vendor: the evidence that
 * old keys are dead at rest, not only the one the last rotation replaced. Read-only.
 */
import type { SecretMetadata, SecretVersion } from '../aws/secret-metadata';
import type { SecretsStore } from '../aws/secrets';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../aws/secrets';
import type { KeyProbe } from '../providers/probe';
import type { ProviderRegistry } from '../providers/registry';
import { describeError } from '../shared/errors';
import { describeKey, type KeyReference } from '../shared/key-reference';
import {
  resolveRevokePolicy,
  STAGED_LABEL,
  type RevokePolicy,
  type RotatedSecret,
} from '../shared/secret';
import { checkNotCompleted, finding, type AuditFinding, type AuditSubject } from './findings';

/**
 * Stored non-current versions probed per secret, newest first. Secrets Manager keeps up to about
 * 100 deprecated versions; the newest ones hold the keys most likely to be live, and the bound
 * keeps a daily audit of a large fleet within the vendors' rate limits.
 */
export const MAX_STORED_KEYS_PROBED = 5;

/** Labels whose keys are live by design: the current key, a rotation's, an operator's staged one. */
const LIVE_BY_DESIGN = [AWSCURRENT, AWSPENDING, STAGED_LABEL];

/** What the vendor says of one stored key. */
export type StoredKeyState =
  /** The vendor answers 401: revoked. */
  | 'dead'
  /** The vendor accepts it. */
  | 'live'
  /** The same key as AWSCURRENT's (e.g. a consumed STAGED version): not probed again. */
  | 'current'
  /** The version holds no key the rotator can read. */
  | 'unreadable'
  /** The vendor could not be asked (down, bad answer). */
  | 'error';

/** One stored non-current version and its key's state. */
export interface StoredKey {
  readonly versionId: string;
  readonly stages: readonly string[];
  /** Epoch ms, when Secrets Manager says. */
  readonly createdAt: number | undefined;
  readonly provider?: string;
  readonly key?: KeyReference;
  readonly state: StoredKeyState;
  /** Live by policy: AWSPREVIOUS's key under `next-rotation` (in any version storing it). */
  readonly keptByPolicy: boolean;
  /** Whether only a person can revoke it (the vendor has no revocation API). */
  readonly manualRevocation: boolean;
  /** Why it is unreadable or could not be probed. */
  readonly problem?: string;
  /** For a live key: how to revoke it, in the vendor's words. */
  readonly advice?: string;
  /** previous-key-revoked judges this key (the one the policy revokes next). */
  readonly judgedByPreviousCheck: boolean;
}

/** The stored keys of one secret, as probed. */
export interface StoredKeyInventory {
  readonly policy: RevokePolicy;
  readonly keys: readonly StoredKey[];
  /** Older non-current versions beyond {@link MAX_STORED_KEYS_PROBED}, not probed. */
  readonly notProbed: number;
}

/** What probing the stored keys needs. */
export interface StoredKeyContext {
  readonly snapshot: SecretMetadata;
  readonly secrets: Pick<SecretsStore, 'findValue'>;
  readonly providers: ProviderRegistry;
  /** Asks the secret's vendor about a key (the audit shares one answer per key between checks). */
  readonly probe: (secret: RotatedSecret) => Promise<KeyProbe>;
  /** The key previous-key-revoked already judges: its state is reported there, not again. */
  readonly judgedApiKey?: string;
}

/**
 * Probes the newest {@link MAX_STORED_KEYS_PROBED} versions that are not AWSCURRENT, AWSPENDING
 * or STAGED. `snapshot` must list every version (`readSecretMetadata(…, { versions: 'all' })`).
 *
 * @example
 * ```ts
 * const inventory = await probeStoredKeys({ snapshot, secrets, providers, probe }, current);
 * inventory.keys.filter((key) => key.state === 'live' && !key.keptByPolicy); // should be dead
 * ```
 */
export async function probeStoredKeys(
  context: StoredKeyContext,
  /** AWSCURRENT's secret; undefined when it holds no key (current-key-works reports that). */
  current: RotatedSecret | undefined,
  /** Versions probed at most, newest first; `report` asks for every one. */
  limit: number = MAX_STORED_KEYS_PROBED,
): Promise<StoredKeyInventory> {
  const { snapshot } = context;
  // Without a readable AWSCURRENT the policy is the one the stack tags the secret with.
  const policy = resolveRevokePolicy(current ?? {}, snapshot.arn, snapshot.tags);
  const candidates = snapshot.versions.filter(
    (version) => !version.stages.some((stage) => LIVE_BY_DESIGN.includes(stage)),
  );
  const probed = candidates.slice(0, limit);
  const read = await Promise.all(
    probed.map(async (version) => ({ version, text: await readText(context, version) })),
  );
  // The key the policy keeps is AWSPREVIOUS's, whichever versions store it (a consumed STAGED too).
  const previous = read.find(({ version }) => version.stages.includes(AWSPREVIOUS));
  const previousSecret =
    previous?.text === undefined ? undefined : readKey(context.providers, previous.text, current);
  const keptApiKey = policy === 'next-rotation' ? previousSecret?.apiKey : undefined;
  const keys: StoredKey[] = [];
  for (const { version, text } of read) {
    // The stack's placeholder, left as AWSPREVIOUS by the first key, holds no key at all.
    if (text !== undefined && context.providers.isPlaceholder(text)) continue;
    keys.push(await storedKey(context, version, text, current, keptApiKey));
  }
  return { policy, keys, notProbed: candidates.length - probed.length };
}

function readText(context: StoredKeyContext, version: SecretVersion): Promise<string | undefined> {
  return context.secrets.findValue(context.snapshot.arn, { versionId: version.versionId });
}

async function storedKey(
  context: StoredKeyContext,
  version: SecretVersion,
  text: string | undefined,
  current: RotatedSecret | undefined,
  keptApiKey: string | undefined,
): Promise<StoredKey> {
  const base = {
    versionId: version.versionId,
    stages: version.stages,
    createdAt: version.createdAt,
  };
  const secret = text === undefined ? undefined : readKey(context.providers, text, current);
  if (secret === undefined) {
    return {
      ...base,
      state: 'unreadable',
      keptByPolicy: false,
      judgedByPreviousCheck: false,
      manualRevocation: false,
      problem: text === undefined ? 'no value' : 'not a secret or staged key the rotator reads',
    };
  }
  const provider = context.providers.providerOf(secret);
  const described = {
    ...base,
    provider: secret.provider,
    key: context.providers.keyReference(secret),
    keptByPolicy: secret.apiKey === keptApiKey,
    judgedByPreviousCheck: secret.apiKey === context.judgedApiKey,
    manualRevocation: provider.staging !== undefined,
  };
  if (secret.apiKey === current?.apiKey) return { ...described, state: 'current' };
  try {
    const probe = await context.probe(secret);
    if (probe.kind === 'rejected') return { ...described, state: 'dead' };
    const advice = provider.guidance.revokeKey(secret, described.key, context.snapshot.name);
    return { ...described, state: 'live', advice };
  } catch (error) {
    const { name, message } = describeError(error);
    return { ...described, state: 'error', problem: `${name}: ${message}` };
  }
}

/** A full secret, or a consumed STAGED value (`{"apiKey","keyName"}`) read as the current secret's. */
function readKey(
  providers: ProviderRegistry,
  text: string,
  current: RotatedSecret | undefined,
): RotatedSecret | undefined {
  try {
    return providers.parseSecret(text);
  } catch {
    // A staged value names no vendor of its own: it is read as the current secret's.
    if (current === undefined) return undefined;
    const staging = providers.providerOf(current).staging;
    try {
      return staging?.withStagedKey(current, staging.parseStagedKey(text));
    } catch {
      return undefined;
    }
  }
}

/**
 * stored-keys-dead: no stored non-current key is live, except AWSPREVIOUS while `next-rotation`
 * keeps it. A live one gets its provider's advice.
 */
export function checkStoredKeysDead(
  subject: AuditSubject,
  inventory: StoredKeyInventory,
): AuditFinding {
  const check = 'stored-keys-dead';
  const bound =
    inventory.notProbed === 0
      ? ''
      : ` ${inventory.notProbed} older version(s) not probed (at most ${MAX_STORED_KEYS_PROBED} per secret).`;
  const escaped = inventory.keys.filter(
    (key) => key.state === 'live' && !key.keptByPolicy && !key.judgedByPreviousCheck,
  );
  const judged = inventory.keys.some((key) => key.state === 'live' && key.judgedByPreviousCheck)
    ? ' The key the policy revokes next is live: previous-key-revoked reports it.'
    : '';
  if (escaped.length > 0) {
    const [first] = escaped;
    const advice = first.advice === undefined ? '' : ` ${first.advice}`;
    return finding(
      subject,
      check,
      'fail',
      `${escaped.length} stored non-current key(s) still work, but policy ${inventory.policy} keeps none of them live: ${escaped.map(describeStored).join('; ')}.${advice}${bound}`,
      first.key,
    );
  }
  const failed = inventory.keys.find((key) => key.state === 'error');
  if (failed !== undefined) {
    return checkNotCompleted(
      subject,
      check,
      `probe stored key ${describeStored(failed)}`,
      new Error(failed.problem ?? 'unknown'),
      failed.key,
    );
  }
  const dead = inventory.keys.filter((key) => key.state === 'dead').length;
  const kept = inventory.keys.find(
    (key) => key.keptByPolicy && key.state === 'live' && key.stages.includes(AWSPREVIOUS),
  );
  return finding(
    subject,
    check,
    'pass',
    `${inventory.keys.length} stored non-current key(s) probed, ${dead} revoked${kept === undefined ? '' : `; AWSPREVIOUS ${describeStored(kept)} is live as policy next-rotation keeps it`}.${judged}${bound}`,
  );
}

function describeStored(key: StoredKey): string {
  const name = key.key === undefined ? 'unreadable key' : describeKey(key.key);
  return `${name} (version ${key.versionId}${key.stages.length === 0 ? '' : `, ${key.stages.join(',')}`})`;
}
