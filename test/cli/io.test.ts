/** Operator input: keys typed on a terminal are read with echo off; confirmations are y/N. */
import { Readable } from 'node:stream';
import { createColors } from 'picocolors';
import { confirm, readSecretLine, type CliIo, type InputStream } from '../../cli/io';
import { outputWidth, renderFitted, wrapText } from '../../cli/output';

function terminal(chunks: string[]): InputStream & { rawModes: boolean[] } {
  const rawModes: boolean[] = [];
  return Object.assign(Readable.from(chunks), {
    isTTY: true,
    rawModes,
    setRawMode: (mode: boolean) => rawModes.push(mode),
  });
}

describe('readSecretLine', () => {
  it('turns echo off on a terminal, applies backspace, stops at Enter and restores the mode', async () => {
    const stdin = terminal(['poelis_api_ab', 'x\u007fc\rignored']);
    await expect(readSecretLine(stdin)).resolves.toBe('poelis_api_abc');
    expect(stdin.rawModes).toEqual([true, false]);
  });

  it('returns undefined when the operator presses Ctrl-C, and still restores the mode', async () => {
    const stdin = terminal(['poelis', '\u0003']);
    await expect(readSecretLine(stdin)).resolves.toBeUndefined();
    expect(stdin.rawModes).toEqual([true, false]);
  });

  it('reads the first line of piped input', async () => {
    await expect(readSecretLine(Readable.from(['key-1\r\nkey-2\n']))).resolves.toBe('key-1');
    await expect(readSecretLine(Readable.from(['no newline']))).resolves.toBe('no newline');
  });
});

describe('confirm', () => {
  it.each([
    ['y\n', true],
    ['YES\n', true],
    ['\n', false],
    ['n\n', false],
    ['yep\n', false],
  ])('answer %j confirms: %s', async (answer, expected) => {
    const prompts: string[] = [];
    const io: CliIo = {
      stdin: Readable.from([answer]),
      stdout: { write: () => true },
      stderr: { write: (text: string) => prompts.push(text) },
    };
    await expect(confirm(io, 'Proceed?')).resolves.toBe(expected);
    expect(prompts).toEqual(['Proceed? [y/N] ']);
  });
});

describe('output that fits the terminal', () => {
  const plain = createColors(false);
  const head = ['Secret', 'Provider', 'Stuck pending'];
  const rows = [['prod/poelis', 'poelis', 'b629a587-8b9b-4df7-a0f1-d98f2e1911b5']];

  it('lays out for the terminal, else COLUMNS, else 80 columns', () => {
    const write = (): boolean => true;
    expect(outputWidth({ write, isTTY: true, columns: 120 }, { COLUMNS: '60' })).toBe(120);
    expect(outputWidth({ write }, { COLUMNS: '60' })).toBe(60);
    expect(outputWidth({ write }, { COLUMNS: 'wide' })).toBe(80);
    expect(outputWidth({ write }, {})).toBe(80);
  });

  it('prints a table when it fits, one block per row when it does not', () => {
    expect(renderFitted(head, rows, plain, 200)).toContain('┌');
    const narrow = renderFitted(head, rows, plain, 40);
    expect(narrow.split('\n')).toEqual([
      'prod/poelis',
      '  Provider       poelis',
      '  Stuck pending  b629a587-8b9b-4df7-a0f1-d98f2e1911b5',
      '',
    ]);
  });

  it('wraps at spaces and never cuts a word, however long', () => {
    const command =
      'api-key-rotator recover arn:aws:secretsmanager:us-east-1:111122223333:secret:x';
    const lines = wrapText(`Clear it with ${command} now`, 20);
    expect(lines).toEqual([
      'Clear it with',
      'api-key-rotator',
      'recover',
      command.split(' ')[2],
      'now',
    ]);
    expect(lines.join(' ')).toBe(`Clear it with ${command} now`);
  });

  it('keeps a cell painted in one colour painted on each of its lines', () => {
    const red = createColors(true).red;
    expect(wrapText(red('one two three'), 8)).toEqual([red('one two'), red('three')]);
  });
});
