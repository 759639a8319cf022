/** The environment variables a container starts with: Lambda's, the function's own, and nothing else. */

export interface ContainerEnvironmentInput {
  functionName: string;
  memoryMb: number;
  region: string;
  logGroupName: string;
  logStreamName: string;
  /** Directory of the bundle, Lambda's /var/task. */
  taskRoot: string;
  /** `<module>.<export>`, as in the function's Handler setting. */
  handler: string;
  awsEndpointUrl?: string;
  functionEnvironment?: Record<string, string>;
  /**
   * The execution role's session, as Lambda hands it to a function. Default: placeholder values
   * that name no principal.
   */
  credentials?: ContainerCredentials;
}

/** Temporary credentials of the function's execution role. */
export interface ContainerCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

const PLACEHOLDER_CREDENTIALS: ContainerCredentials = {
  accessKeyId: 'local-lambda-access-key-id',
  secretAccessKey: 'local-lambda-secret-access-key',
  sessionToken: 'local-lambda-session-token',
};

/** Keys Lambda sets itself and refuses in a function's configuration. */
export const RESERVED_VARIABLES: readonly string[] = [
  '_HANDLER',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

/** Throws like Lambda's CreateFunction when a function tries to set a reserved variable. */
export function assertNoReservedVariables(
  functionName: string,
  environment: Record<string, string> = {},
): void {
  const reserved = Object.keys(environment).filter((key) => RESERVED_VARIABLES.includes(key));
  if (reserved.length > 0) {
    throw new Error(
      `Function ${functionName} sets reserved environment variables: ${reserved.join(', ')}`,
    );
  }
}

/**
 * Only PATH and HOME come from the runner's own environment, so a function cannot depend on
 * anything the deployed Lambda will not have. AWS_EXECUTION_ENV is set by the bootstrap,
 * which knows the Node major it runs under.
 */
export function containerEnvironment(input: ContainerEnvironmentInput): Record<string, string> {
  // Lambda "Defined runtime environment variables": the execution role's session keys.
  const credentials = input.credentials ?? PLACEHOLDER_CREDENTIALS;
  const inherited: Record<string, string> = {};
  for (const key of ['PATH', 'HOME']) {
    const value = process.env[key];
    if (value !== undefined) inherited[key] = value;
  }
  return {
    ...inherited,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    ...(input.awsEndpointUrl === undefined ? {} : { AWS_ENDPOINT_URL: input.awsEndpointUrl }),
    ...input.functionEnvironment,
    _HANDLER: input.handler,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    AWS_LAMBDA_FUNCTION_NAME: input.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(input.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: input.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: input.logStreamName,
    LAMBDA_TASK_ROOT: input.taskRoot,
  };
}
