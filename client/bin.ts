#!/usr/bin/env node
// The `defender-isolation` command: built to dist/client/bin.js (the package's bin); `npm run cli` runs it from source.
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2));
