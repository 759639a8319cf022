/**
 * How the story is told: coloured lines with a progress indicator for people, or a single JSON
 * summary for machines (`--json`). The story calls the same methods either way.
 */
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

  constructor(
    output: RecordingOutput,
    private readonly colors: Colors,
  ) {
    this.spinner = new Spinner(output, colors);
  }

  chapter(title: string): void {
    this.chapters += 1;
    this.spinner.print(`\n${this.colors.bold(`${this.chapters}. ${title}`)}`);
  }

  line(kind: LineKind, text: string): void {
    const indent = kind === 'step' ? '    ' : '  ';
    this.spinner.print(`${indent}${MARKS[kind](this.colors)} ${text}`);
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
      const steps = rotation.steps.map((s) => s.durationMs).join('/');
      this.line(
        rotation.outcome === 'succeeded' ? 'ok' : 'fail',
        `${rotation.trigger} rotation of ${rotation.secret}: ${rotation.outcome} in ${rotation.durationMs} ms (steps ${steps} ms)`,
      );
    }
    this.line(
      calls.failed === 0 ? 'ok' : 'fail',
      `app calls: ${calls.total} made, ${calls.failed} failed, ${calls.recoveredAfter401} recovered after a 401`,
    );
    const dead = summary.oldKeysDead.filter((key) => key.status === 401).length;
    this.line(
      dead === summary.oldKeysDead.length ? 'ok' : 'fail',
      `old keys dead: ${dead} of ${summary.oldKeysDead.length}`,
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
      `audit: ${passed} of ${summary.audit.length} checks pass`,
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
 * Prints nothing but the summary, as one JSON line: `npm start -- --json | tail -n 1` gets it
 * even after what `npm run bundle` prints first.
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
