/**
 * An application under load, in a process of its own (so the emulator's work does not share its
 * event loop): it calls the vendor at a steady rate with the key from client/, either through
 * `reader.withKey` or through `keyAuthInterceptor`, until the parent says stop, then sends back
 * every request's start, latency and outcome, and its peak RSS. Started by app-under-load.ts.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { performance } from 'node:perf_hooks';
import { Agent, request, type Dispatcher } from 'undici';
import { createKeyReader, keyAuthInterceptor } from '../client';

/** How the parent configures the app (environment variable BENCH_APP, JSON). */
export interface AppSettings {
  /** `fixed`: the key read once at start and never again, without client/ (the RSS baseline). */
  readonly mode: 'reader' | 'interceptor' | 'fixed';
  readonly secretArn: string;
  readonly aws: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: {
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken?: string;
    };
  };
  /** The vendor's identity call: what the app's traffic stands for. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly ratePerSecond: number;
}

/** What the app sends back: one entry per request, in columns (cheap to pass over IPC). */
export interface AppReport {
  /** Epoch ms when each request started. */
  readonly startedAt: number[];
  readonly latencyMs: number[];
  /** Final HTTP status, or 0 when the call threw. */
  readonly status: number[];
  readonly peakRssBytes: number;
}

export type ParentMessage = { readonly type: 'stop' };
export type AppMessage =
  { readonly type: 'ready' } | { readonly type: 'report'; readonly report: AppReport };

/** A 401 for `withKey`: it recognises an error whose `statusCode` is 401. */
class Unauthorized extends Error {
  readonly statusCode = 401;
}

function settings(): AppSettings {
  const raw = process.env.BENCH_APP;
  if (raw === undefined)
    throw new Error('BENCH_APP is not set: this process is started by bench/app-under-load.ts');
  return JSON.parse(raw) as AppSettings;
}

async function main(): Promise<void> {
  const app = settings();
  const secrets = new SecretsManagerClient(app.aws);
  const reader = createKeyReader({ secretId: app.secretArn, client: secrets });
  const agent = new Agent({ connections: 64 });
  const origin = new URL(app.url).origin;
  const intercepted: Dispatcher = agent.compose(keyAuthInterceptor(reader, { origins: [origin] }));

  const fixedKey = app.mode === 'fixed' ? await readOnce(secrets, app.secretArn) : '';

  const call = async (): Promise<number> => {
    if (app.mode === 'fixed') {
      const response = await request(app.url, {
        dispatcher: agent,
        headers: { ...app.headers, authorization: `Bearer ${fixedKey}` },
      });
      await response.body.dump();
      return response.statusCode;
    }
    if (app.mode === 'interceptor') {
      const response = await request(app.url, { dispatcher: intercepted, headers: app.headers });
      await response.body.dump();
      return response.statusCode;
    }
    return reader.withKey(async (key) => {
      const response = await request(app.url, {
        dispatcher: agent,
        headers: { ...app.headers, authorization: `Bearer ${key}` },
      });
      await response.body.dump();
      if (response.statusCode === 401) throw new Unauthorized('401');
      return response.statusCode;
    });
  };

  const report: AppReport = { startedAt: [], latencyMs: [], status: [], peakRssBytes: 0 };
  const inFlight = new Set<Promise<void>>();
  const fire = (): void => {
    const startedAt = Date.now();
    const started = performance.now();
    const done = call()
      .then(
        (status) => status,
        () => 0,
      )
      .then((status) => {
        report.startedAt.push(startedAt);
        report.latencyMs.push(performance.now() - started);
        report.status.push(status);
        inFlight.delete(done);
      });
    inFlight.add(done);
  };

  // Warm up (first read, connections) before the parent starts counting.
  await call();
  send({ type: 'ready' });
  // Open loop: requests start on schedule whether or not earlier ones have answered.
  const timer = setInterval(fire, 1000 / app.ratePerSecond);
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'stop') return;
    clearInterval(timer);
    void Promise.all(inFlight).then(async () => {
      const peakRssBytes = process.resourceUsage().maxRSS * 1024;
      send({ type: 'report', report: { ...report, peakRssBytes } });
      secrets.destroy();
      await agent.close();
      process.disconnect();
    });
  });
}

async function readOnce(client: SecretsManagerClient, secretArn: string): Promise<string> {
  const output = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  return (JSON.parse(output.SecretString ?? '{}') as { apiKey: string }).apiKey;
}

function send(message: AppMessage): void {
  process.send?.(message);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
