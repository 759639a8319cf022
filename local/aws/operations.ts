import type { InputReader } from './input';
import type { Principal } from './authorization';

/** Who sent a request, as the emulator resolved it from the request's credentials. */
export interface Caller {
  readonly principal: Principal;
}

/** An AWS JSON operation: validated input in, JSON-serializable output (or its promise) out. */
export type OperationHandler = (input: InputReader, caller: Caller) => unknown;

/** Operations of one service, keyed by operation name (the part after the target prefix). */
export type OperationTable = Readonly<Record<string, OperationHandler>>;
