import type { FaultKind, FaultSpec } from '../types';
import { matchPattern } from './route-pattern';

const FAULT_KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>([
  'latency',
  'status',
  'rate-limit',
  'reset',
  'commit-then-drop',
  'malformed-json',
  'html',
  'empty',
  'huge',
  'redirect',
  'reflect-auth',
  'issued-value',
]);

interface ArmedFault {
  readonly spec: FaultSpec;
  remaining: number;
}

/** Where a request is going, as far as fault matching is concerned. */
export interface FaultTarget {
  readonly method: string;
  readonly path: string;
  /** The route pattern the path resolved to, if any. */
  readonly pattern?: string;
}

/** Armed faults, consumed in the order they were injected; each hits `times` matching requests. */
export class FaultEngine {
  private armed: ArmedFault[] = [];

  inject(spec: FaultSpec): void {
    this.armed.push({ spec: validated(spec), remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.armed = [];
  }

  /** The fault to apply to this request, counting it as used; at most one per request. */
  take(target: FaultTarget): FaultSpec | undefined {
    const index = this.armed.findIndex((fault) => matches(fault.spec, target));
    if (index < 0) return undefined;
    const fault = this.armed[index];
    fault.remaining -= 1;
    if (fault.remaining === 0) this.armed.splice(index, 1);
    return fault.spec;
  }
}

function matches(spec: FaultSpec, target: FaultTarget): boolean {
  if (spec.method !== undefined && spec.method.toUpperCase() !== target.method) return false;
  if (spec.route === undefined) return true;
  return (
    spec.route === target.pattern ||
    spec.route === target.path ||
    matchPattern(spec.route, target.path) !== undefined
  );
}

function validated(spec: FaultSpec): FaultSpec {
  if (!FAULT_KINDS.has(spec.kind)) throw new Error(`Unknown fault kind "${String(spec.kind)}".`);
  const times = spec.times ?? 1;
  if (!Number.isInteger(times) || times < 1)
    throw new Error('Fault "times" must be an integer >= 1.');
  if (spec.latencyMs !== undefined && !(spec.latencyMs >= 0)) {
    throw new Error('Fault "latencyMs" must be >= 0.');
  }
  if (
    spec.status !== undefined &&
    !(Number.isInteger(spec.status) && spec.status >= 100 && spec.status <= 599)
  ) {
    throw new Error('Fault "status" must be an HTTP status code.');
  }
  if (spec.retryAfterSeconds !== undefined && !(spec.retryAfterSeconds >= 0)) {
    throw new Error('Fault "retryAfterSeconds" must be >= 0.');
  }
  if (spec.kind === 'issued-value' && (typeof spec.value !== 'string' || spec.value === '')) {
    throw new Error('Fault "issued-value" needs a non-empty "value".');
  }
  return { ...spec, ...(spec.method === undefined ? {} : { method: spec.method.toUpperCase() }) };
}
