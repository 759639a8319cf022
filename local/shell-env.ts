/**
 * What `npm run local` hands a second shell: an AWS shared-credentials file with one profile per
 * role of the deployed stack, and one `export …` line that points the SDK, the AWS CLI and the
 * operator CLI at the world (endpoint, region, profile, the simulators' origins and URLs).
 */
import { formatProviderOrigins } from '../lambda/http/origin-policy';
import { FunctionEnv } from '../lambda/shared/contracts';
import type { SessionCredentials } from './aws/iam';
import type { LocalWorldUrls } from './world';

/** A named profile of the credentials file. */
export interface ShellProfile {
  readonly name: string;
  readonly credentials: SessionCredentials;
}

/**
 * The credentials file's text (the AWS shared-credentials INI format): one section per profile.
 *
 * @example
 * writeFileSync(path, credentialsFileText([{ name: 'operator', credentials }]), { mode: 0o600 });
 */
export function credentialsFileText(profiles: readonly ShellProfile[]): string {
  return profiles
    .map(({ name, credentials }) =>
      [
        `[${name}]`,
        `aws_access_key_id = ${credentials.accessKeyId}`,
        `aws_secret_access_key = ${credentials.secretAccessKey}`,
        `aws_session_token = ${credentials.sessionToken}`,
        '',
      ].join('\n'),
    )
    .join('\n');
}

/** `value` as one bash word: bare when it holds only safe characters, else single-quoted. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface ShellEnvironmentInput {
  readonly urls: LocalWorldUrls;
  readonly region: string;
  readonly credentialsFile: string;
  /** The profile commands run as unless `AWS_PROFILE=…` says otherwise. */
  readonly defaultProfile: string;
  /** The stack's partner-key secret, which `onboard`, `verify` and `recover` read by default. */
  readonly partnerKeySecretId?: string;
}

/** The variables a second shell needs, in the order the `export` line lists them. */
export function shellEnvironment(input: ShellEnvironmentInput): Record<string, string> {
  const { urls } = input;
  return {
    AWS_ENDPOINT_URL: urls.aws,
    AWS_REGION: input.region,
    // The AWS CLI v1 reads only this one.
    AWS_DEFAULT_REGION: input.region,
    AWS_SHARED_CREDENTIALS_FILE: input.credentialsFile,
    AWS_PROFILE: input.defaultProfile,
    [FunctionEnv.AllowLoopbackHttp]: 'true',
    // Each vendor's keys go only to its own simulator, as on AWS to its own origin.
    [FunctionEnv.AllowedOrigins]: formatProviderOrigins({
      polytomic: [urls.polytomic],
      poelis: [urls.poelis],
    }),
    ...(input.partnerKeySecretId === undefined
      ? {}
      : { [FunctionEnv.PartnerKeySecretId]: input.partnerKeySecretId }),
    POLYTOMIC_URL: urls.polytomic,
    POELIS_URL: urls.poelis,
  };
}

/**
 * One line a user pastes into bash.
 *
 * @example
 * exportLine({ AWS_REGION: 'us-east-1' }); // 'export AWS_REGION=us-east-1'
 */
export function exportLine(variables: Readonly<Record<string, string>>): string {
  const assignments = Object.entries(variables).map(
    ([name, value]) => `${name}=${shellQuote(value)}`,
  );
  return `export ${assignments.join(' ')}`;
}
