/**
 * The operator's `rollback` and `report`, run as the CLI runs them (in process, signed as the
 * operator role of the README's policy): one rollback refused because the previous key is dead,
 * one accepted because the policy kept it live; then the evidence report of both secrets.
 */
import { Readable } from 'node:stream';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { CliDependencies } from '../cli/dependencies';
import type { ExitCode } from '../cli/exit-codes';
import { runCli } from '../cli/program';
import { readSecretMetadata } from '../lambda/aws/secret-metadata';
import { FunctionEnv, ROTATION_EVENT_SOURCE, RotationEventType } from '../lambda/shared/contracts';
import { emulatorRotationHistory } from '../local/aws/rotation-history';
import type { StoryContext } from './story-context';

/** One CLI run, as the story records it. */
export interface CliRunFact {
  readonly argv: readonly string[];
  readonly exitCode: ExitCode;
  /** What the CLI printed (stdout, then stderr); names keys by fingerprint only. */
  readonly output: string;
}

/** The rollback chapter's facts. */
export interface RollbackFact {
  readonly refused: CliRunFact & { readonly secret: string };
  readonly accepted: CliRunFact & {
    readonly secret: string;
    /** Rollback events the bus received for that secret. */
    readonly events: number;
  };
  /** Whether the Poelis policy keeps the previous key (then the rollback must be accepted). */
  readonly acceptExpected: boolean;
  /** `report` in Markdown on both secrets, as the README shows it. */
  readonly report: CliRunFact;
  /** The ids these commands print, none a key: both secrets' version ids and the events' ids. */
  readonly printedIds: readonly string[];
}

/** Runs one command line as the operator, with its output captured. */
async function runAsOperator(context: StoryContext, argv: readonly string[]): Promise<CliRunFact> {
  const { demo } = context;
  const written: string[] = [];
  const stream = { write: (text: string): boolean => written.push(text) > 0, isTTY: false };
  const events = new EventBridgeClient({
    endpoint: demo.world.urls.aws,
    region: demo.world.aws.region,
    credentials: demo.stack.credentialsFor(demo.roleArns.operator, 'operator'),
  });
  const deps: CliDependencies = {
    io: {
      stdin: Object.assign(Readable.from(['']), { isTTY: false }),
      stdout: stream,
      stderr: stream,
    },
    env: demo.world.rotationEnvironment({ [FunctionEnv.ExpectedKmsKeyArn]: demo.stack.kmsKeyArn }),
    secretsManager: demo.principals.operator.secrets,
    kms: demo.principals.operator.kms,
    events,
    vendorHttp: () => context.http,
    history: emulatorRotationHistory(demo.world.urls.aws),
    now: () => demo.clock.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  try {
    const exitCode = await runCli(argv, deps);
    return { argv, exitCode, output: written.join('') };
  } finally {
    events.destroy();
  }
}

/** The chapter: a refused rollback, an accepted one, and the report. */
export async function rollbackChapter(context: StoryContext): Promise<RollbackFact> {
  const { demo, narrator } = context;
  const refused = await runAsOperator(context, ['rollback', demo.polytomic.name, '--yes']);
  narrator.line(
    refused.exitCode === 1 ? 'ok' : 'fail',
    `rollback ${demo.polytomic.name}: refused (exit ${refused.exitCode}), ${firstLine(refused.output, 'rejects the previous key')}`,
  );
  const before = rollbackEvents(context, demo.poelis.arn);
  const accepted = await runAsOperator(context, ['rollback', demo.poelis.name, '--yes']);
  const events = rollbackEvents(context, demo.poelis.arn) - before;
  narrator.line(
    accepted.exitCode === 0 ? 'ok' : 'fail',
    `rollback ${demo.poelis.name}: ${firstLine(accepted.output, 'Rolled back')} (exit ${accepted.exitCode}); ${events} "${RotationEventType.KeyRolledBack}" event(s) on the bus; the audit of the result passes`,
  );
  const report = await runAsOperator(context, [
    'report',
    demo.polytomic.name,
    demo.poelis.name,
    '--since',
    '90d',
  ]);
  narrator.line(
    report.exitCode === 0 ? 'ok' : 'fail',
    `report (Markdown for a ticket): ${report.output.split('\n').length} lines, exit ${report.exitCode}`,
  );
  const printedIds = context.demo.world.aws.events
    .received({ source: ROTATION_EVENT_SOURCE })
    .map((event) => event.id);
  for (const secretArn of [demo.polytomic.arn, demo.poelis.arn]) {
    // The audit's read-only role lists deprecated versions too.
    const metadata = await readSecretMetadata(demo.principals.auditor.secrets, secretArn, {
      versions: 'all',
    });
    printedIds.push(...metadata.versions.map((version) => version.versionId));
  }
  return {
    printedIds,
    refused: { ...refused, secret: demo.polytomic.name },
    accepted: { ...accepted, secret: demo.poelis.name, events },
    acceptExpected: demo.poelis.revokePolicy === 'next-rotation',
    report,
  };
}

function rollbackEvents(context: StoryContext, secretArn: string): number {
  return context.demo.world.aws.events
    .received({ source: ROTATION_EVENT_SOURCE, detailType: RotationEventType.KeyRolledBack })
    .filter((event) => event.detail.secretArn === secretArn).length;
}

function firstLine(output: string, containing: string): string {
  return (
    output
      .split('\n')
      .find((line) => line.includes(containing))
      ?.trim() ?? '(no such line)'
  );
}
