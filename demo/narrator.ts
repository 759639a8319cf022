/**
 * How the story is told: coloured lines with a progress indicator for people, or a single JSON
 * summary for machines (`--json`). The story calls the same methods either way.
 */
import { wrapText } from '../cli/output';
import type { StorySummary } from './summary';
import { Spinner, type Colors, type RecordingOutput } from './terminal';

export type LineKind = 'ok' | 'fail' | 'info' | 'step';

/** What a running task may report while its progress indicator spins. */
export interface TaskProgress {
  /** What the task is doing now (shown beside the spinner). */
  update(text: string): void;
  /** A permanent line printed while the task runs. */
  line(kind: LineKind, text: string): void;
}

export interface Narrator {
  chapter(title: string): void;
  line(kind: LineKind, text: string): void;
  /** Runs `work` under a progress indicator; prints `done(result)` when it succeeds. */
  task<T>(
    label: string,
    work: (progress: TaskProgress) => Promise<T>,
    done: (result: T) => string,
  ): Promise<T>;
  finish(summary: StorySummary): void;
}

const MARKS: Record<LineKind, (colors: Colors) => string> = {
  ok: (c) => c.green('✔'),
  fail: (c) => c.red('✖'),
  info: (c) => c.dim('•'),
  step: (c) => c.cyan('›'),
};

/** Chapters, ticks and crosses, a spinner per task. */
export class HumanNarrator implements Narrator {
  private readonly spinner: Spinner;
  private chapters = 0;

  /** @param width columns to wrap lines at (a terminal's width, or COLUMNS); none: no wrapping. */
  constructor(
    output: RecordingOutput,
    private readonly colors: Colors,
    private readonly width?: number,
  ) {
    this.spinner = new Spinner(output, colors);
  }

  chapter(title: string): void {
    this.chapters += 1;
    this.spinner.print(`\n${this.colors.bold(`${this.chapters}. ${title}`)}`);
  }

  line(kind: LineKind, text: string): void {
    const indent = kind === 'step' ? '    ' : '  ';
    // Wrapped lines hang under the text, past the mark; a long word (an ARN) is never cut.
    const lines =
      this.width === undefined
        ? [text]
        : wrapText(text, Math.max(20, this.width - indent.length - 2));
    const mark = MARKS[kind](this.colors);
    this.spinner.print(
      lines.map((line, index) => `${indent}${index === 0 ? mark : ' '} ${line}`).join('\n'),
    );
  }

  async task<T>(
    label: string,
    work: (progress: TaskProgress) => Promise<T>,
    done: (result: T) => string,
  ): Promise<T> {
    this.spinner.start(label);
    const progress: TaskProgress = {
      update: (text) => this.spinner.update(`${label} ${this.colors.dim(text)}`),
      line: (kind, text) => this.line(kind, text),
    };
    try {
      const result = await work(progress);
      this.spinner.stop();
      this.line('ok', done(result));
      return result;
    } catch (error) {
      this.spinner.stop();
      this.line('fail', label);
      throw error;
    }
  }

  finish(summary: StorySummary): void {
    const c = this.colors;
    const calls = summary.appCalls;
    this.chapter('Summary');
    for (const rotation of summary.rotations) {
      // Only the rotation revokes a minted key; a person revokes a staged one.
      const replaced =
        rotation.previousKeyStatus === 401
          ? 'old key dead (401)'
          : `old key live (${rotation.previousKeyStatus})${rotation.trigger === 'assisted' ? ' until a person revokes it' : ''}`;
      this.line(
        rotation.outcome === 'succeeded' ? 'ok' : 'fail',
        `${rotation.trigger} rotation of ${rotation.secret}: ${rotation.previousKey.fingerprint} → ${rotation.currentKey.fingerprint}, ${replaced}, ${rotation.outcome} in ${rotation.durationMs} ms`,
      );
    }
    this.line(
      calls.failed === 0 ? 'ok' : 'fail',
      `app calls: ${calls.total} made, ${calls.failed} failed; ${calls.recoveredAfter401} met a revoked key (401) and succeeded on their one retry`,
    );
    const dead = summary.oldKeysDead.filter((key) => key.status === 401);
    this.line(
      dead.length === summary.oldKeysDead.length ? 'ok' : 'fail',
      `old keys answering 401: ${dead.length} of ${summary.oldKeysDead.length} (${summary.oldKeysDead.map((key) => key.fingerprint).join(', ')})`,
    );
    const kept = summary.oldKeysKept.filter((key) => key.status === 200).length;
    if (summary.oldKeysKept.length > 0) {
      this.line(
        kept === summary.oldKeysKept.length ? 'ok' : 'fail',
        `old keys kept live by next-rotation: ${kept} of ${summary.oldKeysKept.length}`,
      );
    }
    const alarm = summary.revocationAlarm;
    this.line(
      alarm?.notified === true ? 'ok' : 'fail',
      alarm === undefined
        ? 'no alarm on ManualRevocationRequired'
        : `alarm ${alarm.alarmName}: ${alarm.state}, ${alarm.notified ? 'notified the topic' : 'the topic got nothing'}`,
    );
    this.line(
      summary.orphanLiveKeys.count === 0 ? 'ok' : 'fail',
      `orphan live keys: ${summary.orphanLiveKeys.count}`,
    );
    const passed = summary.audit.filter((f) => f.outcome === 'pass').length;
    this.line(
      passed === summary.audit.length ? 'ok' : 'fail',
      `audit: ${passed} of ${summary.audit.length} checks passed`,
    );
    const { authorization } = summary;
    this.line(
      authorization.unexpectedDenials.length === 0 ? 'ok' : 'fail',
      `authorization on: ${authorization.unexpectedDenials.length} unexpected denials, ${authorization.expectedDenials.length} expected; the operator's read of a value: ${authorization.operatorReadValue}`,
    );
    this.line(
      summary.leakCheck.issuedKeysFound === 0 ? 'ok' : 'fail',
      `no key value printed: ${summary.leakCheck.keyShapedStrings} key-shaped strings in the output, ${summary.leakCheck.issuedKeysFound} of them issued keys`,
    );
    const verdict = summary.ok
      ? c.green(c.bold(`The story holds (${(summary.durationMs / 1000).toFixed(1)} s).`))
      : c.red(c.bold(`The story failed: ${summary.failures.join('; ')}`));
    this.spinner.print(`\n${verdict}`);
  }
}

/**
 * Prints nothing but the summary, as one JSON line on stdout (the bundle step writes to stderr):
 * `npm -s start -- --json` is that line alone; without `-s`, npm's own "> script" banner precedes it.
 */
export class JsonNarrator implements Narrator {
  constructor(private readonly output: RecordingOutput) {}

  chapter(): void {}

  line(): void {}

  task<T>(_label: string, work: (progress: TaskProgress) => Promise<T>): Promise<T> {
    return work({ update: () => undefined, line: () => undefined });
  }

  finish(summary: StorySummary): void {
    this.output.write(`${JSON.stringify(summary)}\n`);
  }
}
