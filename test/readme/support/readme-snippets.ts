/** The README's shell snippets, found by the section and heading they are under. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const README_PATH = join(__dirname, '..', '..', '..', 'README.md');

/** A fenced `sh` block of the README. */
export interface ShellSnippet {
  /** The nearest heading above the block. */
  readonly heading: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
}

/** The README section `## title`, up to the next `## ` heading; an error when there is none. */
export function readmeSection(title: string, readme = readFileSync(README_PATH, 'utf8')): string {
  const lines = readme.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start === -1) throw new Error(`README.md has no "## ${title}" section`);
  const next = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  const offset = '\n'.repeat(start);
  return offset + lines.slice(start, next === -1 ? undefined : next).join('\n');
}

/**
 * Every ```sh block of `markdown`, in order (line numbers count from the start of the README
 * when `markdown` is a {@link readmeSection}).
 */
export function shellSnippets(markdown: string): ShellSnippet[] {
  const snippets: ShellSnippet[] = [];
  let heading = '';
  let open: { line: number; lines: string[] } | undefined;
  markdown.split('\n').forEach((line, index) => {
    if (open !== undefined) {
      if (line.trim() === '```') {
        snippets.push({ heading, line: open.line, code: `${open.lines.join('\n')}\n` });
        open = undefined;
      } else open.lines.push(line.replace(/^ {3}/, ''));
      return;
    }
    if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
    else if (/^\s*```sh\s*$/.test(line)) open = { line: index + 1, lines: [] };
  });
  return snippets;
}

/** What a snippet says a command prints: the text after `# → ` on its lines. */
export function expectedOutputs(code: string): string[] {
  return [...code.matchAll(/# → (.+)$/gm)].map((match) => match[1].trim());
}
