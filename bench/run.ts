/**
 * `npm run bench [-- --quick] [-- --only coldStart,fleet]`: measures each figure of the
 * benchmark against its baseline, prints a table, and (full runs only) writes
 * bench/results.json and bench/RESULTS.md. Benchmarks report; they never fail on speed.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { appUnderLoad } from './app-under-load';
import { auditThroughput } from './audit';
import { callsPerRotation } from './calls-per-rotation';
import { coldStart } from './cold-start';
import { fleet } from './fleet';
import { describeMachine } from './machine';
import { memory } from './memory';
import { overhead } from './overhead';
import { reader } from './reader';
import { timeToRevoke } from './time-to-revoke';
import { renderTable, writeResultsJson, writeResultsMarkdown, type BenchRun } from './report';
import type { BenchOptions, FigureResult } from './types';

/** In the order, which is also the order they run and are reported in. */
const FIGURES: Readonly<Record<string, (options: BenchOptions) => Promise<FigureResult>>> = {
  coldStart,
  callsPerRotation,
  overhead,
  fleet,
  reader,
  auditThroughput,
  appUnderLoad,
  timeToRevoke,
  memory,
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
  });
  const selected = values.only === undefined ? Object.keys(FIGURES) : values.only.split(',');
  const unknown = selected.filter((id) => !(id in FIGURES));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown figure(s) ${unknown.join(', ')}; choose from ${Object.keys(FIGURES).join(', ')}.`,
    );
  }
  const options: BenchOptions = { quick: values.quick };
  const machine = describeMachine();
  const startedAt = new Date().toISOString();
  const figures: FigureResult[] = [];
  const errors: Record<string, string> = {};
  for (const id of selected) {
    process.stderr.write(`measuring ${id}…\n`);
    const started = performance.now();
    try {
      figures.push(await FIGURES[id](options));
    } catch (error) {
      errors[id] = error instanceof Error ? error.message : String(error);
    }
    process.stderr.write(`${id}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const flags = [values.quick ? '--quick' : '', values.only ? `--only ${values.only}` : ''].filter(
    Boolean,
  );
  const run: BenchRun = {
    startedAt,
    loadAverageAtEnd: loadavg()[0],
    command: ['npm run bench', ...(flags.length > 0 ? ['--', ...flags] : [])].join(' '),
    quick: values.quick,
    machine,
    figures,
    errors,
  };
  console.log(renderTable(run));
  // A full run writes its results even when a figure failed: the table says which and why.
  const complete = !values.quick && values.only === undefined;
  if (complete) {
    writeResultsJson(join(__dirname, 'results.json'), run);
    await writeResultsMarkdown(join(__dirname, 'RESULTS.md'), run);
    console.log('wrote bench/results.json and bench/RESULTS.md');
  } else {
    console.log('partial run: bench/results.json and bench/RESULTS.md left as they were');
  }
  if (Object.keys(errors).length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
