/**
 * The application of the story: it reads its Polytomic key through the key reader and calls
 * `GET /api/me` continuously, counting every call, every failure and every 401 it recovered from.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { createKeyReader, type KeyReader, type SecretValueClient } from '../client';
import { POLYTOMIC_DEFAULT_API_VERSION } from '../lambda/providers/polytomic';
import { describeError } from '../lambda/shared/errors';
import { fingerprint } from '../lambda/shared/fingerprint';
import type { AppCallsFact } from './summary';

export interface AppLoopOptions {
  readonly secretsManager: SecretValueClient;
  readonly secretArn: string;
  readonly polytomicUrl: string;
  /** Calls in flight at once, as several request handlers of one app would make. */
  readonly workers?: number;
  /** Pause of each worker between calls. */
  readonly pauseMs?: number;
}

export interface AppLoop {
  /** Fingerprint of the key the app holds now (reads it if it holds none). */
  keyFingerprint(): Promise<string>;
  /** Calls made so far. */
  callsSoFar(): number;
  /** Stops calling, waits for the calls in flight, and reports. */
  stop(): Promise<AppCallsFact>;
}

const MAX_REPORTED_FAILURES = 5;

/** Starts the workers at once; the first call reads the key. */
export function startAppLoop(options: AppLoopOptions): AppLoop {
  const dispatcher = new Agent();
  const stats = { total: 0, failed: 0, recoveredAfter401: 0, keyChangesSeen: 0 };
  const failures: string[] = [];
  const reader = createKeyReader({
    secretId: options.secretArn,
    client: options.secretsManager,
    // Keep the key until the vendor refuses it: the rotation, not a timer, drives the re-read.
    maxAgeMs: Number.POSITIVE_INFINITY,
    onRotate: () => {
      stats.keyChangesSeen += 1;
    },
  });
  const url = new URL('/api/me', options.polytomicUrl);
  let running = true;

  const recordFailure = (description: string): void => {
    stats.failed += 1;
    if (failures.length < MAX_REPORTED_FAILURES) failures.push(description);
  };
  const callOnce = async (): Promise<void> => {
    let rejections = 0;
    try {
      const status = await callIdentity(reader, url, dispatcher, () => {
        rejections += 1;
      });
      if (status !== 200) recordFailure(`GET /api/me answered ${status}`);
      else if (rejections > 0) stats.recoveredAfter401 += 1;
    } catch (error) {
      // The reader's errors (a second 401, an unreadable secret) never carry key values.
      const { name, message } = describeError(error);
      recordFailure(`${name}: ${message}`);
    } finally {
      stats.total += 1;
    }
  };
  const worker = async (): Promise<void> => {
    while (running) {
      await callOnce();
      await sleep(options.pauseMs ?? 5);
    }
  };
  const workers = Array.from({ length: options.workers ?? 2 }, () => worker());

  return {
    keyFingerprint: async () => fingerprint(await reader.getKey()),
    callsSoFar: () => stats.total,
    async stop() {
      running = false;
      await Promise.all(workers);
      await dispatcher.close();
      return { ...stats, failures };
    },
  };
}

/** One call through the reader: a 401 makes it re-read the secret and try once more. */
async function callIdentity(
  reader: KeyReader,
  url: URL,
  dispatcher: Agent,
  onRejected: () => void,
): Promise<number> {
  const response = await reader.withKey(async (key) => {
    const answer = await request(url, {
      dispatcher,
      headers: {
        authorization: `Bearer ${key}`,
        'x-polytomic-version': POLYTOMIC_DEFAULT_API_VERSION,
      },
    });
    if (answer.statusCode === 401) onRejected();
    return answer;
  });
  await response.body.dump();
  return response.statusCode;
}
