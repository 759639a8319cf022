/** Starts bench/app-process.ts in a child process and collects its report. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { AppMessage, AppReport, AppSettings } from './app-process';
import { bundleEntry, PROJECT_ROOT } from './bundles';

const APP_PROCESS = join(__dirname, 'app-process.ts');
/** Bundled like an app would ship, so neither a TypeScript loader nor its memory is measured. */
const APP_BUNDLE = join(
  PROJECT_ROOT,
  'node_modules',
  '.cache',
  'api-key-rotator',
  'bench-app',
  'app.js',
);
let bundled: Promise<string> | undefined;

function appBundle(): Promise<string> {
  bundled ??= bundleEntry(APP_PROCESS, {}, APP_BUNDLE).then((built) => built.file);
  return bundled;
}
/** Start-up (tsx, SDK, first read) on a loaded 2-core machine. */
const READY_TIMEOUT_MS = 60_000;

export interface RunningApp {
  /** Stops sending, waits for the requests in flight, returns what the app saw. */
  stop(): Promise<AppReport>;
}

/**
 * Starts an app and resolves once it has made its first call.
 *
 * @example
 * const app = await startApp({ mode: 'reader', ...settings });
 * const report = await app.stop();
 */
export async function startApp(settings: AppSettings): Promise<RunningApp> {
  const child = fork(await appBundle(), [], {
    execArgv: [],
    env: { ...process.env, BENCH_APP: JSON.stringify(settings) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // A send to an app that has exited is reported by stop(), not as an unhandled 'error' event.
  child.on('error', () => undefined);
  await nextMessage(child, 'ready', READY_TIMEOUT_MS);
  let stopped: Promise<AppReport> | undefined;
  const stop = async (): Promise<AppReport> => {
    if (!child.connected) throw new Error(`the app process exited early (${child.exitCode})`);
    const report = nextMessage(child, 'report', READY_TIMEOUT_MS);
    child.send({ type: 'stop' });
    const message = await report;
    if (message.type !== 'report') throw new Error('the app sent no report');
    return message.report;
  };
  return {
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}

function nextMessage(
  child: ChildProcess,
  type: AppMessage['type'],
  timeoutMs: number,
): Promise<AppMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the app process sent no '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`the app process exited (${code ?? 'signal'}) before '${type}'`));
    };
    child.once('exit', onExit);
    const onMessage = (message: AppMessage): void => {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
  });
}

export type { AppReport, AppSettings };
