/**
 * A 401 storm on a key the secret still holds (revoked by hand, a rotation not finished): re-reads
 * are coalesced and rate-limited by a jittered exponential backoff, which a new key resets.
 * Time is a manual clock and jitter an injected source, so every window is exact.
 */
import { Agent, request } from 'undici';
import { ManualClock } from '../../local/aws/types';
import {
  createKeyReader,
  DEFAULT_REJECTED_KEY_BACKOFF,
  KeyRejectedError,
  keyAuthInterceptor,
} from '../../client';
import { startKeyCheckingServer } from './support/key-checking-server';
import { StubSecretsClient } from './support/stub-secrets-client';

const secretId = 'poelis/production';

function setup(options: { random?: number; initialMs?: number; maxMs?: number } = {}) {
  const client = StubSecretsClient.withKey('key-a', 'v1');
  const clock = new ManualClock(0);
  const reader = createKeyReader({
    secretId,
    client,
    maxAgeMs: Infinity,
    now: () => clock.now(),
    random: () => options.random ?? 0.999_999,
    rejectedKeyBackoff: { initialMs: options.initialMs, maxMs: options.maxMs },
  });
  return { client, clock, reader };
}

/** A wave of `n` requests rejected together with `key`. */
function wave(reader: ReturnType<typeof setup>['reader'], key: string, n = 100) {
  return Promise.all(Array.from({ length: n }, () => reader.replaceRejectedKey(key)));
}

describe('a 401 storm while the key is unchanged', () => {
  it('makes one read for a wave of concurrent 401s', async () => {
    const { client, reader } = setup();
    await reader.getKey();

    const keys = await wave(reader, 'key-a', 1_000);

    expect(new Set(keys)).toEqual(new Set(['key-a']));
    expect(client.calls).toHaveLength(2);
  });

  it('makes no read for the waves that follow within the backoff window', async () => {
    const { client, clock, reader } = setup();
    await reader.getKey();
    await wave(reader, 'key-a');

    for (let i = 0; i < 9; i += 1) {
      clock.advance(99);
      await expect(wave(reader, 'key-a')).resolves.toContain('key-a');
    }

    expect(client.calls).toHaveLength(2);
  });

  it('reads again once the window has passed, then waits twice as long', async () => {
    const { client, clock, reader } = setup({ random: 0.999_999 });
    await reader.getKey();
    await wave(reader, 'key-a'); // read 2 at t=0; next allowed at ~1000
    clock.advance(999);
    await wave(reader, 'key-a');
    expect(client.calls).toHaveLength(2);

    clock.advance(1);
    await wave(reader, 'key-a'); // read 3 at t=1000; next allowed at ~3000
    expect(client.calls).toHaveLength(3);
    clock.advance(1_999);
    await wave(reader, 'key-a');
    expect(client.calls).toHaveLength(3);
    clock.advance(1);
    await wave(reader, 'key-a');
    expect(client.calls).toHaveLength(4);
  });

  it('grows the gap between reads exponentially up to the cap', async () => {
    const { client, clock, reader } = setup({ random: 0.999_999, initialMs: 1_000, maxMs: 8_000 });
    await reader.getKey();
    const readTimes: number[] = [];
    // A request rejected every 10 ms for two minutes.
    for (let t = 0; t <= 120_000; t += 10) {
      const before = client.calls.length;
      await reader.replaceRejectedKey('key-a');
      if (client.calls.length > before) readTimes.push(clock.now());
      clock.advance(10);
    }

    const gaps = readTimes.slice(1).map((time, i) => time - readTimes[i]);
    expect(gaps.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(Math.max(...gaps)).toBe(8_000);
    expect(readTimes.length).toBeLessThan(20);
  });

  it('draws each wait between half and all of the backoff (jitter)', async () => {
    const low = setup({ random: 0 });
    await low.reader.getKey();
    await wave(low.reader, 'key-a');
    low.clock.advance(499);
    await wave(low.reader, 'key-a');
    expect(low.client.calls).toHaveLength(2);
    low.clock.advance(1);
    await wave(low.reader, 'key-a');
    expect(low.client.calls).toHaveLength(3);

    const high = setup({ random: 0.999_999 });
    await high.reader.getKey();
    await wave(high.reader, 'key-a');
    high.clock.advance(500);
    await wave(high.reader, 'key-a');
    expect(high.client.calls).toHaveLength(2);
  });

  it('defaults to 1 second, doubling up to 1 minute', () => {
    expect(DEFAULT_REJECTED_KEY_BACKOFF).toEqual({ initialMs: 1_000, maxMs: 60_000 });
  });

  it('backs off after a failed read too, and serves the key in memory meanwhile', async () => {
    const { client, clock, reader } = setup();
    await reader.getKey();
    client.failWith(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

    await expect(reader.replaceRejectedKey('key-a')).rejects.toMatchObject({
      name: 'SecretReadError',
    });
    await expect(reader.replaceRejectedKey('key-a')).resolves.toBe('key-a');
    expect(client.calls).toHaveLength(2);

    client.recover();
    clock.advance(1_000);
    await expect(reader.replaceRejectedKey('key-a')).resolves.toBe('key-a');
    expect(client.calls).toHaveLength(3);
  });

  it('does not delay refresh() or a read for maxAgeMs', async () => {
    const { client, reader } = setup();
    await reader.getKey();
    await wave(reader, 'key-a');

    await reader.refresh();
    expect(client.calls).toHaveLength(3);
  });
});

describe('a new key resets the backoff', () => {
  it('reads at once for the first 401 on the new key', async () => {
    const { client, clock, reader } = setup();
    await reader.getKey();
    for (let i = 0; i < 4; i += 1) {
      await wave(reader, 'key-a');
      clock.advance(20_000);
    }
    const before = client.calls.length;
    client.rotateTo('key-b', 'v2');

    await expect(reader.refresh()).resolves.toBe('key-b');
    await expect(wave(reader, 'key-b')).resolves.toContain('key-b');

    expect(client.calls).toHaveLength(before + 2);
  });

  it('returns the new key without a read to 401s on the old key, even inside the window', async () => {
    const { client, reader } = setup();
    await reader.getKey();
    await wave(reader, 'key-a');
    client.rotateTo('key-b', 'v2');
    await reader.refresh();

    await expect(wave(reader, 'key-a')).resolves.toEqual(Array(100).fill('key-b'));
    expect(client.calls).toHaveLength(3);
  });

  it('a read after the window that finds a new key resets the wait to its start', async () => {
    const { client, clock, reader } = setup({ random: 0.999_999 });
    await reader.getKey();
    await wave(reader, 'key-a'); // next read allowed at ~1000
    clock.advance(1_000);
    await wave(reader, 'key-a'); // next at ~3000
    clock.advance(2_000);
    client.rotateTo('key-b', 'v2');
    await expect(wave(reader, 'key-a')).resolves.toContain('key-b');
    const reads = client.calls.length;

    // The new key is rejected too: its first 401 reads at once, the next waits 1 s again.
    await wave(reader, 'key-b');
    expect(client.calls).toHaveLength(reads + 1);
    clock.advance(1_000);
    await wave(reader, 'key-b');
    expect(client.calls).toHaveLength(reads + 2);
  });
});

describe('withKey and the interceptor under a 401 storm', () => {
  it('withKey: 1,000 calls rejected together cost one re-read; the next wave none', async () => {
    const { client, reader } = setup();
    const reject = () => Promise.reject(Object.assign(new Error('Unauthorized'), { status: 401 }));

    const first = await Promise.allSettled(
      Array.from({ length: 1_000 }, () => reader.withKey(reject)),
    );
    const second = await Promise.allSettled(
      Array.from({ length: 1_000 }, () => reader.withKey(reject)),
    );

    for (const outcome of [...first, ...second]) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(KeyRejectedError);
    }
    expect(client.calls).toHaveLength(2);
  });

  it('interceptor: waves of 401s on a revoked key read the secret once per window', async () => {
    const server = await startKeyCheckingServer('key-nobody-has');
    const agent = new Agent();
    const { client, clock, reader } = setup();
    const dispatcher = agent.compose(keyAuthInterceptor(reader));
    const send = async () => {
      const res = await request(server.url, { dispatcher });
      await res.body.dump();
      return res.statusCode;
    };
    try {
      for (let i = 0; i < 3; i += 1) {
        const statuses = await Promise.all(Array.from({ length: 20 }, send));
        expect(new Set(statuses)).toEqual(new Set([401]));
        clock.advance(100);
      }
      expect(client.calls).toHaveLength(2);

      clock.advance(1_000);
      await send();
      expect(client.calls).toHaveLength(3);
    } finally {
      await agent.close();
      await server.close();
    }
  });
});

describe('options', () => {
  it('refuses a backoff whose start is negative or above its cap', () => {
    const client = StubSecretsClient.withKey('key-a');
    expect(() =>
      createKeyReader({ secretId, client, rejectedKeyBackoff: { initialMs: -1 } }),
    ).toThrow(RangeError);
    expect(() =>
      createKeyReader({ secretId, client, rejectedKeyBackoff: { initialMs: 5_000, maxMs: 1_000 } }),
    ).toThrow(RangeError);
  });
});
