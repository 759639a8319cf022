/**
 * The peer for cold start: a handler of the shape of AWS's Secrets Manager rotation template
 * (bench/template/lambda_function.py, Python with boto3), loaded in a fresh interpreter. Debian's
 * python3-boto3 is installed on first use when the interpreter lacks it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's interpreter: python3-boto3 installs into its dist-packages. */
export const PYTHON = '/usr/bin/python3';
const TEMPLATE_DIR = join(__dirname, 'template');
const LOADER = join(TEMPLATE_DIR, 'load.py');

/** The template could not be measured: no Debian Python, or boto3 could not be installed. */
export class PythonTemplateError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PythonTemplateError';
  }
}

/** Installs python3-boto3 with apt-get when `import boto3` fails; returns boto3's version. */
export async function ensureBoto3(): Promise<string> {
  const version = (): Promise<{ stdout: string }> =>
    run(PYTHON, ['-c', 'import boto3; print(boto3.__version__)']);
  try {
    return (await version()).stdout.trim();
  } catch {
    // Not installed yet: the one download the benchmark makes.
  }
  try {
    await run('apt-get', ['install', '-y', 'python3-boto3'], { maxBuffer: 16 * 1024 * 1024 });
    return (await version()).stdout.trim();
  } catch (error) {
    throw new PythonTemplateError(
      `boto3 is missing for ${PYTHON} and \`apt-get install -y python3-boto3\` failed (run \`apt-get update\` first, as root)`,
      { cause: error },
    );
  }
}

export interface LoadSample {
  readonly loadMs: number;
  readonly rssBytes: number;
}

/** One cold load: import the handler module and create the client its first invocation creates. */
export async function loadTemplateOnce(environment: Record<string, string>): Promise<LoadSample> {
  const { stdout } = await run(PYTHON, [LOADER, TEMPLATE_DIR], {
    // Lambda's Python runtime sets both; botocore reads AWS_DEFAULT_REGION.
    env: {
      ...environment,
      AWS_DEFAULT_REGION: environment.AWS_REGION ?? 'us-east-1',
      // Leaves no __pycache__ in bench/template/.
      PYTHONDONTWRITEBYTECODE: '1',
    },
  });
  return JSON.parse(stdout) as LoadSample;
}
