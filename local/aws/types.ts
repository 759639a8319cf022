/** Contracts between the AWS emulator, the Lambda runner and the local world. */

/** The event Secrets Manager sends to a rotation function, one per step. */
export interface RotationEvent {
  Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
  SecretId: string;
  ClientRequestToken: string;
  RotationToken?: string;
}

/** The outcome of one function invocation, as the emulator sees it. */
export interface InvokeResult {
  ok: boolean;
  /** Set when !ok: the error's name (e.g. `Runtime.ExitError`, `Sandbox.Timedout`, or the thrown error's name). */
  errorType?: string;
  errorMessage?: string;
  durationMs: number;
  /** The returned payload, when ok. */
  payload?: unknown;
}

/** Anything that can run a Lambda function by ARN or name: the emulator calls this for rotations. */
export interface FunctionInvoker {
  invoke(functionArnOrName: string, event: unknown): Promise<InvokeResult>;
}

/** Time as the emulator and simulators see it; tests use a manual clock to move it forward. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to, starting at the real time unless given one. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: number = Date.now()) {
    this.current = start;
  }
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(epochMs: number): void {
    this.current = epochMs;
  }
}
