/** Operator input: keys typed on a terminal are read with echo off; confirmations are y/N. */
import { Readable } from 'node:stream';
import { confirm, readSecretLine, type CliIo, type InputStream } from '../../cli/io';

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
