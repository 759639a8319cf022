/** The process around `runCli`, shared by the `api-key-rotator` binary and `local/cli.ts`. */
import { createCliDependencies, type CliDependencyOptions } from './dependencies';
import { ExitCode } from './exit-codes';
import { runCli } from './program';

/**
 * Runs `process.argv` as one command line with real clients on the process's stdio and
 * environment, and sets `process.exitCode`. Never rejects.
 */
export async function runProcess(options: CliDependencyOptions = {}): Promise<void> {
  try {
    const deps = createCliDependencies(
      { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
      process.env,
      options,
    );
    try {
      process.exitCode = await runCli(process.argv.slice(2), deps);
    } finally {
      await deps.close();
    }
  } catch (error) {
    // runCli reports every command error itself; this is a bug in the CLI, shown by name only.
    process.stderr.write(
      `api-key-rotator: unexpected ${error instanceof Error ? error.name : 'error'}\n`,
    );
    process.exitCode = ExitCode.Failed;
  }
}
