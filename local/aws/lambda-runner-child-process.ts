/** An execution environment in a child process ("container") running the bootstrap over IPC. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { buildSync } from 'esbuild';
import {
  settleWithin,
  type ExecutionEnvironment,
  type InvocationRequest,
} from './lambda-runner-execution-environment';
import {
  ErrorTypes,
  exitError,
  timeoutError,
  type InvocationError,
  type InvocationOutcome,
} from './lambda-runner-outcome';
import type { ContainerMessage, RunnerMessage } from './lambda-runner-protocol';

export interface ContainerOptions {
  functionName: string;
  /** Absolute path of the bundle. */
  file: string;
  handlerExport: string;
  nodeBinary: string;
  memoryMb: number;
  environment: Record<string, string>;
  logSink?: (line: string, functionName: string) => void;
}

/** Lambda caps the init phase at 10 seconds, whatever the function's timeout. */
const INIT_TIMEOUT_MS = 10_000;

/** The container ended before replying: it exited, was killed, timed out or never started. */
type LostContainer = { type: 'lost' } & InvocationError;

let bootstrap: { file: string; source: string } | undefined;

/**
 * The bootstrap compiled to one CommonJS script file. A file, not `node -e`: eval code makes
 * `require` a global, which would let a broken ES module bundle load here and fail in Lambda.
 * The name is the content's hash, so concurrent runners share one file and never clean up.
 */
function compiledBootstrap(): string {
  if (bootstrap === undefined) {
    const source = buildSync({
      entryPoints: [path.join(__dirname, 'lambda-runner-bootstrap.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    }).outputFiles[0].text;
    const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
    bootstrap = { file: path.join(os.tmpdir(), `lambda-runner-bootstrap-${digest}.cjs`), source };
  }
  if (!existsSync(bootstrap.file)) {
    // Written aside then renamed, so a concurrent runner never starts a half-written file.
    const partial = `${bootstrap.file}.${process.pid}.tmp`;
    writeFileSync(partial, bootstrap.source);
    renameSync(partial, bootstrap.file);
  }
  return bootstrap.file;
}

/** Like the Lambda Node runtime, leave a tenth of the memory outside the V8 heap. */
function maxOldSpaceMb(memoryMb: number): number {
  return Math.floor(memoryMb * 0.9);
}

function unexpectedReply(type: string): InvocationError {
  return {
    errorType: ErrorTypes.service,
    errorMessage: `Unexpected reply from the container: ${type}`,
  };
}

export class ChildProcessEnvironment implements ExecutionEnvironment {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private lost: LostContainer | undefined;
  private awaitingReply: ((reply: ContainerMessage | LostContainer) => void) | undefined;
  private lastRssBytes = 0;

  constructor(private readonly options: ContainerOptions) {
    this.child = spawn(
      options.nodeBinary,
      [`--max-old-space-size=${maxOldSpaceMb(options.memoryMb)}`, compiledBootstrap()],
      {
        cwd: path.dirname(options.file),
        env: options.environment,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    this.forwardLines(this.child.stdout);
    this.forwardLines(this.child.stderr);
    this.child.on('message', (message: ContainerMessage) => {
      this.lastRssBytes = message.rssBytes;
      // Let output the container wrote before replying be read and forwarded first.
      setImmediate(() => this.awaitingReply?.(message));
    });
    this.child.on('error', (error) => {
      this.loseWith({ errorType: ErrorTypes.invalidEntrypoint, errorMessage: error.message });
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.loseWith(exitError(code, signal));
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.lost === undefined;
  }

  get rssBytes(): number {
    return this.lastRssBytes;
  }

  async init(): Promise<InvocationError | undefined> {
    const reply = await this.exchange(
      { type: 'init', file: this.options.file, handlerExport: this.options.handlerExport },
      INIT_TIMEOUT_MS,
    );
    switch (reply.type) {
      case 'initialized':
        return undefined;
      case 'initFailed':
      case 'lost':
        await this.discard();
        return { errorType: reply.errorType, errorMessage: reply.errorMessage };
      default:
        await this.discard();
        return unexpectedReply(reply.type);
    }
  }

  async invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    const reply = await this.exchange(
      {
        type: 'invoke',
        event: request.event,
        context: request.context,
        deadlineEpochMs: Date.now() + request.timeoutMs,
      },
      request.timeoutMs,
    );
    switch (reply.type) {
      case 'succeeded':
        return { ok: true, payload: reply.payload };
      case 'failed':
        return { ok: false, errorType: reply.errorType, errorMessage: reply.errorMessage };
      case 'lost':
        await this.discard();
        return { ok: false, errorType: reply.errorType, errorMessage: reply.errorMessage };
      default:
        return { ok: false, ...unexpectedReply(reply.type) };
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  closed(): Promise<void> {
    return this.exited;
  }

  /** Kills the container and waits until it is gone, so a failure is only reported once it is. */
  private async discard(): Promise<void> {
    this.kill();
    await this.exited;
  }

  /** Sends one message and waits for its reply; past `timeoutMs` the container is killed. */
  private exchange(
    message: RunnerMessage,
    timeoutMs: number,
  ): Promise<ContainerMessage | LostContainer> {
    if (this.lost !== undefined) return Promise.resolve(this.lost);
    return settleWithin<ContainerMessage | LostContainer>(
      timeoutMs,
      () => {
        const timedOut: LostContainer = { type: 'lost', ...timeoutError(timeoutMs) };
        this.lost = timedOut;
        this.kill();
        return timedOut;
      },
      (settle) => {
        this.awaitingReply = (reply) => {
          this.awaitingReply = undefined;
          settle(reply);
        };
        // A send to a dead container is reported by 'close'; the callback only keeps it from throwing.
        this.child.send(message, () => undefined);
      },
    );
  }

  /** Marks the container unusable and fails the exchange in flight, keeping the first reason. */
  private loseWith(reason: InvocationError): void {
    this.lost ??= { type: 'lost', ...reason };
    this.awaitingReply?.(this.lost);
  }

  private forwardLines(stream: Readable | null): void {
    const sink = this.options.logSink;
    if (stream === null) return;
    if (sink === undefined) {
      stream.resume();
      return;
    }
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
      sink(line, this.options.functionName),
    );
  }
}
