import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { AWSCURRENT, SecretsStore, versionWithLabel } from '../../lambda/aws/secrets';
import { poelisProvider } from '../../lambda/providers/poelis';
import { fingerprint } from '../../lambda/shared/fingerprint';
import {
  parseSecret,
  parseStagedKey,
  SecretFormatError,
  STAGED_LABEL,
  type PoelisSecret,
  type StagedKey,
} from '../../lambda/shared/secret';
import type { CliDependencies } from '../dependencies';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { readSecretLine } from '../io';
import { describeKey } from '../../lambda/shared/key-reference';
import { describeVersionKey, writeJson } from '../output';
import { readKeyVersion } from '../secret-state';

export interface StageOptions {
  readonly json: boolean;
  /** The key's name in the Poelis web app; the rotation's notice names the old key by it. */
  readonly name: string | undefined;
}

/** Vendor calls of one command must be over within this. */
const VENDOR_DEADLINE_MS = 30_000;

/**
 * `stage <secret>`: reads a Poelis key from stdin (never argv, which shell history and `ps`
 * keep), checks its format, proves it at Poelis, and stores it under the `STAGED` label for the
 * next rotation to promote.
 */
export async function stageCommand(
  deps: CliDependencies,
  secretId: string,
  options: StageOptions,
): Promise<ExitCode> {
  const store = new SecretsStore(deps.secretsManager);
  const metadata = await store.describe(secretId);
  const current = parseSecret(await store.getValue(metadata.arn, { versionStage: AWSCURRENT }));
  if (current.provider !== 'poelis') {
    throw new CliError(
      `${secretId} is a ${current.provider} secret: only Poelis keys are staged (the rotation issues ${current.provider} keys itself). Run \`api-key-rotator rotate ${secretId}\` instead.`,
      ExitCode.Usage,
    );
  }
  const staged = await readStagedKey(deps, secretId, options.name);
  const key = { fingerprint: fingerprint(staged.apiKey), keyName: staged.keyName };
  if (staged.apiKey === current.apiKey) {
    throw new CliError(
      `Key ${describeKey(key)} is already ${secretId}'s current key. Create a new key in the Poelis web app and stage that one.`,
      ExitCode.Usage,
    );
  }
  const candidate: PoelisSecret = { ...current, apiKey: staged.apiKey, keyName: staged.keyName };
  await poelisProvider.verifyIdentity(candidate, {
    http: deps.vendorHttp(),
    secrets: store,
    secretId: metadata.arn,
    token: randomUUID(),
    deadline: deps.now() + VENDOR_DEADLINE_MS,
    defaultPartnerKeySecretId: undefined,
  });

  const replacedId = versionWithLabel(metadata, STAGED_LABEL);
  const replaced =
    replacedId === undefined
      ? undefined
      : await readKeyVersion(store, metadata.arn, replacedId, metadata.versions[replacedId] ?? []);
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
    `Staged Poelis key ${describeKey(key)} for ${secretId} (version ${output.VersionId ?? 'unknown'}); Poelis accepted it.\n`,
  );
  if (replaced !== undefined) {
    deps.io.stdout.write(
      `It replaces the previously staged key ${describeVersionKey(replaced)}: revoke that one in the Poelis web app if it is unused.\n`,
    );
  }
  if (staged.keyName === undefined) {
    deps.io.stdout.write(
      'No --name given: the rotation will not be able to name this key when it is replaced.\n',
    );
  }
  deps.io.stdout.write(`Rotate it in with \`api-key-rotator rotate ${secretId} --wait\`.\n`);
  return ExitCode.Ok;
}

async function readStagedKey(
  deps: CliDependencies,
  secretId: string,
  keyName: string | undefined,
): Promise<StagedKey> {
  if (deps.io.stdin.isTTY === true) {
    deps.io.stderr.write('Paste the new Poelis API key (not shown), then press Enter: ');
  }
  const typed = await readSecretLine(deps.io.stdin);
  if (deps.io.stdin.isTTY === true) deps.io.stderr.write('\n');
  if (typed === undefined) throw new CliError('Cancelled: nothing was staged.', ExitCode.Usage);
  const apiKey = typed.trim();
  if (apiKey === '') {
    throw new CliError(
      `No key on stdin. Pipe the new key in, e.g. \`pbpaste | api-key-rotator stage ${secretId} --name "<key name>"\`; keys are never taken as arguments.`,
      ExitCode.Usage,
    );
  }
  try {
    return parseStagedKey(JSON.stringify(keyName === undefined ? { apiKey } : { apiKey, keyName }));
  } catch (error) {
    if (error instanceof SecretFormatError) {
      const problem = error.message.replace(/ Fix the secret value.*$/, '');
      throw new CliError(
        error.field === 'STAGED.keyName'
          ? `--name is not valid: ${problem} Give the key's name as the Poelis web app shows it.`
          : `The key on stdin is not valid: ${problem} Copy the whole key from the Poelis web app (Settings > Manage REST API Keys).`,
        ExitCode.Usage,
      );
    }
    throw error;
  }
}
