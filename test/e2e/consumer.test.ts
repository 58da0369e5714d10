/**
 * The package as a SOAR team meets it: `npm pack`, installed (install scripts on) into a scratch project outside the
 * repository on two `@temporalio/*` minors, the README's "Add it to your worker" section type-checked under the
 * strictest compiler settings and run as written — the team's worker with its own playbook plus our plugin, a client
 * that starts the playbook, waits for the approval request and approves — against the run's dev server and the
 * simulator, to `released`; then the packaged CLI.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { workflowPollers } from '../../client/task-queue.js';
import { DEFAULT_APP } from '../../simulator/index.js';
import { PROJECT_ROOT } from '../../worker/paths.js';
import { createConsumerProject, installArgs, packThisPackage, readmeSection } from '../helpers/consumer-project.js';
import { startSimulator } from '../helpers/simulator.js';
import { testServer, uniqueTaskQueue } from '../helpers/temporal.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** The oldest minor the peer range admits, and the one the repository is developed on. */
const SDK_VERSIONS = ['1.23.0', '1.24.0'];

const section = readmeSection();
const tarball = await packThisPackage();
const { address, namespace } = await testServer();
const connection = await Connection.connect({ address });
const client = new Client({ connection, namespace });
const sim = await startSimulator();

after(async () => {
  await connection.close();
  await sim.stop();
  rmSync(path.dirname(tarball), { recursive: true, force: true });
});

for (const sdk of SDK_VERSIONS) {
  describe(`a SOAR team's worker on @temporalio/* ${sdk}`, () => {
    const project = createConsumerProject(`soc-playbooks-${sdk}`, section);
    const installed = path.join(project.dir, 'node_modules', 'defender-isolation');
    const taskQueue = uniqueTaskQueue(`consumer-${sdk.replaceAll('.', '-')}`);
    const env = {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      DEFENDER_API_URL: sim.url,
      DEFENDER_LOGIN_URL: sim.url,
      DEFENDER_TENANT_ID: DEFAULT_APP.tenantId,
      DEFENDER_CLIENT_ID: DEFAULT_APP.clientId,
      DEFENDER_CLIENT_SECRET: DEFAULT_APP.clientSecret,
    };
    let worker: ChildProcess | undefined;
    const workerOutput: string[] = [];
    let machineId = '';

    after(() => {
      worker?.kill('SIGKILL');
      if (existsSync(installed)) chmodSync(installed, 0o755);
      rmSync(project.dir, { recursive: true, force: true });
    });

    it('installs from the tarball with install scripts on, next to one copy of the SDK', async () => {
      await project.npm(installArgs(section.install, tarball, sdk));
      const sdkCopies = findPackages(project.dir, '@temporalio/workflow');
      assert.deepEqual(sdkCopies, [path.join(project.dir, 'node_modules', '@temporalio', 'workflow')]);
      const version = JSON.parse(readFileSync(path.join(sdkCopies[0]!, 'package.json'), 'utf8')) as { version: string };
      assert.equal(version.version, sdk);
    });

    it('type-checks the README section under strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess', async () => {
      const tsc = path.join(project.dir, 'node_modules', '.bin', 'tsc');
      await project.exec(tsc, ['-p', '.']).catch((err: unknown) => {
        assert.fail(`tsc failed:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
      });
      assert.ok(existsSync(path.join(project.dir, 'dist', 'worker.js')));
      // With library checks on, our declarations are checked too (the SDK's own have errors of their own there).
      const checked = await project
        .exec(tsc, ['-p', '.', '--noEmit', '--skipLibCheck', 'false'])
        .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
      const ours = checked.stdout.split('\n').filter((line) => line.includes('node_modules/defender-isolation/'));
      assert.deepEqual(ours, [], 'our declarations check with skipLibCheck off');
    });

    it('ships source maps that resolve: every source is embedded or shipped', () => {
      const maps = listFiles(path.join(installed, 'dist')).filter((f) => f.endsWith('.js.map'));
      assert.ok(maps.length > 10, 'the package has source maps');
      for (const map of maps) {
        const { sources, sourcesContent } = JSON.parse(readFileSync(map, 'utf8')) as {
          sources: string[];
          sourcesContent?: (string | null)[];
        };
        sources.forEach((source, i) => {
          const resolves =
            typeof sourcesContent?.[i] === 'string' || existsSync(path.resolve(path.dirname(map), source));
          assert.ok(resolves, `${path.relative(installed, map)}: ${source} resolves`);
        });
      }
    });

    it('bundles the workflows at build time with a plugin made without credentials', async () => {
      const script = [
        "import { bundleWorkflowCode } from '@temporalio/worker';",
        "import { DefenderIsolationPlugin } from 'defender-isolation/worker';",
        "const workflowsPath = new URL('./dist/workflows.js', import.meta.url).pathname;",
        'const { code } = await bundleWorkflowCode({ workflowsPath, plugins: [new DefenderIsolationPlugin()] });',
        "console.log(JSON.stringify({ theirs: code.includes('incidentPlaybook'), ours: code.includes('machineActionWatcher'), " +
          "nested: code.includes('defender-isolation/node_modules') }));",
      ].join('\n');
      writeFileSync(path.join(project.dir, 'bundle.mjs'), script);
      const { stdout } = await project.exec(process.execPath, ['bundle.mjs']);
      assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), { theirs: true, ours: true, nested: false });
    });

    it('runs the worker from a read-only install and releases a machine through the playbook, to released', async () => {
      chmodReadOnly(installed);
      const machine = sim.addMachine({ isolated: true, computerDnsName: `consumer-${sdk}.contoso.com` });
      machineId = machine.id;
      worker = spawn(process.execPath, ['dist/worker.js'], { cwd: project.dir, env: { ...baseEnv(), ...env } });
      worker.stdout!.on('data', (d: Buffer) => workerOutput.push(d.toString()));
      worker.stderr!.on('data', (d: Buffer) => workerOutput.push(d.toString()));
      await waitForPoller(taskQueue, worker, workerOutput);

      const { stdout } = await project.exec(process.execPath, ['dist/release.js', machine.id], env).catch((err) => {
        assert.fail(`release.js failed: ${String(err)}\nworker:\n${workerOutput.join('')}`);
      });
      const lines = stdout.trim().split('\n');
      assert.match(lines[0]!, /^awaiting-approval until \d{4}-\d\d-\d\dT/);
      assert.equal(lines.at(-1), 'released');
      assert.equal(sim.isIsolated(machine.id), false, 'Defender released the machine');
      assert.ok(!existsSync(path.join(installed, '.cache')), 'nothing was written into the installed package');
    });

    it('runs the packaged CLI: its version, and the status of the released machine', async () => {
      const cli = path.join(project.dir, 'node_modules', '.bin', 'defender-isolation');
      const version = await project.exec(cli, ['--version']);
      assert.equal(version.stdout.trim(), `defender-isolation version ${PACKAGE_VERSION}`);
      const { stdout } = await project.exec(cli, ['status', machineId, '--json'], env);
      const status = JSON.parse(stdout) as { state: string; requestedBy: string };
      assert.equal(status.state, 'released');
      assert.equal(status.requestedBy, 'alice@contoso.com');
    });
  });
}

function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME };
}

async function waitForPoller(taskQueue: string, worker: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await workflowPollers(client, taskQueue)) === 0) {
    if (worker.exitCode !== null) assert.fail(`the worker exited (${worker.exitCode}):\n${output.join('')}`);
    if (Date.now() > deadline) assert.fail(`the worker never polled ${taskQueue}:\n${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every installed copy of a package under a project's node_modules, nested ones included. */
function findPackages(dir: string, name: string): string[] {
  return listDirs(path.join(dir, 'node_modules')).filter((d) => d.endsWith(path.join('node_modules', name)));
}

function listDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => {
      const full = path.join(dir, e.name);
      return [full, ...listDirs(full)];
    });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(full) : [full];
  });
}

function chmodReadOnly(dir: string): void {
  for (const entry of [dir, ...listDirs(dir)]) chmodSync(entry, statSync(entry).mode & ~0o222);
}
