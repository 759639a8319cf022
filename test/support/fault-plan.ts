/**
 * One fault at one outbound call: how each fault kind is applied to an AWS call (at the SDK
 * boundary) or a vendor call (by the vendor simulator, through the real HTTP client).
 */
import type { FaultSpec } from '../../local/vendors';
import {
  awsFaultError,
  frozen,
  type CallInterceptor,
  type FaultKind,
  type OutboundCall,
} from './fault-injection';
import type { SafetyWorld, SecretUnderTest } from './safety-world';

/**
 * Hostile answers a vendor (or something in front of it) may give: an HTML error page, an empty
 * body, a body too large to read, a redirect elsewhere, a 403 from a proxy that is not the vendor.
 */
export const HOSTILE_ANSWERS = ['html', 'empty', 'huge', 'redirect', 'proxy-403'] as const;
export type HostileAnswer = (typeof HOSTILE_ANSWERS)[number];

/** What a plan does to one call: a fault of any call, or a hostile answer to a vendor call. */
export type PlannedFault = FaultKind | HostileAnswer;

/** A call of the rotation, as the recording run saw it. */
export interface CallPoint {
  readonly step: NonNullable<OutboundCall['step']>;
  readonly index: number;
  readonly service: OutboundCall['service'];
  readonly operation: string;
}

/** Vendor timeouts outlast the HTTP client's attempt timeout (SafetyWorld's attemptTimeoutMs). */
export const VENDOR_ATTEMPT_TIMEOUT_MS = 300;
const VENDOR_LATENCY_MS = 700;
/** Every attempt the HTTP client makes (its default maximum) meets the fault. */
const VENDOR_FAULT_TIMES = 4;

/** An interceptor that only records the calls of every invocation. */
export function recordingInterceptor(into: CallPoint[]): CallInterceptor {
  const seenInvocations = new Map<string, number>();
  return (call, proceed) => {
    if (call.step !== undefined) {
      const first = seenInvocations.get(call.step) ?? call.invocation;
      seenInvocations.set(call.step, first);
      if (first === call.invocation) {
        into.push({
          step: call.step,
          index: call.index,
          service: call.service,
          operation: call.operation,
        });
      }
    }
    return proceed();
  };
}

/** Fails the first call that matches `point` with `kind`; `fired()` tells whether it did. */
export function faultAt(
  sw: SafetyWorld,
  secret: SecretUnderTest,
  point: CallPoint,
  kind: PlannedFault,
): { interceptor: CallInterceptor; fired: () => boolean } {
  return faultWhere(
    sw,
    secret,
    kind,
    (call) =>
      call.step === point.step && call.index === point.index && call.operation === point.operation,
  );
}

/** Fails the first call of `operation` made by `step`, wherever it falls in the step. */
export function faultAtOperation(
  sw: SafetyWorld,
  secret: SecretUnderTest,
  step: CallPoint['step'],
  operation: string,
  kind: PlannedFault,
): { interceptor: CallInterceptor; fired: () => boolean } {
  return faultWhere(sw, secret, kind, (call) => call.step === step && call.operation === operation);
}

/** Fails the `n`th outbound call (from 0) made from now on, whatever it is. */
export function faultAtNthCall(
  sw: SafetyWorld,
  secret: SecretUnderTest,
  n: number,
  kind: PlannedFault,
): { interceptor: CallInterceptor; fired: () => boolean } {
  let seen = 0;
  return faultWhere(sw, secret, kind, () => seen++ === n);
}

function faultWhere(
  sw: SafetyWorld,
  secret: SecretUnderTest,
  kind: PlannedFault,
  matches: (call: OutboundCall) => boolean,
): { interceptor: CallInterceptor; fired: () => boolean } {
  let fired = false;
  const interceptor: CallInterceptor = async <T>(call: OutboundCall, proceed: () => Promise<T>) => {
    if (fired || !matches(call)) return proceed();
    fired = true;
    switch (kind) {
      case 'killed': {
        await proceed();
        sw.world.runner.kill(sw.functionName);
        return frozen<T>();
      }
      case 'kms-disabled':
        await sw.setKeyEnabled(secret, false);
        return proceed();
      default:
        if (isHostileAnswer(kind)) {
          if (call.service !== 'vendor') throw new Error(`${kind} only applies to vendor calls`);
          const simulator = sw.simulatorAt(call.origin ?? '');
          if (simulator === undefined) throw new Error(`no vendor simulator at ${call.origin}`);
          simulator.injectFault({ ...hostileAnswer(kind), method: call.method, route: call.path });
          return proceed();
        }
        if (call.service === 'vendor') {
          const simulator = sw.simulatorAt(call.origin ?? '');
          if (simulator === undefined) throw new Error(`no vendor simulator at ${call.origin}`);
          simulator.injectFault({ ...vendorFault(kind), method: call.method, route: call.path });
          return proceed();
        }
        if (kind === 'commit-then-drop') await proceed();
        throw awsFaultError(kind);
    }
  };
  return { interceptor, fired: () => fired };
}

function vendorFault(kind: Exclude<FaultKind, 'killed' | 'kms-disabled'>): FaultSpec {
  const times = VENDOR_FAULT_TIMES;
  switch (kind) {
    case 'timeout':
      return { kind: 'latency', latencyMs: VENDOR_LATENCY_MS, times };
    case '5xx':
      return { kind: 'status', status: 503, times };
    case '429':
      return { kind: 'rate-limit', retryAfterSeconds: 0, times };
    case 'reset':
      return { kind: 'reset', times };
    case 'commit-then-drop':
      return { kind: 'commit-then-drop', times };
    case 'malformed':
      return { kind: 'malformed-json', times };
  }
}

function isHostileAnswer(kind: PlannedFault): kind is HostileAnswer {
  return (HOSTILE_ANSWERS as readonly string[]).includes(kind);
}

function hostileAnswer(kind: HostileAnswer): FaultSpec {
  const times = VENDOR_FAULT_TIMES;
  switch (kind) {
    case 'html':
      return { kind: 'html', times };
    case 'empty':
      return { kind: 'empty', times };
    case 'huge':
      return { kind: 'huge', times };
    case 'redirect':
      return { kind: 'redirect', location: 'http://169.254.169.254/latest/meta-data/', times };
    case 'proxy-403':
      return { kind: 'status', status: 403, times };
  }
}
