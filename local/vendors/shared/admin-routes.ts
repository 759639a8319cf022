/** The `/_admin` HTTP interface: JSON in, JSON out, for tools outside the test process. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultKind, FaultSpec } from '../types';
import { SimulatorAdminError } from './admin-error';
import type { FaultEngine } from './faults';
import { jsonWire, readJsonObject, requireString, writeWire } from './http-io';
import type { KeyLedger } from './ledger';
import type { RequestLog } from './request-log';
import { resolveRoute, type MethodRoute } from './route-pattern';

export interface AdminRoute extends MethodRoute {
  /** Returns the JSON answer; undefined answers 204. */
  handle(params: Readonly<Record<string, string>>, body: Record<string, unknown>): unknown;
}

export const ADMIN_PREFIX = '/_admin/';

/** Admin routes both simulators offer. Key values travel in bodies only, never in URLs. */
export function commonAdminRoutes(state: {
  readonly ledger: KeyLedger;
  readonly faults: FaultEngine;
  readonly log: RequestLog;
}): AdminRoute[] {
  return [
    { method: 'GET', pattern: '/_admin/ledger', handle: () => state.ledger.entries() },
    { method: 'GET', pattern: '/_admin/requests', handle: () => state.log.entries() },
    { method: 'GET', pattern: '/_admin/route-counts', handle: () => state.log.routeCounts() },
    {
      method: 'POST',
      pattern: '/_admin/faults',
      handle: (_params, body) => {
        state.faults.inject(faultSpecFrom(body));
        return undefined;
      },
    },
    {
      method: 'DELETE',
      pattern: '/_admin/faults',
      handle: () => {
        state.faults.clear();
        return undefined;
      },
    },
    {
      method: 'POST',
      pattern: '/_admin/key-status',
      handle: (_params, body) => ({ status: state.ledger.statusOf(requireString(body, 'value')) }),
    },
    {
      // A revoked key that works again (a vendor fault, a restore): for audits that must notice.
      method: 'POST',
      pattern: '/_admin/revive-key',
      handle: (_params, body) => {
        if (!state.ledger.revive(requireString(body, 'value'))) {
          throw new SimulatorAdminError(404, 'No such key was issued.');
        }
        return undefined;
      },
    },
    {
      method: 'POST',
      pattern: '/_admin/is-issued-key',
      handle: (_params, body) => ({
        issued: state.ledger.isIssued(requireString(body, 'candidate')),
      }),
    },
  ];
}

/** Answers one `/_admin/...` request. */
export async function serveAdmin(
  routes: readonly AdminRoute[],
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  try {
    const body = await readJsonObject(req);
    const resolution = resolveRoute(routes, method, path);
    if (resolution.kind === 'not-found') {
      throw new SimulatorAdminError(404, `No admin route ${method} ${path}.`);
    }
    if (resolution.kind === 'method-not-allowed') {
      writeWire(
        res,
        jsonWire(405, { error: `Method ${method} not allowed on ${resolution.pattern}.` }),
      );
      return;
    }
    const answer = resolution.route.handle(resolution.match.params, body);
    writeWire(res, answer === undefined ? jsonWire(204, undefined) : jsonWire(200, answer));
  } catch (error: unknown) {
    const status = error instanceof SimulatorAdminError ? error.status : 400;
    const message = error instanceof Error ? error.message : 'Admin request failed.';
    writeWire(res, jsonWire(status, { error: message }));
  }
}

function faultSpecFrom(body: Record<string, unknown>): FaultSpec {
  const number = (field: string): number | undefined => {
    const value = body[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'number')
      throw new SimulatorAdminError(400, `Field "${field}" must be a number.`);
    return value;
  };
  const string = (field: string): string | undefined => {
    const value = body[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw new SimulatorAdminError(400, `Field "${field}" must be a string.`);
    return value;
  };
  const spec: FaultSpec = { kind: requireString(body, 'kind') as FaultKind };
  const optional = {
    method: string('method'),
    route: string('route'),
    location: string('location'),
    times: number('times'),
    latencyMs: number('latencyMs'),
    status: number('status'),
    retryAfterSeconds: number('retryAfterSeconds'),
  };
  for (const [field, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(spec, { [field]: value });
  }
  return spec;
}
