import { randomUUID } from 'node:crypto';
import type { Clock, FunctionInvoker, InvokeResult, RotationEvent } from './types';
import type { SecretsStore, StoredSecret } from './secrets';
import { AWSCURRENT, AWSPENDING, findByLabel } from './staging';
import { nextRotationWindow } from './schedule';
import { AwsError } from './errors';

export interface StepRecord {
  step: RotationEvent['Step'];
  ok: boolean;
  errorType?: string;
  errorMessage?: string;
  startedAt: string;
  durationMs: number;
}

export interface RotationRecord {
  secretArn: string;
  token: string;
  trigger: 'api' | 'schedule';
  startedAt: string;
  steps: StepRecord[];
  outcome: 'running' | 'succeeded' | 'failed';
}

export interface RotationRequest {
  trigger: 'api' | 'schedule';
  /** The ClientRequestToken that becomes the pending version's id. */
  token?: string;
  /** False runs only testSecret, as RotateSecret's RotateImmediately=false does. */
  rotateImmediately: boolean;
}

const ALL_STEPS: readonly RotationEvent['Step'][] = [
  'createSecret',
  'setSecret',
  'testSecret',
  'finishSecret',
];

/** What AWS reports when Secrets Manager cannot call the rotation function. */
export const CANNOT_INVOKE: Pick<InvokeResult, 'errorType' | 'errorMessage'> = {
  errorType: 'AccessDeniedException',
  errorMessage:
    'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.',
};

const PREVIOUS_ROTATION_INCOMPLETE =
  "A previous rotation isn't complete. That rotation will be reattempted.";

/** A finished rotation, as Secrets Manager reports it (`RotationSucceeded`, `RotationFailed`, …). */
export interface RotationOutcome {
  readonly secretArn: string;
  readonly eventName:
    'RotationSucceeded' | 'RotationFailed' | 'TestRotationSucceeded' | 'TestRotationFailed';
  /** The failed step's error, for failures. */
  readonly errorMessage?: string;
}

/** Runs rotations: creates the pending version, then calls the function for each step in the background. */
export class RotationOrchestrator {
  private readonly history: RotationRecord[] = [];
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly store: SecretsStore,
    private readonly clock: Clock,
    private invoker: FunctionInvoker | undefined,
    private readonly onChange: () => void,
    /** Told each rotation's outcome, as Secrets Manager reports it to CloudTrail/EventBridge. */
    private readonly onOutcome?: (outcome: RotationOutcome) => void,
  ) {}

  setInvoker(invoker: FunctionInvoker): void {
    this.invoker = invoker;
  }

  isRunning(secretArn: string): boolean {
    return this.running.has(secretArn);
  }

  /** The version a failed rotation left under AWSPENDING, if any (pending on AWSCURRENT is a finished one). */
  stuckPendingVersionId(secret: StoredSecret): string | undefined {
    const pending = findByLabel(secret.versions, AWSPENDING);
    return pending && pending !== findByLabel(secret.versions, AWSCURRENT)
      ? pending.versionId
      : undefined;
  }

  /** RotateSecret is refused while a rotation runs or a failed one left its AWSPENDING version. */
  assertNoIncompleteRotation(secret: StoredSecret): void {
    if (this.isRunning(secret.arn) || this.stuckPendingVersionId(secret) !== undefined) {
      throw new AwsError('InvalidRequestException', PREVIOUS_ROTATION_INCOMPLETE);
    }
  }

  /**
   * Starts a rotation and returns its token at once; the steps run in the background.
   * An API call is refused while a previous rotation is incomplete; the scheduler instead
   * reattempts that rotation with its pending version.
   */
  start(secret: StoredSecret, request: RotationRequest): string {
    if (request.trigger === 'api') this.assertNoIncompleteRotation(secret);
    if (this.isRunning(secret.arn))
      throw new AwsError('InvalidRequestException', PREVIOUS_ROTATION_INCOMPLETE);
    const stuck = this.stuckPendingVersionId(secret);
    const lambdaArn = secret.rotationLambdaArn;
    if (lambdaArn === undefined) {
      throw new AwsError(
        'InvalidRequestException',
        'No Lambda rotation function ARN is associated with this secret.',
      );
    }
    const token = stuck ?? request.token ?? randomUUID();
    if (stuck === undefined) {
      if (this.store.version(secret, token)) {
        throw new AwsError(
          'ResourceExistsException',
          `A version with the ClientRequestToken ${token} already exists for this secret.`,
        );
      }
      this.store.addPendingVersion(secret, token, AWSPENDING);
    }
    const rotationToken = randomUUID();
    this.store.issueRotationToken(secret, rotationToken);
    const record: RotationRecord = {
      secretArn: secret.arn,
      token,
      trigger: request.trigger,
      startedAt: new Date(this.clock.now()).toISOString(),
      steps: [],
      outcome: 'running',
    };
    this.history.push(record);
    const steps = request.rotateImmediately ? ALL_STEPS : (['testSecret'] as const);
    const run = this.runSteps(
      secret,
      lambdaArn,
      record,
      rotationToken,
      steps,
      request.rotateImmediately,
    )
      .catch(() => {
        record.outcome = 'failed';
      })
      .finally(() => {
        this.running.delete(secret.arn);
        this.onChange();
        this.reportOutcome(record, request.rotateImmediately);
      });
    this.running.set(secret.arn, run);
    return token;
  }

  private async runSteps(
    secret: StoredSecret,
    lambdaArn: string,
    record: RotationRecord,
    rotationToken: string,
    steps: readonly RotationEvent['Step'][],
    rotateImmediately: boolean,
  ): Promise<void> {
    // Yield first so RotateSecret answers before the function is called, as with AWS.
    await Promise.resolve();
    try {
      const ok = await this.invokeSteps(secret, lambdaArn, record, rotationToken, steps);
      record.outcome = ok ? 'succeeded' : 'failed';
    } finally {
      // The configuration test (RotateImmediately=false) removes the version it created.
      const version = this.store.version(secret, record.token);
      if (!rotateImmediately && version && !version.value) {
        this.store.removeVersion(secret, record.token);
      }
    }
    if (record.outcome === 'succeeded' && rotateImmediately) {
      // Secrets Manager itself clears AWSPENDING from the promoted version once the rotation completes.
      const promoted = this.store.version(secret, record.token);
      if (promoted?.stages.includes(AWSCURRENT)) {
        promoted.stages = promoted.stages.filter((stage) => stage !== AWSPENDING);
      }
      secret.lastRotatedDate = this.clock.now();
      this.store.touch(secret);
      if (secret.rotationRules) {
        secret.nextRotation = nextRotationWindow(secret.rotationRules, secret.lastRotatedDate);
      }
    }
  }

  private reportOutcome(record: RotationRecord, rotateImmediately: boolean): void {
    if (!this.onOutcome) return;
    const failed = record.outcome !== 'succeeded';
    const lastStep = record.steps.at(-1);
    this.onOutcome({
      secretArn: record.secretArn,
      eventName: rotateImmediately
        ? failed
          ? 'RotationFailed'
          : 'RotationSucceeded'
        : failed
          ? 'TestRotationFailed'
          : 'TestRotationSucceeded',
      ...(failed && lastStep
        ? { errorMessage: `${lastStep.step} failed: ${lastStep.errorType ?? 'Error'}` }
        : {}),
    });
  }

  /** Invokes the steps in order, recording each; stops at the first failure and returns false. */
  private async invokeSteps(
    secret: StoredSecret,
    lambdaArn: string,
    record: RotationRecord,
    rotationToken: string,
    steps: readonly RotationEvent['Step'][],
  ): Promise<boolean> {
    for (const step of steps) {
      const event: RotationEvent = {
        Step: step,
        SecretId: secret.arn,
        ClientRequestToken: record.token,
        RotationToken: rotationToken,
      };
      const startedAt = this.clock.now();
      const result = await this.invoke(lambdaArn, event);
      record.steps.push({
        step,
        ok: result.ok,
        errorType: result.ok ? undefined : result.errorType,
        errorMessage: result.ok ? undefined : result.errorMessage,
        startedAt: new Date(startedAt).toISOString(),
        durationMs: result.durationMs,
      });
      if (!result.ok) return false;
    }
    return true;
  }

  private async invoke(lambdaArn: string, event: RotationEvent): Promise<InvokeResult> {
    if (!this.invoker) return { ok: false, durationMs: 0, ...CANNOT_INVOKE };
    try {
      return await this.invoker.invoke(lambdaArn, event);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return { ok: false, durationMs: 0, errorType: failure.name, errorMessage: failure.message };
    }
  }

  /** Resolves when no rotation (of `secretArn`, when given) is running, including ones started meanwhile. */
  async waitFor(secretArn?: string): Promise<void> {
    for (;;) {
      const pending = [...this.running.entries()]
        .filter(([arn]) => secretArn === undefined || arn === secretArn)
        .map(([, run]) => run);
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
    }
  }

  records(secretArn?: string): RotationRecord[] {
    return this.history
      .filter((record) => secretArn === undefined || record.secretArn === secretArn)
      .map((record) => structuredClone(record));
  }
}
