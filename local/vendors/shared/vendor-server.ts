/**
 * The HTTP plumbing both simulators share: routing, request ids, fault injection, the request
 * log and the `/_admin` interface. A vendor supplies only its routes, its handler and its wording.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../aws/types';
import { ADMIN_PREFIX, serveAdmin, type AdminRoute } from './admin-routes';
import type { FaultSpec } from '../types';
import type { FaultEngine } from './faults';
import { headerValue, jsonWire, writeWire, type WireResponse } from './http-io';
import { injectedResponse } from './injected-responses';
import type { RequestLog } from './request-log';
import { resolveRoute, type MethodRoute, type RouteResolution } from './route-pattern';

/** A vendor API request, as a simulator's handler sees it. */
export interface VendorRequest {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The request body as UTF-8 text ('' when none); capped at {@link MAX_VENDOR_BODY_BYTES}. */
  readonly body: string;
  readonly resolution: RouteResolution<MethodRoute>;
  /** The fault taken for this request, for the faults a vendor's handler applies itself. */
  readonly fault?: FaultSpec;
}

/** A vendor's JSON answer; `body: undefined` sends no body. */
export interface VendorResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** What makes a simulator a particular vendor. */
export interface VendorDialect {
  readonly routes: readonly MethodRoute[];
  handle(request: VendorRequest): VendorResponse | Promise<VendorResponse>;
  /** An error in the vendor's body shape (injected 5xx/429, crashes). */
  errorResponse(
    request: VendorRequest,
    status: number,
    message: string,
    retryAfterSeconds?: number,
  ): VendorResponse;
  /** Headers the vendor puts on every response. */
  commonHeaders(request: VendorRequest): Readonly<Record<string, string>>;
}

export interface VendorServerOptions {
  readonly host?: string;
  readonly port?: number;
  readonly clock: Clock;
  readonly dialect: VendorDialect;
  readonly faults: FaultEngine;
  readonly log: RequestLog;
  readonly adminRoutes: readonly AdminRoute[];
  /** Called once each request (vendor or admin) is answered, so state changes can be persisted. */
  readonly afterRequest?: () => void;
}

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Latency is wall-clock time (it is about sockets, not the simulated calendar). */
const DEFAULT_LATENCY_MS = 1000;

/** Bytes of a vendor request body kept for the handler; the rest is read and dropped. */
export const MAX_VENDOR_BODY_BYTES = 64 * 1024;

export async function startVendorServer(options: VendorServerOptions): Promise<RunningServer> {
  const { clock, dialect, faults, log, adminRoutes } = options;
  const pendingDelays = new Set<() => void>();

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        pendingDelays.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      pendingDelays.add(finish);
    });

  const toWire = (request: VendorRequest, response: VendorResponse): WireResponse =>
    jsonWire(response.status, response.body, {
      ...dialect.commonHeaders(request),
      ...response.headers,
    });

  const serveVendor = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const resolution = resolveRoute(dialect.routes, method, url.pathname);
    const pattern =
      resolution.kind === 'found'
        ? resolution.route.pattern
        : resolution.kind === 'method-not-allowed'
          ? resolution.pattern
          : undefined;
    // Faults and error wording never need the body; only the handler waits for it.
    const request: VendorRequest = {
      requestId: randomUUID(),
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: '',
      resolution,
    };
    const at = new Date(clock.now()).toISOString();
    const record = (status: number): void =>
      log.record({
        method,
        route: pattern ?? url.pathname,
        status,
        requestId: request.requestId,
        at,
      });
    const drop = (): void => {
      record(0);
      req.socket.destroy();
    };
    const errorWire = (status: number, message: string, retryAfterSeconds?: number): WireResponse =>
      toWire(request, dialect.errorResponse(request, status, message, retryAfterSeconds));

    // Reading starts at once, as resume() would, so a fault sees the same socket as before.
    const body = readBody(req);
    const fault = faults.take({ method, path: url.pathname, pattern });
    if (fault?.kind === 'reset') return drop();
    if (fault?.kind === 'latency') await delay(fault.latencyMs ?? DEFAULT_LATENCY_MS);
    const authorization = headerValue(req.headers, 'authorization');
    const injected =
      fault === undefined ? undefined : injectedResponse(fault, errorWire, authorization);
    if (injected !== undefined) {
      const withCommon = {
        ...injected,
        headers: withHeaders(dialect.commonHeaders(request), injected.headers),
      };
      return send(res, withCommon, record);
    }

    let wire: WireResponse;
    try {
      wire = toWire(request, await dialect.handle({ ...request, body: await body, fault }));
    } catch {
      wire = errorWire(500, 'Internal Server Error');
    }
    // The operation has taken effect; the caller never learns the outcome.
    if (fault?.kind === 'commit-then-drop') return drop();
    send(res, wire, record);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const served = url.pathname.startsWith(ADMIN_PREFIX)
      ? serveAdmin(adminRoutes, req, res, url.pathname)
      : serveVendor(req, res, url);
    served.catch(() => req.socket.destroy()).finally(() => options.afterRequest?.());
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const finish of [...pendingDelays]) finish();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

/** `base` with `extra` laid over it, names compared case-insensitively (one `X-Request-Id`). */
function withHeaders(
  base: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const replaced = new Set(Object.keys(extra).map((name) => name.toLowerCase()));
  const kept = Object.entries(base).filter(([name]) => !replaced.has(name.toLowerCase()));
  return { ...Object.fromEntries(kept), ...extra };
}

/** The body as text, up to {@link MAX_VENDOR_BODY_BYTES}; never rejects (a dropped socket ends it). */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_VENDOR_BODY_BYTES) chunks.push(chunk);
    });
    const done = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
  });
}

/** Writes unless the client already went away (then the request counts as dropped). */
function send(res: ServerResponse, wire: WireResponse, record: (status: number) => void): void {
  if (res.destroyed || res.socket === null || res.socket.destroyed) {
    record(0);
    return;
  }
  writeWire(res, wire);
  record(wire.status);
}
