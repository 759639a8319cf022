/** The `api-key-rotator` binary: parses argv, runs the command, sets the exit code. */
import { createCliDependencies } from './dependencies';
import { ExitCode } from './exit-codes';
import { runCli } from './program';

async function main(): Promise<void> {
  const deps = createCliDependencies(
    { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    process.env,
  );
  try {
    process.exitCode = await runCli(process.argv.slice(2), deps);
  } finally {
    await deps.close();
  }
}

main().catch((error: unknown) => {
  // runCli reports every command error itself; this is a bug in the CLI, shown by name only.
  process.stderr.write(
    `api-key-rotator: unexpected ${error instanceof Error ? error.name : 'error'}\n`,
  );
  process.exitCode = ExitCode.Failed;
});
