import type { InputReader } from './input';

/** An AWS JSON operation: validated input in, JSON-serializable output out. */
export type OperationHandler = (input: InputReader) => unknown;

/** Operations of one service, keyed by operation name (the part after the target prefix). */
export type OperationTable = Readonly<Record<string, OperationHandler>>;
