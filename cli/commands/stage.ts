import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { versionById, versionIdWithStage } from '../../lambda/aws/secret-metadata';
import { AWSCURRENT, AWSPENDING, SecretsStore } from '../../lambda/aws/secrets';
import type { KeyProvider, KeyStaging } from '../../lambda/providers/provider';
import { fingerprint } from '../../lambda/shared/fingerprint';
import { SecretFormatError, STAGED_LABEL, type StagedKey } from '../../lambda/shared/secret';
import { providersOf, type CliDependencies } from '../dependencies';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { readKeyFromStdin } from '../onboarding/stdin-key';
import { describeKey } from '../../lambda/shared/key-reference';
import { describeVersionKey, writeJson } from '../output';
import { cliCommand } from '../rotation-advice';
import { readKeyVersion } from '../secret-state';

export interface StageOptions {
  readonly json: boolean;
  /** The key's name in the vendor's web app; the rotation's notice names the old key by it. */
  readonly name: string | undefined;
}

/** Vendor calls of one command must be over within this. */
const VENDOR_DEADLINE_MS = 30_000;

/**
 * `stage <secret>`: reads a key made in the vendor's web app (Poelis) from stdin (never argv, which shell history and `ps`
 * keep), checks its format, proves it at Poelis, and stores it under the `STAGED` label for the
 * next rotation to promote.
 */
export async function stageCommand(
  deps: CliDependencies,
  secretId: string,
  options: StageOptions,
): Promise<ExitCode> {
  const providers = providersOf(deps);
  const store = new SecretsStore(deps.secretsManager);
  const metadata = await store.describe(secretId);
  const current = providers.parseSecret(
    await store.getValue(metadata.arn, { versionStage: AWSCURRENT }),
  );
  const provider = providers.providerOf(current);
  const staging = provider.staging;
  if (staging === undefined) {
    throw new CliError(
      `${secretId} is a ${current.provider} secret: only keys made in a vendor's web app are staged (the rotation issues ${provider.displayName} keys itself). Run \`api-key-rotator rotate ${secretId}\` instead.`,
      ExitCode.Usage,
    );
  }
  const staged = await readStagedKey(deps, secretId, options.name, provider, staging);
  const key = { fingerprint: fingerprint(staged.apiKey), keyName: staged.keyName };
  if (staged.apiKey === current.apiKey) {
    throw new CliError(
      `Key ${describeKey(key)} is already ${secretId}'s current key. Create a new key in ${staging.createKeyIn} and stage that one.`,
      ExitCode.Usage,
    );
  }
  const candidate = staging.withStagedKey(current, staged);
  await provider.verifyIdentity(candidate, {
    http: deps.vendorHttp(),
    deadline: deps.now() + VENDOR_DEADLINE_MS,
  });

  const replacedId = versionIdWithStage(metadata, STAGED_LABEL);
  const replaced =
    replacedId === undefined
      ? undefined
      : await readKeyVersion(
          store,
          metadata.arn,
          replacedId,
          versionById(metadata, replacedId)?.stages ?? [],
          providers,
        );
  const output = await deps.secretsManager.send(
    new PutSecretValueCommand({
      SecretId: metadata.arn,
      ClientRequestToken: randomUUID(),
      SecretString: JSON.stringify(staged),
      VersionStages: [STAGED_LABEL],
    }),
  );
  if (options.json) {
    writeJson(deps.io, {
      secretId,
      arn: metadata.arn,
      versionId: output.VersionId ?? null,
      stagedKey: key,
      replacedStagedKey:
        replaced === undefined
          ? null
          : { fingerprint: replaced.fingerprint ?? null, keyName: replaced.keyName ?? null },
    });
    return ExitCode.Ok;
  }
  deps.io.stdout.write(
    `Staged ${provider.displayName} key ${describeKey(key)} for ${secretId} (version ${output.VersionId ?? 'unknown'}); ${provider.displayName} accepted it.\n`,
  );
  if (replaced !== undefined) {
    deps.io.stdout.write(
      `It replaces the previously staged key ${describeVersionKey(replaced)}: revoke that one in ${staging.revokeKeyIn} if it is unused.\n`,
    );
  }
  if (staged.keyName === undefined) {
    deps.io.stdout.write(
      'No --name given: the rotation will not be able to name this key when it is replaced.\n',
    );
  }
  // A failed rotation's AWSPENDING makes RotateSecret refuse: recover must clear it first.
  const pendingId = versionIdWithStage(metadata, AWSPENDING);
  const stuck = pendingId !== undefined && pendingId !== versionIdWithStage(metadata, AWSCURRENT);
  deps.io.stdout.write(
    stuck
      ? `A failed rotation is still pending (version ${pendingId}): clear it, then rotate the new key in:\n  ${cliCommand('recover', secretId, '--yes')}\n  ${cliCommand('rotate', secretId, '--wait')}\n`
      : `Rotate it in with:\n  ${cliCommand('rotate', secretId, '--wait')}\n`,
  );
  return ExitCode.Ok;
}

async function readStagedKey(
  deps: CliDependencies,
  secretId: string,
  keyName: string | undefined,
  provider: KeyProvider,
  staging: Pick<KeyStaging, 'parseStagedKey' | 'createKeyIn'>,
): Promise<StagedKey> {
  const apiKey = await readKeyFromStdin(deps.io, {
    prompt: `Paste the new ${provider.displayName} API key`,
    nothingDone: 'nothing was staged',
    pipeExample: `pbpaste | api-key-rotator stage ${secretId} --name "<key name>"`,
    source: staging.createKeyIn,
  });
  try {
    return staging.parseStagedKey(
      JSON.stringify(keyName === undefined ? { apiKey } : { apiKey, keyName }),
    );
  } catch (error) {
    if (error instanceof SecretFormatError) {
      const problem = error.message.replace(/ Fix the secret value.*$/, '');
      throw new CliError(
        error.field === 'STAGED.keyName'
          ? `--name is not valid: ${problem} Give the key's name as ${staging.createKeyIn} shows it.`
          : `The key on stdin is not valid: ${problem} Copy the whole key from ${staging.createKeyIn}.`,
        ExitCode.Usage,
      );
    }
    throw error;
  }
}
