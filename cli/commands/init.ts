import { KeyRejectedError } from '../../lambda/providers/errors';
import type { KeyProvider, KeyStaging } from '../../lambda/providers/provider';
import { describeKey } from '../../lambda/shared/key-reference';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { SecretFormatError, type StagedKey } from '../../lambda/shared/secret';
import type { CliDependencies } from '../dependencies';
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
import { checkReplacedKey, replacedKeyJson, replacedKeyLine } from '../onboarding/report';
import { readKeyFromStdin } from '../onboarding/stdin-key';
import { vendorOrigin } from '../onboarding/vendor-origin';
import { writeJson } from '../output';

export interface InitOptions {
  readonly json: boolean;
  /** The key's name in the vendor's web app: notices name the key by it when it is replaced. */
  readonly name: string;
  /** Replace a value already there (kept as AWSPREVIOUS). */
  readonly replace: boolean;
}

/** Vendor calls of one command must be over within this. */
const VENDOR_DEADLINE_MS = 30_000;

/**
 * `init <secret> --name <keyName>`: puts the first key of a vendor whose keys are made in its
 * web app (Poelis). The key is read from stdin (never argv; hidden on a terminal), checked for
 * its format, proven at the vendor, and written with the whole secret value as `AWSCURRENT`.
 * A secret that already holds a value is left alone unless `--replace`; running it again after
 * it was cut short finishes it.
 *
 * @example
 * // pbpaste | api-key-rotator init prod/poelis --name "Production A"
 * await initCommand(deps, 'prod/poelis', { json: false, name: 'Production A', replace: false });
 */
export async function initCommand(
  deps: CliDependencies,
  secretId: string,
  options: InitOptions,
): Promise<ExitCode> {
  const target = await inspectFirstValueTarget(deps, secretId, undefined);
  const { provider } = target;
  const staging = stagingOf(provider, secretId);
  const staged = await readFirstKey(deps, secretId, options.name, provider, staging);
  const key = { fingerprint: fingerprint(staged.apiKey), keyName: staged.keyName };
  const parts = [key.fingerprint, staged.keyName ?? ''];
  const replaced = target.current.kind === 'key' ? target.current.secret : undefined;

  if (replaced?.apiKey === staged.apiKey || (!options.replace && isOwnVersion(target, parts))) {
    return report(deps, target, options.json, {
      outcome: 'unchanged',
      key,
      versionId: target.currentVersionId,
    });
  }
  if (!holdsNoValue(target) && !options.replace) {
    throw refuseToReplace(target, `api-key-rotator init ${secretId} --name <keyName>`);
  }
  const baseUrl = vendorOrigin(deps, provider, replaced?.baseUrl);
  const fresh = provider.parseSecret({ provider: provider.name, apiKey: staged.apiKey, baseUrl });
  const secret = staging.withStagedKey(replaced ?? fresh, staged);
  const deadline = deps.now() + VENDOR_DEADLINE_MS;
  try {
    await provider.verifyIdentity(secret, { http: deps.vendorHttp(), deadline });
  } catch (error) {
    if (error instanceof KeyRejectedError) {
      throw new CliError(
        `${provider.displayName} rejected the key ${describeKey(key)} (status ${error.status}): nothing was written.`,
        ExitCode.Usage,
        {
          name: 'KeyRejectedError',
          cause: error,
          hint: `Copy the whole key again from ${staging.createKeyIn}; if it was revoked there, create a new one.`,
        },
      );
    }
    throw error;
  }
  const versionId = await writeFirstValue(deps, target, secret, parts);
  const replacedKey = await checkReplacedKey(deps, replaced, deps.now() + VENDOR_DEADLINE_MS);
  return report(deps, target, options.json, {
    outcome: 'written',
    key,
    versionId,
    replacedKey,
    staging,
  });
}

interface InitOutcome {
  readonly outcome: 'written' | 'unchanged';
  readonly key: { readonly fingerprint: string; readonly keyName?: string };
  readonly versionId: string | undefined;
  readonly replacedKey?: Awaited<ReturnType<typeof checkReplacedKey>>;
  readonly staging?: KeyStaging;
}

function report(
  deps: CliDependencies,
  target: FirstValueTarget,
  json: boolean,
  result: InitOutcome,
): ExitCode {
  const { provider, secretId } = target;
  if (json) {
    writeJson(deps.io, {
      secretId,
      arn: target.metadata.arn,
      provider: provider.name,
      outcome: result.outcome,
      versionId: result.versionId ?? null,
      key: { fingerprint: result.key.fingerprint, keyName: result.key.keyName ?? null },
      replacedKey: replacedKeyJson(result.replacedKey),
    });
    return ExitCode.Ok;
  }
  const key = describeKey(result.key);
  if (result.outcome === 'unchanged') {
    deps.io.stdout.write(
      `${secretId} already holds ${provider.displayName} key ${key} (version ${result.versionId ?? 'unknown'}): nothing to do.\n`,
    );
    return ExitCode.Ok;
  }
  deps.io.stdout.write(
    `Put ${provider.displayName} key ${key} into ${secretId} as AWSCURRENT (version ${result.versionId ?? 'unknown'}); ${provider.displayName} accepted it.\n`,
  );
  if (result.replacedKey !== undefined && result.staging !== undefined) {
    deps.io.stdout.write(
      replacedKeyLine(
        provider,
        result.replacedKey,
        `revoke it in ${result.staging.revokeKeyIn} once nothing uses it.`,
      ),
    );
  }
  deps.io.stdout.write(
    `Rotations now run on the secret's schedule; \`api-key-rotator status ${secretId}\` shows it.\n`,
  );
  return ExitCode.Ok;
}

function stagingOf(provider: KeyProvider, secretId: string): KeyStaging {
  if (provider.staging !== undefined) return provider.staging;
  throw new CliError(
    `${secretId} is a ${provider.displayName} secret: its keys are issued by the vendor's API, not pasted.`,
    ExitCode.Usage,
    {
      name: 'WrongProviderError',
      hint: 'Put its first key with `api-key-rotator onboard` (see `api-key-rotator onboard --help`).',
    },
  );
}

/** Reads the key from stdin and checks its format and name as the provider stores them. */
async function readFirstKey(
  deps: CliDependencies,
  secretId: string,
  keyName: string,
  provider: KeyProvider,
  staging: KeyStaging,
): Promise<StagedKey> {
  const apiKey = await readKeyFromStdin(deps.io, {
    prompt: `Paste the ${provider.displayName} API key`,
    nothingDone: 'nothing was written',
    pipeExample: `pbpaste | api-key-rotator init ${secretId} --name "<key name>"`,
    source: staging.createKeyIn,
  });
  try {
    return staging.parseStagedKey(JSON.stringify({ apiKey, keyName }));
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    const problem = error.message.replace(/ Fix the secret value.*$/, '');
    const nameProblem = error.field === 'STAGED.keyName';
    throw new CliError(
      nameProblem
        ? `--name is not valid: ${problem}`
        : `The key on stdin is not a ${provider.displayName} key: ${problem}`,
      ExitCode.Usage,
      {
        name: nameProblem ? 'KeyNameError' : 'MalformedKeyError',
        cause: error,
        hint: nameProblem
          ? `Give the key's name as ${staging.createKeyIn} shows it.`
          : `Copy the whole key from ${staging.createKeyIn}.`,
      },
    );
  }
}
