/**
 * The files `npm run local --state FILE` keeps beside FILE: the profiles a second shell uses, and
 * the ports the world listened on, so a restarted world answers at the same URLs (the secrets'
 * `baseUrl`s and the pasted `export` line stay right).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import type { LocalWorldUrls } from './world';

/** The ports of the three servers. */
export interface WorldPorts {
  readonly aws: number;
  readonly polytomic: number;
  readonly poelis: number;
}

/** A file beside the state file: `world.json` → `world.<suffix>`. */
function beside(statePath: string, suffix: string): string {
  return join(dirname(statePath), `${basename(statePath, extname(statePath))}.${suffix}`);
}

/**
 * Where the credentials file goes: beside the state file (kept), or in a new temporary folder
 * (removed when the world stops).
 *
 * @example
 * credentialsLocation('.local-state/world.json'); // { file: '.local-state/world.credentials', temporary: false }
 */
export function credentialsLocation(statePath: string | undefined): {
  file: string;
  temporary: boolean;
} {
  if (statePath === undefined) {
    const folder = mkdtempSync(join(tmpdir(), 'api-key-rotator-local-'));
    return { file: join(folder, 'credentials'), temporary: true };
  }
  mkdirSync(dirname(statePath), { recursive: true });
  return { file: beside(statePath, 'credentials'), temporary: false };
}

/** The ports the world kept last time, if it ran with this state file before. */
export function keptPorts(statePath: string): WorldPorts | undefined {
  const path = beside(statePath, 'ports.json');
  if (!existsSync(path)) return undefined;
  const ports = JSON.parse(readFileSync(path, 'utf8')) as Partial<
    Record<keyof WorldPorts, unknown>
  >;
  const valid = (port: unknown): port is number =>
    Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536;
  const { aws, polytomic, poelis } = ports;
  return valid(aws) && valid(polytomic) && valid(poelis) ? { aws, polytomic, poelis } : undefined;
}

/** Remembers the ports the world listens on, for the next start with this state file. */
export function keepPorts(statePath: string, urls: LocalWorldUrls): void {
  const port = (url: string): number => Number(new URL(url).port);
  const ports: WorldPorts = {
    aws: port(urls.aws),
    polytomic: port(urls.polytomic),
    poelis: port(urls.poelis),
  };
  writeFileSync(beside(statePath, 'ports.json'), `${JSON.stringify(ports)}\n`);
}
