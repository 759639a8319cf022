/**
 * The chapters after the rotations: a consumer hears of one on the event bus, and the operator
 * rolls back (refused once, accepted once) and reports the evidence.
 */
import { consumerHearsRotation, type ConsumerFact } from './event-consumer';
import { makeOperatorReader } from './operator-reader';
import { rollbackChapter, type RollbackFact } from './rollback';
import type { StoryContext } from './story-context';

/** What the after-rotation chapters showed. */
export interface AfterRotationFact {
  readonly consumer: ConsumerFact;
  readonly rollback: RollbackFact;
}

/** Tells both chapters, in order. */
export async function afterRotationChapters(context: StoryContext): Promise<AfterRotationFact> {
  context.narrator.chapter('A consumer hears the rotation on the event bus');
  const consumer = await consumerHearsRotation(context);
  context.narrator.chapter('The operator rolls back (refused once, accepted once) and reports');
  await makeOperatorReader(context);
  const rollback = await rollbackChapter(context);
  return { consumer, rollback };
}

/**
 * Each after-rotation fact that does not hold.
 *
 * @example
 * ```ts
 * failures.push(...afterRotationFailures(facts.afterRotation));
 * ```
 */
export function afterRotationFailures(fact: AfterRotationFact | undefined): string[] {
  // Summaries built without these chapters (facts tests) have nothing to check here.
  if (fact === undefined) return [];
  const failures: string[] = [];
  const { consumer, rollback } = fact;
  if (consumer.heard === null) failures.push('no rotation event reached the consumer');
  else if (consumer.versionAfterRefresh !== consumer.heard.rotationId) {
    failures.push('the consumer did not hold the rotated version after the event');
  }
  if (consumer.firstCallStatus !== 200 || consumer.unauthorizedCalls > 0) {
    failures.push(
      `the consumer's first call answered ${consumer.firstCallStatus} after ${consumer.unauthorizedCalls} 401(s)`,
    );
  }
  if (rollback.refused.exitCode !== 1) {
    failures.push(
      `rollback of ${rollback.refused.secret} exited ${rollback.refused.exitCode}, not refused`,
    );
  }
  if (
    rollback.acceptExpected &&
    (rollback.accepted.exitCode !== 0 || rollback.accepted.events !== 1)
  ) {
    failures.push(
      `rollback of ${rollback.accepted.secret} exited ${rollback.accepted.exitCode} with ${rollback.accepted.events} event(s)`,
    );
  }
  if (rollback.report.exitCode !== 0) {
    failures.push(`report exited ${rollback.report.exitCode}`);
  }
  return failures;
}
