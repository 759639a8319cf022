import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { AWSCURRENT, SecretsStore } from '../../lambda/aws/secrets';
import { parsePartnerKey, type PolytomicSecret } from '../../lambda/providers/polytomic';
import {
  assertPartnerKey,
  DEFAULT_SERVICE_USER_ROLE,
  ensurePolytomicAccount,
  findPolytomicAccount,
  mintFirstKey,
  PolytomicOnboardingInputError,
  type OnboardedAccount,
  type OnboardedUser,
  type PolytomicOnboardingRequest,
} from '../../lambda/providers/polytomic-partner';
import { FunctionEnv } from '../../lambda/shared/contracts';
import { describeError } from '../../lambda/shared/errors';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { SecretFormatError } from '../../lambda/shared/secret';
import { providersOf, type CliDependencies } from '../dependencies';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import {
  holdsNoValue,
  inspectFirstValueTarget,
  isOwnVersion,
  refuseToReplace,
  writeFirstValue,
  type FirstValueTarget,
} from '../onboarding/first-value';
import {
  checkReplacedKey,
  replacedKeyJson,
  replacedKeyLine,
  type ReplacedKey,
} from '../onboarding/report';
import { readKeyFromStdin } from '../onboarding/stdin-key';
import { vendorOrigin } from '../onboarding/vendor-origin';
import { writeJson } from '../output';

/** `onboard polytomic`'s options, as parsed and checked by {@link checkOnboardOptions}. */
export interface OnboardPolytomicOptions {
  readonly json: boolean;
  readonly organization: { readonly id: string } | { readonly createName: string };
  readonly userEmail: string;
  readonly standbyEmail: string;
  readonly role: string;
  readonly partnerKeySecret: string | undefined;
  readonly partnerKeyStdin: boolean;
  readonly replace: boolean;
}

/** `onboard polytomic`'s options as commander hands them over. */
export interface RawOnboardOptions {
  readonly json?: boolean;
  readonly organization?: string;
  readonly createOrganization?: string;
  readonly userEmail: string;
  readonly standbyEmail: string;
  readonly role?: string;
  readonly partnerKeySecret?: string;
  readonly partnerKeyStdin?: boolean;
  readonly replace?: boolean;
}

/** Enough of an email to route mail (something@domain.tld), as Polytomic needs to invite. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL_LENGTH = 254;
/** An organization id, as the secret's `organizationId` field accepts it. */
const ORGANIZATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** A role name: Polytomic's built-in ones are lower-case words joined by `_`. */
const ROLE = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_ORGANIZATION_NAME_LENGTH = 255;

/**
 * Checks `onboard polytomic`'s options before any call: one organization choice, two valid and
 * different emails, a role name.
 *
 * @throws {CliError} (usage) naming the option to fix
 */
export function checkOnboardOptions(raw: RawOnboardOptions): OnboardPolytomicOptions {
  const bad = (name: string, message: string, hint: string): CliError =>
    new CliError(`${message}: nothing was changed.`, ExitCode.Usage, { name, hint });
  if ((raw.organization === undefined) === (raw.createOrganization === undefined)) {
    throw bad(
      'OrganizationChoiceError',
      'Give exactly one of --organization <id> and --create-organization <name>',
      'Use --organization for an organization that exists, --create-organization to have one created (or found by that name).',
    );
  }
  if (raw.organization !== undefined && !ORGANIZATION_ID.test(raw.organization)) {
    throw bad(
      'OrganizationIdError',
      '--organization is not a Polytomic organization id (1-128 letters, digits, ".", "_", ":" or "-")',
      'Copy the id from Polytomic, e.g. 248df4b7-aa70-47b8-a036-33ac447e668d.',
    );
  }
  const createName = raw.createOrganization?.trim();
  if (
    createName !== undefined &&
    (createName === '' ||
      createName.length > MAX_ORGANIZATION_NAME_LENGTH ||
      /\p{Cc}/u.test(createName))
  ) {
    throw bad(
      'OrganizationNameError',
      `--create-organization needs a name of 1 to ${MAX_ORGANIZATION_NAME_LENGTH} characters without control characters`,
      'Give the customer organization\'s name, e.g. --create-organization "Acme".',
    );
  }
  for (const [flag, email] of [
    ['--user-email', raw.userEmail],
    ['--standby-email', raw.standbyEmail],
  ] as const) {
    if (!EMAIL.test(email) || email.length > MAX_EMAIL_LENGTH) {
      throw bad(
        'InvalidEmailError',
        `${flag} is not an email address`,
        `Give the service user's address, e.g. ${flag} rotation-a@your-domain.example.`,
      );
    }
  }
  if (raw.userEmail.toLowerCase() === raw.standbyEmail.toLowerCase()) {
    throw bad(
      'SameEmailError',
      '--user-email and --standby-email name the same user',
      'Zero-downtime rotation alternates between two users: give two addresses (plus addresses work).',
    );
  }
  const role = raw.role ?? DEFAULT_SERVICE_USER_ROLE;
  if (!ROLE.test(role)) {
    throw bad(
      'InvalidRoleError',
      '--role is not a Polytomic role name',
      `Use a built-in role: admin, editor, sync_editor or viewer (default ${DEFAULT_SERVICE_USER_ROLE}).`,
    );
  }
  return {
    json: raw.json === true,
    organization:
      raw.organization !== undefined ? { id: raw.organization } : { createName: createName ?? '' },
    userEmail: raw.userEmail,
    standbyEmail: raw.standbyEmail,
    role,
    partnerKeySecret: raw.partnerKeySecret,
    partnerKeyStdin: raw.partnerKeyStdin === true,
    replace: raw.replace === true,
  };
}

/** Vendor calls of one command must be over within this. */
const VENDOR_DEADLINE_MS = 60_000;
const PROVIDER = 'polytomic';

/**
 * `onboard polytomic <secret>`: the seed's partner workflow, run once and safely again. With the
 * partner key (from its secret, or once from stdin and then stored there), uses or creates the
 * organization, finds or creates the two service users, mints the primary user's first key,
 * proves it at `GET /api/me`, and writes the whole secret value as `AWSCURRENT`.
 *
 * @example
 * // api-key-rotator onboard polytomic prod/polytomic --create-organization Acme \
 * //   --user-email rotation-a@acme.test --standby-email rotation-b@acme.test
 */
export async function onboardPolytomicCommand(
  deps: CliDependencies,
  secretId: string,
  options: OnboardPolytomicOptions,
): Promise<ExitCode> {
  try {
    return await onboard(deps, secretId, options);
  } catch (error) {
    throw asInputError(error);
  }
}

async function onboard(
  deps: CliDependencies,
  secretId: string,
  options: OnboardPolytomicOptions,
): Promise<ExitCode> {
  const partnerKeySecretId = options.partnerKeySecret ?? deps.env[FunctionEnv.PartnerKeySecretId];
  if (partnerKeySecretId === undefined || partnerKeySecretId === '') {
    throw new CliError('No partner-key secret is named: nothing was changed.', ExitCode.Usage, {
      name: 'PartnerKeySecretMissingError',
      hint: `Pass --partner-key-secret <name or ARN> (the stack's PartnerKeySecretArn output), or set ${FunctionEnv.PartnerKeySecretId} as the rotation function has it.`,
    });
  }
  const target = await inspectFirstValueTarget(deps, secretId, PROVIDER);
  const partnerKey = options.partnerKeyStdin
    ? await readPartnerKeyFromStdin(deps, secretId)
    : await readStoredPartnerKey(deps, partnerKeySecretId);
  const replaced =
    target.current.kind === 'key' ? (target.current.secret as PolytomicSecret) : undefined;
  const request: PolytomicOnboardingRequest = {
    baseUrl: vendorOrigin(deps, target.provider, replaced?.baseUrl),
    partnerKey,
    organization: options.organization,
    userEmail: options.userEmail,
    standbyEmail: options.standbyEmail,
    role: options.role,
    partnerKeySecretId,
    idempotencyScope: `${target.metadata.arn}\u0000${target.currentVersionId ?? ''}`,
  };
  const deadline = deps.now() + VENDOR_DEADLINE_MS;
  const context = { http: deps.vendorHttp(), deadline };
  await assertPartnerKey(request, context);

  if (!holdsNoValue(target) && !options.replace) {
    const account = await alreadyOnboarded(deps, target, request, deadline);
    if (account === undefined) throw refuseToReplace(target, commandLine(secretId));
    const stored = await storePartnerKey(deps, options, partnerKeySecretId, partnerKey);
    return report(deps, target, options, {
      outcome: 'unchanged',
      account,
      versionId: target.currentVersionId,
      keyFingerprint: replaced === undefined ? undefined : fingerprint(replaced.apiKey),
      partnerKey: { secretId: partnerKeySecretId, stored },
    });
  }

  const account = await ensurePolytomicAccount(request, context);
  const minted = await mintFirstKey(request, account, { force: options.replace }, context);
  // Fields the replaced value carried that onboarding does not set (revokePrevious…) are kept.
  const secret: PolytomicSecret = { ...replaced, ...minted };
  // The partner key first: a refused store leaves the secret as it was (a re-run replays the key).
  const stored = await storePartnerKey(deps, options, partnerKeySecretId, partnerKey);
  const versionId = await writeFirstValue(deps, target, secret, accountParts(account));
  const replacedKey = await checkReplacedKey(deps, replaced, deps.now() + VENDOR_DEADLINE_MS);
  return report(deps, target, options, {
    outcome: 'written',
    account,
    versionId,
    keyFingerprint: fingerprint(secret.apiKey),
    partnerKey: { secretId: partnerKeySecretId, stored },
    replacedKey,
    replaced,
  });
}

/**
 * The account the secret already holds a working key for, when it is the one asked for (a run
 * that was cut short after its write, or a repeat): found without creating anything.
 */
async function alreadyOnboarded(
  deps: CliDependencies,
  target: FirstValueTarget,
  request: PolytomicOnboardingRequest,
  deadline: number,
): Promise<OnboardedAccount | undefined> {
  const account = await findPolytomicAccount(request, { http: deps.vendorHttp(), deadline });
  if (account === undefined) return undefined;
  if (target.current.kind === 'unreadable') {
    return isOwnVersion(target, accountParts(account)) ? account : undefined;
  }
  if (target.current.kind !== 'key') return undefined;
  const stored = target.current.secret as PolytomicSecret;
  const users = [stored.userId, stored.standbyUserId].sort();
  const wanted = [account.primary.id, account.standby.id].sort();
  const same =
    stored.organizationId === account.organization.id &&
    users[0] === wanted[0] &&
    users[1] === wanted[1];
  if (!same) return undefined;
  try {
    await providersOf(deps)
      .providerOf(stored)
      .verifyIdentity(stored, { http: deps.vendorHttp(), deadline });
    return account;
  } catch {
    // A stored key that no longer works is not "done": replacing it needs --replace.
    return undefined;
  }
}

function accountParts(account: OnboardedAccount): string[] {
  return [account.organization.id, account.primary.id, account.standby.id];
}

/** The partner key pasted or piped in once, checked as a header value before any use. */
async function readPartnerKeyFromStdin(deps: CliDependencies, secretId: string): Promise<string> {
  const typed = await readKeyFromStdin(deps.io, {
    prompt: 'Paste the Polytomic partner key',
    nothingDone: 'nothing was changed',
    pipeExample: `pbpaste | api-key-rotator onboard polytomic ${secretId} --partner-key-stdin …`,
    source: 'the message Polytomic support sent it in',
  });
  return partnerKeyFrom(typed, 'The partner key on stdin');
}

/** The partner key the partner-key secret holds (its AWSCURRENT, as the rotation reads it). */
async function readStoredPartnerKey(deps: CliDependencies, secretId: string): Promise<string> {
  const text = await new SecretsStore(deps.secretsManager).getValue(secretId, {
    versionStage: AWSCURRENT,
  });
  return partnerKeyFrom(text, `The partner-key secret ${secretId}`);
}

function partnerKeyFrom(text: string, what: string): string {
  try {
    return parsePartnerKey(text);
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    throw new CliError(
      `${what} holds no usable partner key (${error.message.replace(/ Fix the secret value.*$/, '')}): nothing was changed.`,
      ExitCode.Usage,
      {
        name: 'PartnerKeyMissingError',
        cause: error,
        hint: 'Give the partner key once with --partner-key-stdin (piped, or pasted at the prompt): it is checked at Polytomic and stored in the partner-key secret.',
      },
    );
  }
}

/**
 * Stores a partner key given on stdin as the partner-key secret's value, unless it already
 * holds it; returns whether it wrote.
 */
async function storePartnerKey(
  deps: CliDependencies,
  options: OnboardPolytomicOptions,
  secretId: string,
  partnerKey: string,
): Promise<boolean> {
  if (!options.partnerKeyStdin) return false;
  const store = new SecretsStore(deps.secretsManager);
  let current: string | undefined;
  try {
    current = await store.findValue(secretId, { versionStage: AWSCURRENT });
  } catch (error) {
    // Storing needs only PutSecretValue: an operator who may not read it still replaces it.
    if (describeError(error).name !== 'AccessDeniedException') throw error;
  }
  if (current !== undefined && safePartnerKey(current) === partnerKey) return false;
  await deps.secretsManager.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify({ partnerKey }) }),
  );
  return true;
}

function safePartnerKey(text: string): string | undefined {
  try {
    return parsePartnerKey(text);
  } catch {
    return undefined;
  }
}

interface OnboardOutcome {
  readonly outcome: 'written' | 'unchanged';
  readonly account: OnboardedAccount;
  readonly versionId: string | undefined;
  readonly keyFingerprint: string | undefined;
  readonly partnerKey: { readonly secretId: string; readonly stored: boolean };
  readonly replacedKey?: ReplacedKey;
  readonly replaced?: PolytomicSecret;
}

function report(
  deps: CliDependencies,
  target: FirstValueTarget,
  options: OnboardPolytomicOptions,
  result: OnboardOutcome,
): ExitCode {
  const { secretId } = target;
  const { account } = result;
  if (options.json) {
    writeJson(deps.io, {
      secretId,
      arn: target.metadata.arn,
      provider: PROVIDER,
      outcome: result.outcome,
      versionId: result.versionId ?? null,
      organization: account.organization,
      users: { primary: account.primary, standby: account.standby },
      key: result.keyFingerprint === undefined ? null : { fingerprint: result.keyFingerprint },
      partnerKey: result.partnerKey,
      replacedKey: replacedKeyJson(result.replacedKey),
    });
    return ExitCode.Ok;
  }
  const out = (line: string): unknown => deps.io.stdout.write(`${line}\n`);
  out(
    `Organization ${account.organization.id} ${account.organization.created ? 'created' : 'found'}; primary user ${describeUser(account.primary)}; standby user ${describeUser(account.standby)}.`,
  );
  if (result.outcome === 'unchanged') {
    out(
      `${secretId} already holds the primary user's working key${result.keyFingerprint === undefined ? '' : ` ${result.keyFingerprint}`} (version ${result.versionId ?? 'unknown'}): nothing to do.`,
    );
  } else {
    out(
      `Minted user ${account.primary.id}'s key ${result.keyFingerprint ?? ''}; Polytomic confirms it (GET /api/me). Put it into ${secretId} as AWSCURRENT (version ${result.versionId ?? 'unknown'}).`,
    );
  }
  if (result.partnerKey.stored) {
    out(`Stored the partner key in ${result.partnerKey.secretId}.`);
  }
  if (result.replacedKey !== undefined && result.replaced !== undefined) {
    deps.io.stdout.write(
      replacedKeyLine(target.provider, result.replacedKey, revokeAdvice(result.replaced, account)),
    );
  }
  if (result.outcome === 'written') {
    out(
      `Rotations now run on the secret's schedule, alternating between the two users; \`api-key-rotator status ${secretId}\` shows it.`,
    );
  }
  return ExitCode.Ok;
}

function describeUser(user: OnboardedUser): string {
  return `${user.email} (${user.id}, role ${user.role || 'unknown'}, ${user.created ? 'created' : 'found'})`;
}

/** How a replaced key that still works gets revoked: Polytomic revokes by re-issuing. */
function revokeAdvice(replaced: PolytomicSecret, account: OnboardedAccount): string {
  const inUse = [account.primary.id, account.standby.id].includes(replaced.userId);
  return inUse
    ? `it belongs to user ${replaced.userId}, one of this secret's users: the rotation that next issues that user's key revokes it.`
    : `it belongs to user ${replaced.userId}, whom this secret no longer uses: revoke it at Polytomic (re-issue that user's key with force=true, or remove the user) once nothing uses it.`;
}

function commandLine(secretId: string): string {
  return `api-key-rotator onboard polytomic ${secretId} …`;
}

/** What each bad input tells the operator to change, by the vendor module's error name. */
const INPUT_HINTS: Readonly<Record<string, string>> = {
  PartnerKeyRejectedError:
    'Give the partner key again with --partner-key-stdin (it is checked, then stored in the partner-key secret).',
  NotAPartnerKeyError:
    'Give the partner key again with --partner-key-stdin (it is checked, then stored in the partner-key secret).',
  UnknownOrganizationError:
    'Check --organization, or let the command create one with --create-organization <name>.',
  AmbiguousOrganizationError: 'Pass --organization <id> instead of --create-organization.',
  UserInOtherOrganizationError: 'Pass another --user-email or --standby-email.',
  UserHasKeyError:
    "Run again with --replace to re-issue that user's key (the other key stops working), or pass another --user-email.",
  PolytomicRequestRefusedError:
    'Check --role (admin, editor, sync_editor or viewer) and the emails.',
};

/** The vendor module's bad-input errors become usage errors (exit 2) with their names kept. */
function asInputError(error: unknown): unknown {
  if (!(error instanceof PolytomicOnboardingInputError)) return error;
  return new CliError(`${error.message} Nothing was written.`, ExitCode.Usage, {
    name: error.name,
    cause: error,
    hint: INPUT_HINTS[error.name],
  });
}
