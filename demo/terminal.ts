/**
 * Where the demo writes: a stream that remembers everything written to it (the leak check scans
 * it), colours that are on only for a terminal, and a spinner that degrades to nothing off one.
 */
import { createColors } from 'picocolors';

/** picocolors' formatters (its type is not exported by name). */
export type Colors = ReturnType<typeof createColors>;

/** The part of a stream the demo writes to; `isTTY` decides colours and the spinner. */
export interface TextSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** A sink that keeps a copy of every character written through it. */
export class RecordingOutput {
  private readonly chunks: string[] = [];

  constructor(private readonly sink: TextSink) {}

  get isTTY(): boolean {
    return this.sink.isTTY === true;
  }

  write(text: string): void {
    this.chunks.push(text);
    this.sink.write(text);
  }

  /** Everything written so far. */
  recorded(): string {
    return this.chunks.join('');
  }
}

/** Colours for a terminal, unless NO_COLOR or --no-color says otherwise; plain text elsewhere. */
export function colorsFor(
  output: RecordingOutput,
  env: NodeJS.ProcessEnv,
  noColorFlag: boolean,
): Colors {
  const disabled = noColorFlag || (env.NO_COLOR ?? '') !== '';
  const forced = (env.FORCE_COLOR ?? '') !== '' && env.FORCE_COLOR !== '0';
  return createColors(!disabled && (output.isTTY || forced));
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 80;
const CLEAR_LINE = '\r\x1b[2K';

/**
 * One ticking line under the permanent output, redrawn in place. Off a terminal it draws
 * nothing: the permanent lines alone tell the story, as plain lines.
 */
export class Spinner {
  private text = '';
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly output: RecordingOutput,
    private readonly colors: Colors,
  ) {}

  start(text: string): void {
    this.text = text;
    if (!this.output.isTTY || this.timer !== undefined) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), FRAME_MS);
  }

  update(text: string): void {
    this.text = text;
  }

  /** Prints a permanent line, keeping the spinner below it. */
  print(line: string): void {
    if (this.timer !== undefined) this.output.write(CLEAR_LINE);
    this.output.write(`${line}\n`);
    if (this.timer !== undefined) this.draw();
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.output.write(CLEAR_LINE);
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.output.write(`${CLEAR_LINE}${this.colors.cyan(FRAMES[this.frame])} ${this.text}`);
  }
}
