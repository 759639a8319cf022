import type { SecretsStore } from '../aws/secrets';
import { versionWithStage, type SecretMetadata, type SecretVersion } from '../aws/secret-metadata';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../aws/secrets';
import { probeKey, type KeyProbe } from '../providers/probe';
import type { VerifyContext } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';
import { describeKey } from '../shared/key-reference';
import {
  resolveRevokePolicy,
  type RevokePolicy,
  SecretFormatError,
  type RotatedSecret,
} from '../shared/secret';
import { checkNotCompleted, finding, type AuditFinding, type AuditSubject } from './findings';
import { checkStoredKeysDead, probeStoredKeys } from './stored-keys';

/** What the two vendor checks work with. */
export interface KeyCheckContext {
  readonly subject: AuditSubject;
  readonly snapshot: SecretMetadata;
  readonly secrets: SecretsStore;
  readonly providers: ProviderRegistry;
  readonly vendor: VerifyContext;
  /** Asks the vendor about a key; checkKeys shares one answer per key between its checks. */
  readonly probe?: KeyProber;
}

/** Asks a secret's vendor whether it accepts the secret's key. */
export type KeyProber = (secret: RotatedSecret) => Promise<KeyProbe>;

/** Deprecated versions read at most when looking for the key before AWSPREVIOUS. */
const MAX_DEPRECATED_VERSIONS_READ = 5;

/**
 * current-key-works, previous-key-revoked and stored-keys-dead, reading AWSCURRENT once and
 * asking the vendor once per key for all three.
 */
export async function checkKeys(unshared: KeyCheckContext): Promise<AuditFinding[]> {
  const context = { ...unshared, probe: sharedProbe(unshared) };
  const current = await readCurrent(context);
  const currentFinding =
    'finding' in current ? current.finding : await checkCurrentKey(context, current.secret);
  const currentApiKey = 'secret' in current ? current.secret.apiKey : undefined;
  // The key previous-key-revoked judges is left to it: one live key, one finding.
  const judged: { apiKey?: string } = {};
  const previousFinding = await checkPreviousKeyRevoked(context, currentApiKey, judged);
  return [currentFinding, previousFinding, await checkStoredKeys(context, current, judged.apiKey)];
}

/** stored-keys-dead, once AWSCURRENT is known (its policy decides which key may stay live). */
async function checkStoredKeys(
  context: KeyCheckContext & { readonly probe: KeyProber },
  current: VersionRead,
  judgedApiKey: string | undefined,
): Promise<AuditFinding> {
  const check = 'stored-keys-dead';
  // A missing or malformed AWSCURRENT fails current-key-works; the old keys are probed all the same.
  if ('finding' in current && current.finding.outcome === 'error') {
    return checkNotCompleted(
      context.subject,
      check,
      'probe the stored keys',
      new Error('AWSCURRENT could not be read, so its revoke policy is unknown.'),
    );
  }
  try {
    const secret = 'secret' in current ? current.secret : undefined;
    const inventory = await probeStoredKeys({ ...context, judgedApiKey }, secret);
    return checkStoredKeysDead(context.subject, inventory);
  } catch (error) {
    return checkNotCompleted(context.subject, check, 'probe the stored keys', error);
  }
}

/** One vendor answer per key for every check of this secret (a key is probed once). */
function sharedProbe(context: KeyCheckContext): KeyProber {
  const answers = new Map<string, Promise<KeyProbe>>();
  return (secret) => {
    const known = answers.get(secret.apiKey);
    if (known !== undefined) return known;
    const answer = probeKey(context.providers.providerOf(secret), secret, context.vendor);
    answers.set(secret.apiKey, answer);
    return answer;
  };
}

async function readCurrent(context: KeyCheckContext): Promise<VersionRead> {
  const version = versionWithStage(context.snapshot, AWSCURRENT);
  if (version === undefined) {
    return {
      finding: finding(
        context.subject,
        'current-key-works',
        'fail',
        'The secret has no AWSCURRENT version. Store the key as described in the README.',
      ),
    };
  }
  return readVersion(context, version, 'current-key-works', 'AWSCURRENT');
}

/** current-key-works: AWSCURRENT authenticates at the vendor as the principal the secret names. */
async function checkCurrentKey(
  context: KeyCheckContext,
  secret: RotatedSecret,
): Promise<AuditFinding> {
  const { subject, providers } = context;
  const check = 'current-key-works';
  const key = providers.keyReference(secret);
  const provider = providers.providerOf(secret);
  let probe: KeyProbe;
  try {
    probe = await (context.probe?.(secret) ?? probeKey(provider, secret, context.vendor));
  } catch (error) {
    return checkNotCompleted(
      subject,
      check,
      `check AWSCURRENT key ${describeKey(key)}`,
      error,
      key,
    );
  }
  switch (probe.kind) {
    case 'accepted':
      return finding(
        subject,
        check,
        'pass',
        `AWSCURRENT key ${describeKey(key)} authenticates at ${secret.provider} as expected.`,
        key,
      );
    case 'rejected':
      return finding(
        subject,
        check,
        'fail',
        `${secret.provider} rejects the AWSCURRENT key ${describeKey(key)} with ${probe.status}: applications reading this secret cannot authenticate. ${provider.guidance.replaceKey(subject.secretName)}`,
        key,
      );
    case 'wrong-identity':
      return finding(subject, check, 'fail', probe.error.message, key);
  }
}

/**
 * previous-key-revoked: the key the policy says is done is dead at the vendor — AWSPREVIOUS
 * under `on-finish`, the version before it under `next-rotation`. A live key gets the
 * provider's advice (rotate again, or revoke it in the web app) until it is dead.
 */
async function checkPreviousKeyRevoked(
  context: KeyCheckContext,
  currentApiKey: string | undefined,
  judged: { apiKey?: string },
): Promise<AuditFinding> {
  const { subject, snapshot, providers } = context;
  const check = 'previous-key-revoked';
  const previousVersion = versionWithStage(snapshot, AWSPREVIOUS);
  if (previousVersion === undefined) {
    return finding(subject, check, 'pass', 'No AWSPREVIOUS version yet: no earlier key to check.');
  }
  const read = await readVersion(context, previousVersion, check, 'AWSPREVIOUS');
  if ('finding' in read) return read.finding;
  // The policy comes from the value or, as the stack sets it, the secret's tag: as the rotation reads it.
  let policy: RevokePolicy;
  try {
    policy = resolveRevokePolicy(read.secret, snapshot.arn, snapshot.tags);
  } catch (error) {
    return checkNotCompleted(subject, check, 'read the revoke policy', error);
  }
  const target =
    policy === 'on-finish'
      ? {
          secret: read.secret,
          what: `AWSPREVIOUS key ${describeKey(providers.keyReference(read.secret))}`,
        }
      : await keyBeforePrevious(context, previousVersion, read.secret);
  if ('finding' in target) return target.finding;

  const { secret, what } = target;
  judged.apiKey = secret.apiKey;
  const key = providers.keyReference(secret);
  const provider = providers.providerOf(secret);
  if (secret.apiKey === currentApiKey) {
    return finding(subject, check, 'pass', `${what} is also AWSCURRENT's key.`, key);
  }
  let probe: KeyProbe;
  try {
    probe = await (context.probe?.(secret) ?? probeKey(provider, secret, context.vendor));
  } catch (error) {
    return checkNotCompleted(subject, check, `check ${what}`, error, key);
  }
  if (probe.kind === 'rejected') {
    return finding(
      subject,
      check,
      'pass',
      `${what} is revoked (${secret.provider} answers ${probe.status}).`,
      key,
    );
  }
  return finding(
    subject,
    check,
    'fail',
    `${what} still works at ${secret.provider}, but policy ${policy} says it is revoked. ${provider.guidance.revokeKey(secret, key, subject.secretName)}`,
    key,
  );
}

type RevocationTarget =
  { readonly secret: RotatedSecret; readonly what: string } | { readonly finding: AuditFinding };

/** Under next-rotation, AWSPREVIOUS stays live by design; the key before it must be dead. */
async function keyBeforePrevious(
  context: KeyCheckContext,
  previousVersion: SecretVersion,
  previous: RotatedSecret,
): Promise<RevocationTarget> {
  const { subject } = context;
  const check = 'previous-key-revoked';
  let older: RotatedSecret | undefined;
  try {
    older = await findKeyBefore(context, previousVersion, previous);
  } catch (error) {
    return {
      finding: checkNotCompleted(subject, check, 'read the version before AWSPREVIOUS', error),
    };
  }
  if (older === undefined) {
    const key = context.providers.keyReference(previous);
    return {
      finding: finding(
        subject,
        check,
        'pass',
        `Policy next-rotation keeps AWSPREVIOUS key ${describeKey(key)} live until the next rotation; there is no older key to check.`,
        key,
      ),
    };
  }
  return {
    secret: older,
    what: `Key ${describeKey(context.providers.keyReference(older))} (the version before AWSPREVIOUS)`,
  };
}

type VersionRead = { readonly secret: RotatedSecret } | { readonly finding: AuditFinding };

async function readVersion(
  context: KeyCheckContext,
  version: SecretVersion,
  check: AuditFinding['check'],
  label: string,
): Promise<VersionRead> {
  const { subject, snapshot, secrets } = context;
  let text: string | undefined;
  try {
    text = await secrets.findValue(snapshot.arn, { versionId: version.versionId });
  } catch (error) {
    return { finding: checkNotCompleted(subject, check, `read ${label}`, error) };
  }
  if (text === undefined) {
    return {
      finding: finding(
        subject,
        check,
        'fail',
        `${label} (version ${version.versionId}) has no value.`,
      ),
    };
  }
  // Putting the first key leaves the stack's placeholder as AWSPREVIOUS: no earlier key exists.
  if (label === AWSPREVIOUS && context.providers.isPlaceholder(text)) {
    return {
      finding: finding(
        subject,
        check,
        'pass',
        'AWSPREVIOUS holds the stack placeholder: no earlier key to check.',
      ),
    };
  }
  try {
    return { secret: context.providers.parseSecret(text) };
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    return { finding: finding(subject, check, 'fail', `${label}: ${error.message}`) };
  }
}

/**
 * The newest deprecated version created before AWSPREVIOUS that holds a key of the same
 * provider (consumed STAGED versions hold no full secret and are skipped).
 */
async function findKeyBefore(
  context: KeyCheckContext,
  previousVersion: SecretVersion,
  previous: RotatedSecret,
): Promise<RotatedSecret | undefined> {
  const { snapshot, secrets } = context;
  const liveLabels = [AWSCURRENT, AWSPREVIOUS, AWSPENDING];
  const candidates = snapshot.versions
    .filter((version) => !version.stages.some((stage) => liveLabels.includes(stage)))
    .filter(
      (version) =>
        version.createdAt !== undefined &&
        previousVersion.createdAt !== undefined &&
        version.createdAt < previousVersion.createdAt,
    )
    .slice(0, MAX_DEPRECATED_VERSIONS_READ);
  for (const version of candidates) {
    const text = await secrets.findValue(snapshot.arn, { versionId: version.versionId });
    if (text === undefined) continue;
    let secret: RotatedSecret;
    try {
      secret = context.providers.parseSecret(text);
    } catch {
      continue;
    }
    if (secret.provider === previous.provider) return secret;
  }
  return undefined;
}
