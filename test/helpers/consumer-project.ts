/**
 * A SOAR team's project outside this repository, as the consumer test builds it: the README's "Add it to your worker"
 * section (its install line and its source files, as written) in a scratch folder, with the packed tarball.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../worker/paths.js';

const run = promisify(execFile);

export interface ReadmeSection {
  install: string;
  files: { path: string; source: string }[];
}

/** The install line and the files of the README's section: each TypeScript block names its file in its first line. */
export function readmeSection(title = 'Add it to your worker'): ReadmeSection {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, body: m[2]! }));
  const install = blocks.find((b) => b.lang === 'sh')?.body.trim();
  if (!install) throw new Error('the section has no install command');
  const files = blocks
    .filter((b) => b.lang === 'ts')
    .map((b) => {
      const name = /^\/\/ (src\/[\w.-]+\.ts)[:\s]/.exec(b.body)?.[1];
      if (!name) throw new Error(`a TypeScript block does not name its file: ${b.body.slice(0, 60)}`);
      return { path: name, source: b.body };
    });
  return { install, files };
}

/** The strictest settings a consumer may use (the test checks our declarations with library checks on, too). */
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    outDir: 'dist',
    rootDir: 'src',
  },
  include: ['src'],
};

export interface ConsumerProject {
  dir: string;
  npm(args: string[]): Promise<{ stdout: string; stderr: string }>;
  exec(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }>;
}

/** A scratch project with the section's files, a strict tsconfig and nothing installed yet. */
export function createConsumerProject(name: string, section: ReadmeSection): ConsumerProject {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'soc-playbooks', version: '1.0.0', private: true, type: 'module' }, null, 2),
  );
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  mkdirSync(path.join(dir, 'src'));
  for (const file of section.files) writeFileSync(path.join(dir, file.path), file.source);
  // A project of its own: no npm configuration or cache path of ours leaks into it, except the shared download cache.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_cache: npmCache() };
  return {
    dir,
    npm: (args) => run('npm', args, { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 }),
    exec: (file, args, extra = {}) =>
      run(file, args, { cwd: dir, env: { ...env, ...extra }, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 }),
  };
}

function npmCache(): string {
  return process.env.npm_config_cache ?? path.join(os.homedir(), '.npm');
}

/** `npm pack` of this repository (its prepack builds dist/): the tarball's path. */
export async function packThisPackage(): Promise<string> {
  const destination = mkdtempSync(path.join(os.tmpdir(), 'defender-isolation-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: PROJECT_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  return path.join(destination, packed!.filename);
}

/**
 * The README's install line for this project: the package from the tarball instead of the registry, and the
 * `@temporalio/*` packages at the SDK version under test; plus the compiler the project builds with.
 */
export function installArgs(install: string, tarball: string, sdkVersion: string): string[] {
  const words = install.split(/\s+/);
  if (words[0] !== 'npm' || words[1] !== 'install') throw new Error(`not an npm install line: ${install}`);
  const packages = words
    .slice(2)
    .map((w) => (w === 'defender-isolation' ? tarball : w.startsWith('@temporalio/') ? `${w}@${sdkVersion}` : w));
  return ['install', ...packages, 'typescript@5.9.3', '@types/node@20', '--no-audit', '--no-fund', '--prefer-offline'];
}
