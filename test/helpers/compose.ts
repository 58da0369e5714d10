import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../worker/paths.js';

/** A service of docker-compose.yml as `docker-compose config` prints it (interpolated, depends_on as a map). */
export interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: string[];
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  ports?: unknown[];
  volumes?: unknown[];
}

export const COMPOSE_FILE = path.join(PROJECT_ROOT, 'docker-compose.yml');
export const ENV_EXAMPLE_FILE = path.join(PROJECT_ROOT, '.env.example');

let emptyFile: string | undefined;

/** An empty env file of this process (Debian's docker-compose 1.29 takes no /dev/null). */
function emptyEnvFile(): string {
  if (emptyFile) return emptyFile;
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-env-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  emptyFile = path.join(dir, 'empty.env');
  writeFileSync(emptyFile, '');
  return emptyFile;
}

/**
 * The services as Debian's docker-compose parses and interpolates them; no Docker engine is needed. Only PATH and HOME
 * come from this process, and no .env unless `args` names one, so that neither the shell running the tests nor an .env
 * of the checkout changes what is checked.
 */
export function composeConfig(args: string[], env: NodeJS.ProcessEnv = {}): Record<string, Service> {
  const envFile = args.includes('--env-file') ? [] : ['--env-file', emptyEnvFile()];
  const result = spawnSync('docker-compose', ['-f', COMPOSE_FILE, ...envFile, ...args, 'config'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  assert.ok(!result.error, `docker-compose is not installed (apt-get install docker-compose): ${String(result.error)}`);
  assert.equal(result.status, 0, `docker-compose config failed:\n${result.stderr}`);
  return (parse(result.stdout) as { services: Record<string, Service> }).services;
}

/** The variables docker-compose.yml interpolates (`${NAME}`, `${NAME:-default}`), sorted. */
export function interpolatedVariables(): string[] {
  const compose = readFileSync(COMPOSE_FILE, 'utf8');
  return [...new Set([...compose.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)/g)].map(([, name]) => name!))].sort();
}

/** The `NAME=value` lines of .env.example, active or commented out (`# NAME=value`). */
export function envExample(): Map<string, string> {
  const lines = readFileSync(ENV_EXAMPLE_FILE, 'utf8').split('\n');
  return new Map(
    lines.flatMap((line) => {
      const match = /^(?:#\s*)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      return match ? [[match[1]!, match[2]!] as const] : [];
    }),
  );
}
