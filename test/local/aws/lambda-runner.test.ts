import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { FunctionEnv } from '../../../lambda/shared/contracts';
import { LambdaRunner, type BundledFunctionDefinition } from '../../../local/aws/lambda-runner';
import type { InvokeResult } from '../../../local/aws/types';

const fixture = (name: string): string => path.join(__dirname, 'fixtures', name);

interface LoggedLine {
  line: string;
  functionName: string;
}

/** A runner whose container output is collected, closed after every test. */
let runner: LambdaRunner;
let logged: LoggedLine[];

beforeEach(() => {
  logged = [];
  runner = new LambdaRunner({
    region: 'eu-west-1',
    accountId: '123456789012',
    awsEndpointUrl: 'http://127.0.0.1:4566',
    logSink: (line, functionName) => logged.push({ line, functionName }),
  });
});

afterEach(() => runner.close());

function bundle(
  file: string,
  settings: Partial<BundledFunctionDefinition> = {},
): BundledFunctionDefinition {
  return { kind: 'bundle', file: fixture(file), ...settings };
}

function payloadOf<T>(result: InvokeResult): T {
  expect(result).toMatchObject({ ok: true });
  return result.payload as T;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves when the container printed a line starting with `prefix`, with that line. */
async function loggedLine(prefix: string): Promise<string> {
  for (;;) {
    const found = logged.find(({ line }) => line.startsWith(prefix));
    if (found !== undefined) return found.line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('LambdaRunner with bundled functions', () => {
  test('register returns the function ARN, which invoke accepts like the name', async () => {
    const arn = runner.register('echo', bundle('succeed.js'));

    expect(arn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:echo');
    expect(payloadOf(await runner.invoke(arn, { n: 1 }))).toMatchObject({ event: { n: 1 } });
    expect(payloadOf(await runner.invoke('echo', { n: 2 }))).toMatchObject({ event: { n: 2 } });
    expect(payloadOf(await runner.invoke(`${arn}:$LATEST`, { n: 3 }))).toMatchObject({
      event: { n: 3 },
    });
  });

  test('an unknown function, or an ARN of another account, is ResourceNotFoundException', async () => {
    runner.register('echo', bundle('succeed.js'));

    for (const target of ['missing', 'arn:aws:lambda:eu-west-1:999999999999:function:echo']) {
      expect(await runner.invoke(target, {})).toEqual({
        ok: false,
        errorType: 'ResourceNotFoundException',
        errorMessage: `Function not found: ${target}`,
        durationMs: 0,
      });
    }
  });

  test('register refuses duplicates, bad names, reserved variables and a zero concurrency', () => {
    runner.register('echo', bundle('succeed.js'));

    expect(() => runner.register('echo', bundle('succeed.js'))).toThrow(
      'Function already exists: echo',
    );
    expect(() => runner.register('bad name', bundle('succeed.js'))).toThrow(
      'Invalid function name',
    );
    expect(() =>
      runner.register('creds', bundle('succeed.js', { environment: { AWS_REGION: 'x' } })),
    ).toThrow('reserved environment variables: AWS_REGION');
    expect(() => runner.register('zero', bundle('succeed.js', { reservedConcurrency: 0 }))).toThrow(
      'must be a positive integer',
    );
  });

  test('a warm container is reused; kill() makes the next invocation cold start', async () => {
    runner.register('echo', bundle('succeed.js'));

    const first = payloadOf<{ invocations: number; pid: number }>(await runner.invoke('echo', {}));
    const second = payloadOf<{ invocations: number; pid: number }>(await runner.invoke('echo', {}));
    expect(second).toMatchObject({ invocations: 2, pid: first.pid });
    expect(runner.stats('echo')).toMatchObject({ invocations: 2, coldStarts: 1, errors: 0 });

    runner.kill('echo');
    const third = payloadOf<{ invocations: number; pid: number }>(await runner.invoke('echo', {}));
    expect(third.invocations).toBe(1);
    expect(third.pid).not.toBe(first.pid);
    expect(runner.stats('echo')).toMatchObject({ invocations: 3, coldStarts: 2 });
    expect(isRunning(first.pid)).toBe(false);
  });

  test('a thrown error fails with its name and message, and the container stays warm', async () => {
    runner.register('fails', bundle('throw-named.js'));

    const result = await runner.invoke('fails', {});
    await runner.invoke('fails', {});

    expect(result).toMatchObject({
      ok: false,
      errorType: 'VendorUnavailableError',
      errorMessage: 'polytomic answered 503',
    });
    expect(runner.stats('fails')).toMatchObject({
      invocations: 2,
      coldStarts: 1,
      errors: 2,
      timeouts: 0,
    });
  });

  test('exceeding the timeout kills the container with Sandbox.Timedout', async () => {
    runner.register('slow', bundle('wait.js', { timeoutMs: 300 }));

    const result = await runner.invoke('slow', {});
    const pid = Number((await loggedLine('started pid=')).split('=')[1]);

    expect(result).toMatchObject({
      ok: false,
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 0.30 seconds',
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(300);
    expect(isRunning(pid)).toBe(false);
    await runner.invoke('slow', {});
    expect(runner.stats('slow')).toMatchObject({
      invocations: 2,
      coldStarts: 2,
      errors: 2,
      timeouts: 2,
    });
  });

  test('a container that exits mid-invocation fails it with Runtime.ExitError, its last words logged', async () => {
    runner.register('quits', bundle('exit.js'));

    const result = await runner.invoke('quits', {});

    expect(result).toMatchObject({
      ok: false,
      errorType: 'Runtime.ExitError',
      errorMessage: 'Runtime exited with error: exit status 3',
    });
    expect(logged).toContainEqual({ line: 'about to exit', functionName: 'quits' });
  });

  test('kill() during an invocation fails it with Runtime.ExitError and the next one cold starts', async () => {
    runner.register('slow', bundle('wait.js'));

    const inFlight = runner.invoke('slow', {});
    const killedPid = Number((await loggedLine('started pid=')).split('=')[1]);
    runner.kill('slow');

    expect(await inFlight).toMatchObject({
      ok: false,
      errorType: 'Runtime.ExitError',
      errorMessage: 'Runtime exited with error: signal: SIGKILL',
    });
    expect(isRunning(killedPid)).toBe(false);
    const next = payloadOf<{ pid: number }>(await runner.invoke('slow', { waitMs: 0 }));
    expect(next.pid).not.toBe(killedPid);
    expect(runner.stats('slow')).toMatchObject({
      invocations: 2,
      coldStarts: 2,
      errors: 1,
      timeouts: 0,
    });
  });

  test('a container gets the Lambda environment, not the runner’s, and a counting-down context', async () => {
    process.env.LAMBDA_RUNNER_TEST_PARENT_ONLY = 'must not leak';
    try {
      const arn = runner.register('probe', {
        kind: 'bundle',
        file: fixture('env-context.js'),
        memoryMb: 256,
        timeoutMs: 20_000,
        environment: { [FunctionEnv.AllowedOrigins]: 'http://127.0.0.1:1' },
      });

      const { env, cwd, context } = payloadOf<{
        env: Record<string, string>;
        cwd: string;
        context: Record<string, unknown> & { remainingTimeInMillis: number };
      }>(await runner.invoke(arn, {}));

      expect(env).toMatchObject({
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
        AWS_LAMBDA_FUNCTION_NAME: 'probe',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/probe',
        AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`,
        LAMBDA_TASK_ROOT: path.join(__dirname, 'fixtures'),
        _HANDLER: 'env-context.handler',
        TZ: ':UTC',
        [FunctionEnv.AllowedOrigins]: 'http://127.0.0.1:1',
      });
      for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
        expect(env[key]).toMatch(/^local-lambda-/);
      }
      // Nothing else: of the runner's own environment only PATH and HOME get through.
      const inherited = ['PATH', 'HOME'].filter((key) => process.env[key] !== undefined);
      expect(Object.keys(env).sort()).toEqual(
        [
          ...inherited,
          ...['TZ', 'LANG', 'AWS_ENDPOINT_URL', FunctionEnv.AllowedOrigins, '_HANDLER'],
          ...['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_EXECUTION_ENV'],
          ...['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
          ...[
            'AWS_LAMBDA_FUNCTION_NAME',
            'AWS_LAMBDA_FUNCTION_VERSION',
            'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
          ],
          ...[
            'AWS_LAMBDA_INITIALIZATION_TYPE',
            'AWS_LAMBDA_LOG_GROUP_NAME',
            'AWS_LAMBDA_LOG_STREAM_NAME',
          ],
          'LAMBDA_TASK_ROOT',
        ].sort(),
      );
      expect(env.PATH).toBe(process.env.PATH);
      expect(cwd).toBe(path.join(__dirname, 'fixtures'));
      expect(context).toMatchObject({
        functionName: 'probe',
        functionVersion: '$LATEST',
        invokedFunctionArn: arn,
        memoryLimitInMB: '256',
        logGroupName: '/aws/lambda/probe',
        logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
        callbackWaitsForEmptyEventLoop: true,
      });
      expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
      expect(context.remainingTimeInMillis).toBeGreaterThan(0);
      expect(context.remainingTimeInMillis).toBeLessThanOrEqual(20_000);
    } finally {
      delete process.env.LAMBDA_RUNNER_TEST_PARENT_ONLY;
    }
  });

  test('every stdout and stderr line reaches the log sink, tagged, before invoke resolves', async () => {
    runner.register('chatty', bundle('logs.js'));

    const result = await runner.invoke('chatty', { lines: 500 });

    expect(payloadOf(result)).toBe('logged');
    const lines = logged
      .filter(({ functionName }) => functionName === 'chatty')
      .map(({ line }) => line);
    expect(lines.filter((line) => line.startsWith('stdout line '))).toEqual(
      Array.from({ length: 500 }, (_, index) => `stdout line ${index + 1}`),
    );
    expect(lines).toContain('stderr line');
  });

  test('a bundle that fails at load is Runtime.ImportModuleError with the loader’s message', async () => {
    runner.register('esm', bundle('dynamic-require.mjs'));
    runner.register('absent', bundle('does-not-exist.js'));

    expect(await runner.invoke('esm', {})).toMatchObject({
      ok: false,
      errorType: 'Runtime.ImportModuleError',
      errorMessage: 'Error: Dynamic require of "node:https" is not supported',
    });
    expect(await runner.invoke('absent', {})).toMatchObject({
      ok: false,
      errorType: 'Runtime.ImportModuleError',
      errorMessage: expect.stringContaining('Cannot find module') as unknown,
    });
    // A failed init leaves no warm container behind: the next invocation loads again.
    await runner.invoke('esm', {});
    expect(runner.stats('esm')).toMatchObject({ invocations: 2, coldStarts: 2, errors: 2 });
  });

  test('a bundle without the handler export is Runtime.HandlerNotFound', async () => {
    runner.register('wrong-export', bundle('no-handler.js'));
    runner.register('right-export', bundle('no-handler.js', { handlerExport: 'main' }));

    expect(await runner.invoke('wrong-export', {})).toMatchObject({
      ok: false,
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'no-handler.handler is undefined or not exported',
    });
    expect(payloadOf(await runner.invoke('right-export', {}))).toBe('wrong export name');
  });

  test('a node binary that cannot start is Runtime.InvalidEntrypoint', async () => {
    runner.register('nowhere', bundle('succeed.js', { nodeBinary: fixture('no-such-node') }));

    expect(await runner.invoke('nowhere', {})).toMatchObject({
      ok: false,
      errorType: 'Runtime.InvalidEntrypoint',
      errorMessage: expect.stringContaining('ENOENT') as unknown,
    });
  });

  test('peak RSS of the containers is tracked', async () => {
    runner.register('echo', bundle('succeed.js'));

    await runner.invoke('echo', {});

    expect(runner.stats('echo').peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
  });

  test('close() fails what is running or queued and leaves no child process', async () => {
    runner.register('echo', bundle('succeed.js'));
    runner.register('slow', bundle('wait.js', { reservedConcurrency: 1 }));
    const warm = payloadOf<{ pid: number }>(await runner.invoke('echo', {}));
    const running = runner.invoke('slow', {});
    const queued = runner.invoke('slow', {});
    const busyPid = Number((await loggedLine('started pid=')).split('=')[1]);

    await runner.close();

    expect(await running).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    expect(await queued).toMatchObject({ ok: false, errorType: 'ServiceException' });
    expect(isRunning(warm.pid)).toBe(false);
    expect(isRunning(busyPid)).toBe(false);
    expect(runner.stats('slow')).toMatchObject({ invocations: 2, throttled: 1, coldStarts: 1 });
  });
});

/** Holds every request until `size` are in flight, then lets all through; records the most seen at once. */
class Barrier {
  private readonly held: ServerResponse[] = [];
  private open = false;
  private inFlight = 0;
  maxInFlight = 0;
  readonly server: Server;

  constructor(private readonly size: number) {
    this.server = createServer((_request, response) => {
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      response.on('finish', () => (this.inFlight -= 1));
      this.held.push(response);
      if (this.held.length >= this.size) this.open = true;
      if (this.open) for (const waiting of this.held.splice(0)) waiting.end('through');
    });
  }

  async url(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('LambdaRunner concurrency', () => {
  test('without reserved concurrency, invocations run in parallel, one container each', async () => {
    const barrier = new Barrier(3);
    try {
      const url = await barrier.url();
      runner.register('fan-out', bundle('barrier.js'));

      const results = await Promise.all([1, 2, 3].map(() => runner.invoke('fan-out', { url })));

      const pids = new Set(results.map((result) => payloadOf<{ pid: number }>(result).pid));
      expect(pids.size).toBe(3);
      expect(barrier.maxInFlight).toBe(3);
      expect(runner.stats('fan-out')).toMatchObject({
        invocations: 3,
        coldStarts: 3,
        throttled: 0,
      });
    } finally {
      await barrier.close();
    }
  });

  test('beyond reserved concurrency, invocations queue for a warm container', async () => {
    const barrier = new Barrier(2);
    try {
      const url = await barrier.url();
      runner.register('capped', bundle('barrier.js', { reservedConcurrency: 2 }));

      const results = await Promise.all(
        [1, 2, 3, 4, 5].map(() => runner.invoke('capped', { url })),
      );

      const pids = new Set(results.map((result) => payloadOf<{ pid: number }>(result).pid));
      expect(pids.size).toBe(2);
      expect(barrier.maxInFlight).toBe(2);
      expect(runner.stats('capped')).toMatchObject({
        invocations: 5,
        coldStarts: 2,
        throttled: 3,
        errors: 0,
      });
    } finally {
      await barrier.close();
    }
  });
});
