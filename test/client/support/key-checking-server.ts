import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly authorization: string | undefined;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

/** A vendor stand-in on 127.0.0.1 that accepts exactly one bearer key at a time. */
export interface KeyCheckingServer {
  readonly url: string;
  /** The only key answered with 200; any other gets 401. Change it to simulate a rotation. */
  acceptedKey: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1, port 0. It echoes the request body in a 200 answer. */
export async function startKeyCheckingServer(acceptedKey: string): Promise<KeyCheckingServer> {
  const requests: SeenRequest[] = [];
  const state = { acceptedKey };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const { method = '', headers } = req;
      requests.push({ method, authorization: headers.authorization, body, headers });
      const authorized = req.headers.authorization === `Bearer ${state.acceptedKey}`;
      res.writeHead(authorized ? 200 : 401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          authorized ? { ok: true, body } : { error: 'unauthorized', message: 'bad key' },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get acceptedKey() {
      return state.acceptedKey;
    },
    set acceptedKey(key: string) {
      state.acceptedKey = key;
    },
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
