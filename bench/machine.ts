/** The machine a run measured on: results from different machines are not comparable. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  readonly os: string;
  /** 1-minute load average when the run started: other work on the machine skews timings. */
  readonly loadAverageAtStart: number;
}

export function describeMachine(): MachineDescription {
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    os: `${process.platform} ${release()}`,
    loadAverageAtStart: loadavg()[0],
  };
}

/** The `model name` line of /proc/cpuinfo, or what Node reports where there is none. */
function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('model name'));
    const model = line?.split(':')[1]?.trim();
    if (model) return model;
  } catch {
    // Not Linux: fall through to os.cpus().
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function formatMachine(machine: MachineDescription): string {
  const memoryGiB = (machine.memoryBytes / 1024 ** 3).toFixed(1);
  return `${machine.cpuModel}, ${machine.cores} cores, ${memoryGiB} GiB RAM, Node ${machine.node}, ${machine.os}, load average ${machine.loadAverageAtStart.toFixed(2)} at start`;
}
