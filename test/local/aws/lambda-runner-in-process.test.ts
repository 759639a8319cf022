import {
  LambdaRunner,
  type InProcessFunctionDefinition,
  type InProcessHandler,
  type LambdaContextLike,
} from '../../../local/aws/lambda-runner';
import type { InvokeResult } from '../../../local/aws/types';

let runner: LambdaRunner;

beforeEach(() => {
  runner = new LambdaRunner();
});

afterEach(() => runner.close());

function inProcess(
  handler: InProcessHandler,
  settings: Partial<InProcessFunctionDefinition> = {},
): InProcessFunctionDefinition {
  return { kind: 'in-process', handler, ...settings };
}

const never: InProcessHandler = () => new Promise(() => undefined);

/** A handler that parks every call until release(), counting how many are parked at once. */
function gate(): {
  handler: InProcessHandler;
  release: () => void;
  arrived: (count: number) => Promise<void>;
  maxParked: number;
} {
  const parked: Array<() => void> = [];
  let released = false;
  const state = {
    maxParked: 0,
    handler: async (): Promise<unknown> => {
      if (!released) {
        await new Promise<void>((resolve) => {
          parked.push(resolve);
          state.maxParked = Math.max(state.maxParked, parked.length);
        });
      }
      return 'through';
    },
    release: (): void => {
      released = true;
      for (const resume of parked.splice(0)) resume();
    },
    arrived: async (count: number): Promise<void> => {
      while (parked.length < count) await new Promise((resolve) => setImmediate(resolve));
    },
  };
  return state;
}

describe('LambdaRunner with in-process functions', () => {
  test('the handler gets the event and a Lambda context with a countdown', async () => {
    let seen: { event: unknown; context: LambdaContextLike; remaining: number } | undefined;
    const arn = runner.register(
      'probe',
      inProcess(
        (event, context) => {
          seen = { event, context, remaining: context.getRemainingTimeInMillis() };
          return Promise.resolve({ at: new Date(0), missing: undefined });
        },
        { timeoutMs: 5_000 },
      ),
    );

    const result = await runner.invoke(arn, { step: 'createSecret' });

    // The payload is what Lambda would return: the handler's value as JSON.
    expect(result).toMatchObject({ ok: true, payload: { at: '1970-01-01T00:00:00.000Z' } });
    expect(seen?.event).toEqual({ step: 'createSecret' });
    expect(seen?.context).toMatchObject({
      functionName: 'probe',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:probe',
      memoryLimitInMB: '128',
      logGroupName: '/aws/lambda/probe',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(seen?.remaining).toBeGreaterThan(0);
    expect(seen?.remaining).toBeLessThanOrEqual(5_000);
  });

  test('undefined comes back as null, and an unserialisable value is Runtime.MarshalError', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    runner.register(
      'nothing',
      inProcess(() => Promise.resolve(undefined)),
    );
    runner.register(
      'circular',
      inProcess(() => Promise.resolve(circular)),
    );

    expect(await runner.invoke('nothing', {})).toMatchObject({ ok: true, payload: null });
    expect(await runner.invoke('circular', {})).toMatchObject({
      ok: false,
      errorType: 'Runtime.MarshalError',
      errorMessage: expect.stringContaining('Unable to stringify response body') as unknown,
    });
  });

  test('errors are reported by name, and thrown non-errors by type', async () => {
    class RotationStepError extends Error {
      override readonly name = 'RotationStepError';
    }
    runner.register(
      'named',
      inProcess(() => Promise.reject(new RotationStepError('no AWSPENDING'))),
    );
    runner.register(
      'sync-throw',
      inProcess(() => {
        throw new TypeError('not a function');
      }),
    );
    runner.register(
      'string',
      inProcess(() => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- what Lambda reports for a thrown non-Error
        throw 'plain text';
      }),
    );

    const results: InvokeResult[] = await Promise.all(
      ['named', 'sync-throw', 'string'].map((name) => runner.invoke(name, {})),
    );

    expect(
      results.map(({ ok, errorType, errorMessage }) => ({ ok, errorType, errorMessage })),
    ).toEqual([
      { ok: false, errorType: 'RotationStepError', errorMessage: 'no AWSPENDING' },
      { ok: false, errorType: 'TypeError', errorMessage: 'not a function' },
      { ok: false, errorType: 'string', errorMessage: 'plain text' },
    ]);
    expect(runner.stats('named')).toMatchObject({
      invocations: 1,
      errors: 1,
      timeouts: 0,
      peakRssBytes: 0,
    });
  });

  test('sequential invocations reuse one warm environment', async () => {
    runner.register(
      'echo',
      inProcess((event) => Promise.resolve(event)),
    );

    for (const n of [1, 2, 3])
      expect(await runner.invoke('echo', { n })).toMatchObject({ payload: { n } });

    expect(runner.stats('echo')).toMatchObject({ invocations: 3, coldStarts: 1, errors: 0 });
  });

  test('a timeout abandons the promise with Sandbox.Timedout, and the next invocation cold starts', async () => {
    runner.register('stuck', inProcess(never, { timeoutMs: 100 }));

    const result = await runner.invoke('stuck', {});
    await runner.invoke('stuck', {});

    expect(result).toMatchObject({
      ok: false,
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 0.10 seconds',
    });
    // Timers may fire a fraction of a millisecond early against performance.now().
    expect(result.durationMs).toBeGreaterThanOrEqual(99);
    expect(runner.stats('stuck')).toMatchObject({
      invocations: 2,
      coldStarts: 2,
      errors: 2,
      timeouts: 2,
    });
  });

  test('kill() fails the invocation in flight with Runtime.ExitError', async () => {
    const parked = gate();
    runner.register('parked', inProcess(parked.handler));

    const inFlight = runner.invoke('parked', {});
    await parked.arrived(1);
    runner.kill('parked');
    parked.release();

    expect(await inFlight).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    expect(await runner.invoke('parked', {})).toMatchObject({ ok: true, payload: 'through' });
    expect(runner.stats('parked')).toMatchObject({ invocations: 2, coldStarts: 2, errors: 1 });
  });

  test('reserved concurrency caps parallel invocations; the rest queue and count as throttled', async () => {
    const parked = gate();
    runner.register('capped', inProcess(parked.handler, { reservedConcurrency: 2 }));

    const results = Array.from({ length: 5 }, () => runner.invoke('capped', {}));
    await parked.arrived(2);
    expect(runner.stats('capped')).toMatchObject({ invocations: 5, throttled: 3, coldStarts: 2 });
    parked.release();

    expect((await Promise.all(results)).every((result) => result.ok)).toBe(true);
    expect(parked.maxParked).toBe(2);
    expect(runner.stats('capped')).toMatchObject({
      invocations: 5,
      throttled: 3,
      coldStarts: 2,
      errors: 0,
    });
  });

  test('without reserved concurrency every parallel invocation gets its own environment', async () => {
    const parked = gate();
    runner.register('open', inProcess(parked.handler));

    const results = Array.from({ length: 4 }, () => runner.invoke('open', {}));
    await parked.arrived(4);
    parked.release();
    await Promise.all(results);

    expect(runner.stats('open')).toMatchObject({ invocations: 4, throttled: 0, coldStarts: 4 });
  });

  test('close() fails running and queued invocations, and the runner refuses new functions', async () => {
    const parked = gate();
    runner.register('single', inProcess(parked.handler, { reservedConcurrency: 1 }));

    const running = runner.invoke('single', {});
    const queued = runner.invoke('single', {});
    await parked.arrived(1);
    await runner.close();
    parked.release();

    expect(await running).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    expect(await queued).toMatchObject({
      ok: false,
      errorType: 'ServiceException',
      errorMessage: 'The LambdaRunner was closed before the invocation started',
    });
    expect(await runner.invoke('single', {})).toMatchObject({
      ok: false,
      errorType: 'ServiceException',
    });
    expect(() => runner.register('late', inProcess(never))).toThrow('LambdaRunner is closed');
  });

  test('stats and kill of an unknown function throw', () => {
    expect(() => runner.stats('missing')).toThrow('Function not found: missing');
    expect(() => runner.kill('missing')).toThrow('Function not found: missing');
  });
});
