/**
 * Invariant 4: no key value in any output. Collects everything a rotation says to the outside
 * world (log lines, EMF metric lines, error messages, SNS messages, CLI output, EventBridge
 * events) and finds any
 * key a vendor simulator issued in it, naming leaks by fingerprint only.
 */
import { fingerprint } from '../../lambda/shared/fingerprint';
import { keyShapedStrings, type SimulatorBase } from '../../local/vendors';

/** Where a piece of output came from, so a leak report says which channel leaked. */
export type OutputChannel = 'stdout' | 'log' | 'error' | 'sns' | 'cli' | 'event';

/** A vendor's key issuer: whether it issued a string, and which substrings look like its keys. */
export interface KeyIssuer extends Pick<SimulatorBase, 'isIssuedKey'> {
  /** @default the Polytomic and Poelis key shapes */
  keyShapedStrings?(text: string): string[];
}

export interface Leak {
  readonly channel: OutputChannel;
  readonly fingerprint: string;
}

export class LeakScanner {
  private readonly chunks: { channel: OutputChannel; text: string }[] = [];
  private restoreStreams: (() => void) | undefined;

  /**
   * `functionLog` receives the lines of functions run as bundles (the LambdaRunner's logSink)
   * as they are printed; they count as channel `log`.
   */
  constructor(
    private readonly simulators: readonly KeyIssuer[],
    private readonly functionLog: string[] = [],
  ) {}

  /** Records a piece of output. */
  add(channel: OutputChannel, text: string): void {
    this.chunks.push({ channel, text });
  }

  /** Records an error the way an operator sees it: its name and message. */
  addError(error: unknown): void {
    const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
    this.add('error', `${String(name)}: ${String(message ?? error)}`);
  }

  /**
   * Captures this process's stdout and stderr (Powertools logs and EMF metrics of handlers run
   * in-process) until `stopCapture`; the text is recorded, not printed.
   */
  captureProcessOutput(): void {
    if (this.restoreStreams !== undefined) return;
    const record = (chunk: string | Uint8Array): boolean => {
      this.add('stdout', typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    };
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(record),
      jest.spyOn(process.stderr, 'write').mockImplementation(record),
    ];
    this.restoreStreams = () => spies.forEach((spy) => spy.mockRestore());
  }

  stopCapture(): void {
    this.restoreStreams?.();
    this.restoreStreams = undefined;
  }

  /** All recorded output as one text. */
  text(): string {
    return this.allChunks()
      .map((chunk) => chunk.text)
      .join('\n');
  }

  /** Every recorded chunk of one channel. */
  textOf(channel: OutputChannel): string {
    return this.allChunks()
      .filter((chunk) => chunk.channel === channel)
      .map((chunk) => chunk.text)
      .join('\n');
  }

  private allChunks(): { channel: OutputChannel; text: string }[] {
    const log = this.functionLog.map((text) => ({ channel: 'log' as const, text }));
    return [...this.chunks, ...log];
  }

  /** Every key-shaped string the output contains (the invariant checker hashes them). */
  keyShapedOutput(): Set<string> {
    return new Set(this.candidates(this.text()));
  }

  /** Key-shaped substrings of `text`, in every shape a vendor under scan issues. */
  private candidates(text: string): string[] {
    const found = this.simulators.flatMap(
      (simulator) => simulator.keyShapedStrings?.(text) ?? keyShapedStrings(text),
    );
    return [...new Set(found)];
  }

  /** Keys issued by any simulator that appear in the output, by channel and fingerprint. */
  leaks(): Leak[] {
    const found = new Map<string, Leak>();
    for (const { channel, text } of this.allChunks()) {
      for (const candidate of this.candidates(text)) {
        if (!this.simulators.some((simulator) => simulator.isIssuedKey(candidate))) continue;
        const leak = { channel, fingerprint: fingerprint(candidate) };
        found.set(`${leak.channel}:${leak.fingerprint}`, leak);
      }
    }
    return [...found.values()];
  }

  /** Fails the test when any output holds an issued key; also checks that output was seen. */
  expectClean(): void {
    expect(this.allChunks().length).toBeGreaterThan(0);
    expect(this.leaks()).toEqual([]);
  }

  /** Forgets everything recorded so far (between independent cases). */
  reset(): void {
    this.chunks.length = 0;
    this.functionLog.length = 0;
  }
}
