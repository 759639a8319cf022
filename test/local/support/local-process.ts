/**
 * `npm run local` as a user runs it: its entry point on the Node npm scripts use, stdout's JSON
 * line, the `export …` line it prints on stderr for a second shell, and Ctrl-C.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SUPPORTED_NODE, TSX_CLI, userPath } from '../../support/supported-node';

const ROOT = join(__dirname, '..', '..', '..');

/** The JSON line `npm run local` prints on stdout (the fields the tests read). */
export interface LocalWorldLine {
  readonly aws: string;
  readonly polytomic: string;
  readonly poelis: string;
  readonly stackName: string;
  readonly secrets: Readonly<Record<string, string>>;
  readonly credentialsFile: string;
  readonly sessions: Readonly<
    Record<
      string,
      { roleArn: string; accessKeyId: string; secretAccessKey: string; sessionToken: string }
    >
  >;
}

/** A running `npm run local`. */
export interface LocalWorldProcess {
  readonly world: LocalWorldLine;
  /** The line it printed for a second shell, starting with `export `. */
  readonly exportLine: string;
  /** Everything it printed on stderr so far. */
  stderr(): string;
  /** Sends `signal` (Ctrl-C is SIGINT) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The process did not come up: names why, with the end of what it printed. */
export class LocalWorldStartError extends Error {
  override readonly name = 'LocalWorldStartError';
}

/**
 * Starts `local/main.ts` with `args` in a clean environment and waits for its `export` line.
 *
 * @example
 * const local = await startLocalWorldProcess(['--state', path]);
 * await local.stop('SIGINT');
 */
export async function startLocalWorldProcess(
  args: readonly string[] = [],
  timeoutMs = 240_000,
): Promise<LocalWorldProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(
    SUPPORTED_NODE,
    [TSX_CLI, 'local/main.ts', ...args],
    { cwd: ROOT, env: { PATH: userPath(), HOME: process.env.HOME ?? '' } },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exportLine = new Promise<string>((resolve) => {
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      const line = stderr.split('\n').find((candidate) => candidate.startsWith('export '));
      if (line !== undefined) resolve(line);
    });
  });
  const firstLine = (async (): Promise<string> => {
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, 'line')) as [string];
    lines.close();
    return line;
  })();
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    const fail = (why: string): void =>
      reject(new LocalWorldStartError(`npm run local ${why}:\n${stderr.slice(-3000)}`));
    timer = setTimeout(() => fail(`printed no export line in ${timeoutMs} ms`), timeoutMs);
    void exited.then((code) => fail(`exited with ${code} before it was up`));
  });
  // After start-up, the exit that stop() causes is not a failure.
  failed.catch(() => undefined);
  try {
    const [line, exported] = await Promise.race([Promise.all([firstLine, exportLine]), failed]);
    return {
      world: JSON.parse(line) as LocalWorldLine,
      exportLine: exported,
      stderr: () => stderr,
      async stop(signal = 'SIGINT') {
        child.kill(signal);
        return exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
