#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the package works from source without a build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./cli.ts');
process.exit(await runCli(process.argv.slice(2)));
