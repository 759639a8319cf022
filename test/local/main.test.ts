/**
 * `npm run local`: the local world in the foreground, one JSON line of URLs, a clean exit on signals.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SUPPORTED_NODE, TSX_CLI } from '../support/supported-node';

const root = join(__dirname, '..', '..');

interface Session {
  roleArn: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

interface LocalUrls {
  aws: string;
  polytomic: string;
  poelis: string;
  stackName: string;
  rotationFunctionArn: string;
  secrets: Record<string, string>;
  sessions: { administrator: Session; operator: Session };
}

function startLocal(args: string[] = []): ChildProcessWithoutNullStreams {
  return spawn(SUPPORTED_NODE, [TSX_CLI, 'local/main.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
}

async function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return line;
}

async function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('npm run local', () => {
  test.each(['SIGINT', 'SIGTERM'] as const)(
    'prints the URLs as one JSON line, serves them, and exits 0 on %s',
    async (signal) => {
      const child = startLocal();
      try {
        const urls = JSON.parse(await firstLine(child)) as LocalUrls;
        for (const url of [urls.aws, urls.polytomic, urls.poelis]) {
          expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        }
        // config/local.json's stack, deployed: its function, its secrets, its people.
        expect(urls.stackName).toBe('ApiKeyRotator');
        expect(urls.rotationFunctionArn).toMatch(
          /^arn:aws:lambda:us-east-1:000000000000:function:ApiKeyRotator-RotationFunction/,
        );
        const secretArn = urls.secrets['api-key-rotator/poelis/production'];
        expect(secretArn).toMatch(/:secret:api-key-rotator\/poelis\/production-\w{6}$/);

        const asAdministrator = new SecretsManagerClient({
          endpoint: urls.aws,
          region: 'us-east-1',
          credentials: urls.sessions.administrator,
        });
        const described = await asAdministrator.send(
          new DescribeSecretCommand({ SecretId: secretArn }),
        );
        expect(described.RotationEnabled).toBe(true);
        await asAdministrator.send(
          new PutSecretValueCommand({ SecretId: secretArn, SecretString: '{"provider":"poelis"}' }),
        );
        // Authorization is on: the stack lets no administrator read a value.
        await expect(
          asAdministrator.send(new GetSecretValueCommand({ SecretId: secretArn })),
        ).rejects.toMatchObject({ name: 'AccessDeniedException' });
        asAdministrator.destroy();

        // A key nobody issued is refused, as AWS refuses one.
        const stranger = new SecretsManagerClient({
          endpoint: urls.aws,
          region: 'us-east-1',
          credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'unknown' },
        });
        await expect(
          stranger.send(new DescribeSecretCommand({ SecretId: secretArn })),
        ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
        stranger.destroy();

        const poelis = await fetch(`${urls.poelis}/v1/public/workspaces?limit=1`);
        expect(poelis.status).toBe(401);
        const polytomic = await fetch(`${urls.polytomic}/api/me`, {
          headers: { 'X-Polytomic-Version': '2025-09-18' },
        });
        expect(polytomic.status).toBe(401);
      } finally {
        child.kill(signal);
      }
      expect(await exitOf(child)).toBe(0);
    },
  );

  test('--port puts AWS, Polytomic and Poelis on three consecutive ports', async () => {
    const probe = startLocal();
    const free = new URL((JSON.parse(await firstLine(probe)) as LocalUrls).aws).port;
    probe.kill('SIGTERM');
    await exitOf(probe);

    const child = startLocal(['--port', free]);
    try {
      const urls = JSON.parse(await firstLine(child)) as LocalUrls;
      const base = Number(free);
      expect([urls.aws, urls.polytomic, urls.poelis].map((u) => Number(new URL(u).port))).toEqual([
        base,
        base + 1,
        base + 2,
      ]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exitOf(child)).toBe(0);
  });

  test('a bad --port is a clear error and a non-zero exit', async () => {
    const child = startLocal(['--port', 'eighty']);
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    expect(await exitOf(child)).toBe(1);
    expect(stderr.join('')).toContain('--port must be a port number');
  });
});
