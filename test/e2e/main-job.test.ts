/**
 * The main job as a user runs it: `npm start`'s entry point in demo mode (its own simulator) against the run's Temporal
 * server, through the README's walkthrough (the CLI starts the release, bob approves it at the approvals page in
 * Chromium); then a clean shutdown on SIGTERM. Then the shipped worker compiled, with a build-time workflow bundle and
 * the Dockerfile's environment, as the Docker image runs it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { EXIT } from '../../client/cli.js';
import { PUBLIC_KEYS_FILE } from '../../approvals/service.js';
import { DATA_DIR } from '../../dev/paths.js';
import { PROJECT_ROOT } from '../../worker/paths.js';
import { DEMO_MACHINES } from '../../simulator/index.js';
import { imageEnvironment, readDockerfile } from '../helpers/dockerfile.js';
import { credentialsFor } from '../helpers/release-harness.js';
import { startSimulator } from '../helpers/simulator.js';
import { testServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { cli, cliWatching, type Captured } from '../helpers/cli-capture.js';
import { withDeviceSignIn } from '../helpers/device-sign-in.js';
import { launchChromium, releaseCardOn, signInAt } from '../helpers/approvals-browser.js';

/**
 * `npm start`'s entry point (dev/start.ts) in demo mode against the run's server, started and ready to poll; or
 * another command line (the shipped worker, compiled).
 */
async function startMainWorker(
  taskQueue: string,
  env: Record<string, string> = {},
  args = ['--import', 'tsx', 'dev/start.ts'],
) {
  const worker: ChildProcess = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SIMULATOR_PORT: '0',
      DEFENDER_TENANT_ID: '',
      DEFENDER_CLIENT_ID: '',
      DEFENDER_CLIENT_SECRET: '',
      APPROVALS_BIND_ADDRESS: '127.0.0.1:0',
      APPROVALS_LOCAL_IDP_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = {
    worker,
    output: '',
    exited: new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code))),
  };
  worker.stdout!.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!started.output.includes('Worker polling task queue')) {
    if (Date.now() > deadline) throw new Error(`worker did not start:\n${started.output}`);
    if (worker.exitCode !== null) throw new Error(`worker exited:\n${started.output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return started;
}

/** The approvals page's address, as npm start announces it. */
function approvalsOrigin(output: string): string {
  const origin = /^Approvals page: (http:\/\/127\.0\.0\.1:\d+) /m.exec(output)?.[1];
  assert.ok(origin, `npm start announced no approvals page:\n${output}`);
  return origin;
}

describe('npm start (demo mode) + CLI walkthrough', () => {
  let main: Awaited<ReturnType<typeof startMainWorker>>;
  const taskQueue = uniqueTaskQueue('main-job');
  const machine = DEMO_MACHINES[1].id;

  before(async () => {
    await testServer();
    process.env.TEMPORAL_ADDRESS = process.env.TEMPORAL_TEST_ADDRESS;
    process.env.TEMPORAL_TASK_QUEUE = taskQueue;
    main = await startMainWorker(taskQueue);
  });
  after(async () => {
    if (main?.worker.exitCode === null) main.worker.kill('SIGKILL');
  });

  it('announces demo mode, the demo machines and the approvals page it trusts', async () => {
    assert.match(main.output, /DEMO MODE/);
    assert.match(main.output, new RegExp(`Decisions are verified: approve at ${approvalsOrigin(main.output)}`));
    // The page's public keys, also as the file a worker elsewhere trusts it by (APPROVAL_KEYS_FILE).
    const published = await (await fetch(`${approvalsOrigin(main.output)}/.well-known/jwks.json`)).json();
    assert.deepEqual(JSON.parse(readFileSync(path.join(DATA_DIR, PUBLIC_KEYS_FILE), 'utf8')), published);
    assert.doesNotMatch(main.output, /prebuilt bundle/);
    for (const m of DEMO_MACHINES) assert.ok(main.output.includes(m.id));
  });

  it('release → status → four-eyes refusal → approve → released, visible through search attributes', async () => {
    // The demo's approvals are verified, so alice proves who asks: she signs the CLI in (device code) and the page
    // signs her request for this release.
    const args = ['release', machine, '--sign-in', '--comment', 'Clean after re-imaging', '--incident', '42'];
    const more = ['--poll-interval', '2s', '--approvals-url', approvalsOrigin(main.output), '--json'];
    const started = await withDeviceSignIn((onErr) => cliWatching([...args, ...more], onErr), 'alice@contoso.com');
    assert.equal(started.code, EXIT.ok, started.err);
    assert.deepEqual(JSON.parse(started.out), { workflowId: `release-${machine}`, joined: false });

    let status;
    for (let i = 0; i < 600; i++) {
      status = await cli('status', machine, '--json');
      if (status.code === EXIT.ok && JSON.parse(status.out).state === 'awaiting-approval') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(JSON.parse(status!.out).computerDnsName, DEMO_MACHINES[1].computerDnsName);
    assert.deepEqual(
      [JSON.parse(status!.out).requestedBy, JSON.parse(status!.out).requester?.verified],
      ['alice@contoso.com', true],
    );
    // With no NUDGE_* channel configured, npm start's demo receiver prints the nudge (dev/nudge-receiver.ts).
    const nudge = `Nudge: release release-${machine} for ${DEMO_MACHINES[1].computerDnsName} awaits approval — `;
    for (let i = 0; i < 100 && !main.output.includes(nudge); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(main.output.includes(nudge), `the nudge arrives at the demo receiver:\n${main.output}`);
    assert.equal(main.output.split(nudge).length, 2, 'once');
    assert.ok(main.output.includes(`/releases/release-${machine}\n`), 'with the link to the release on the page');

    // The demo's decisions are verified: a name typed on the command line is no proof of who decided.
    const named = await cli('approve', machine, '--by', 'bob@contoso.com', '--comment', 'EDR scan clean');
    assert.equal(named.code, EXIT.refused);
    assert.match(named.err, /signed approval token/);

    // Bob signs in at the approvals page npm start serves, and approves there.
    const browser = await launchChromium();
    try {
      const page = await signInAt(browser, approvalsOrigin(main.output), 'bob@contoso.com');
      const card = await releaseCardOn(page, approvalsOrigin(main.output), `release-${machine}`);
      await card.locator('textarea[name=comment]').fill('EDR scan clean');
      await card.locator('button[value=approve]').click();
      await page.waitForURL(`**/releases/release-${machine}`);
    } finally {
      await browser.close();
    }

    // Joining the running release and waiting for its end, as a playbook would.
    const waited = await cli(
      'release',
      machine,
      '--comment',
      'again',
      '--requested-by',
      'playbook:x',
      '--wait',
      '--json',
    );
    assert.equal(waited.code, EXIT.ok, waited.err);
    const result = JSON.parse(waited.out);
    assert.equal(result.outcome, 'released');
    assert.equal(result.approvedBy, 'bob@contoso.com');
    // Progress for people goes to stderr, so that --json stdout stays one JSON document.
    assert.match(waited.err, /^\[\d\d:\d\d:\d\d\] Joined the running release release-/m);

    // A table for people, filtered through the search attributes (visibility is eventually consistent).
    let listed: Captured | undefined;
    for (let i = 0; i < 100; i++) {
      listed = await cli('list', '--machine', machine.toUpperCase());
      if (listed.out.includes('released')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(listed!.code, EXIT.ok, listed!.err);
    const [header, row] = listed!.out.split('\n');
    assert.match(header!, /^WORKFLOW ID\s+STATE\s+INCIDENT\s+STARTED\s+MACHINE$/);
    assert.match(row!, new RegExp(`^release-${machine}\\s+released\\s+42\\s+\\d{4}-`));
    const listedJson = await cli('list', '--state', 'released', '--json');
    assert.ok(
      (JSON.parse(listedJson.out) as { workflowId: string }[]).some((r) => r.workflowId === `release-${machine}`),
    );

    const human = await cli('status', machine);
    assert.match(human.out, /: released/);
    assert.match(human.out, /requested by +alice@contoso\.com \(verified\)/);
    assert.match(human.out, /approved by bob@contoso.com/);

    const connection = await Connection.connect({ address: process.env.TEMPORAL_TEST_ADDRESS! });
    try {
      const description = await new Client({ connection }).workflow.getHandle(`release-${machine}`).describe();
      assert.equal(description.typedSearchAttributes.get({ name: 'ReleaseState', type: 'KEYWORD' }), 'released');
      assert.equal(description.typedSearchAttributes.get({ name: 'IncidentId', type: 'KEYWORD' }), '42');
    } finally {
      await connection.close();
    }
  });

  it('shuts down cleanly on SIGTERM', async () => {
    main.worker.kill('SIGTERM');
    assert.equal(await main.exited, 0, main.output.slice(-2000));
  });
});

describe('the compiled worker with workflows bundled at build time (as the Docker image runs it)', () => {
  it("bundles with the compiled bundler, runs dist/ with the image's environment, and stops cleanly", async () => {
    await testServer();
    const dockerfile = readDockerfile();
    assert.match(dockerfile, /^RUN npm run build && node dist\/worker\/bundle-workflows\.js (\S+)$/m);
    assert.match(dockerfile, /^CMD \["node", "dist\/worker\/main\.js"\]$/m);
    const image = imageEnvironment(dockerfile);
    assert.ok(image.NODE_OPTIONS?.includes('--max-old-space-size='), JSON.stringify(image));
    assert.equal(image.WORKER_MAX_CACHED_WORKFLOWS, '100');

    // npm test built dist/ before any test ran, as the image's first stage does.
    const bundlePath = path.join(mkdtempSync(path.join(os.tmpdir(), 'bundle-')), 'workflows.js');
    const bundler = spawn(process.execPath, ['dist/worker/bundle-workflows.js', bundlePath], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    assert.equal(await new Promise((resolve) => bundler.once('exit', resolve)), 0);

    // The shipped worker starts nothing: it is given a Defender (the simulator, over loopback) like a real one.
    const sim = await startSimulator();
    const credentials = credentialsFor(sim);
    const taskQueue = uniqueTaskQueue('main-bundle');
    const main = await startMainWorker(
      taskQueue,
      {
        ...image,
        WORKFLOW_BUNDLE_PATH: bundlePath,
        DEFENDER_API_URL: credentials.apiUrl,
        DEFENDER_LOGIN_URL: credentials.loginUrl,
        DEFENDER_TENANT_ID: credentials.tenantId,
        DEFENDER_CLIENT_ID: credentials.clientId,
        DEFENDER_CLIENT_SECRET: credentials.clientSecret,
      },
      ['dist/worker/main.js'],
    );
    const connection = await Connection.connect({ address: process.env.TEMPORAL_TEST_ADDRESS! });
    try {
      assert.ok(main.output.includes(`Workflows from the prebuilt bundle ${bundlePath}`), main.output);
      // Started by a client that skips our helpers: the bundled workflow validates and ends it, with no Defender call.
      const handle = await new Client({ connection }).workflow.start('releaseMachine', {
        taskQueue,
        workflowId: `bundle-invalid-${taskQueue}`,
        args: [{ machineId: 'not-a-machine', comment: 'x', requestedBy: 'alice@contoso.com' }],
      });
      await assert.rejects(handle.result(), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure, String(err));
        assert.equal(err.cause.type, 'InvalidInput');
        return true;
      });
      assert.doesNotMatch(main.output, /DEMO MODE|Embedded Temporal dev server/);
    } finally {
      await connection.close();
      main.worker.kill('SIGTERM');
      assert.equal(await main.exited, 0, main.output.slice(-2000));
      await sim.stop();
    }
  });

  it('refuses to start without a Temporal address or Defender credentials, naming what is missing', async () => {
    for (const [env, missing] of [
      [{ TEMPORAL_ADDRESS: '' }, /TEMPORAL_ADDRESS is required/],
      [{ TEMPORAL_ADDRESS: '127.0.0.1:1' }, /DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID and DEFENDER_CLIENT_SECRET/],
    ] as const) {
      const child = spawn(process.execPath, ['dist/worker/main.js'], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DEFENDER_TENANT_ID: '', DEFENDER_CLIENT_ID: '', DEFENDER_CLIENT_SECRET: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 1);
      assert.match(output, missing);
    }
  });
});

describe('CLI errors and exit codes', () => {
  it('--help exits 0 and lists the commands; no command exits 2', async () => {
    const help = await cli('--help');
    assert.equal(help.code, EXIT.ok);
    assert.match(help.out, /release <machineId>/);
    for (const command of ['release', 'approve', 'reject', 'status', 'list', 'cancel', 'bulk', 'schedule']) {
      const h = await cli(command, '--help');
      assert.equal(h.code, EXIT.ok, `${command} --help`);
      assert.match(h.out, new RegExp(`Usage: defender-isolation ${command}`), `${command} --help prints its usage`);
    }
    assert.match(help.out, /Exit codes: 0 ok, 1 error, 2 invalid usage or input/);
    assert.equal((await cli()).code, EXIT.usage);
    assert.equal((await cli('frobnicate')).code, EXIT.usage);
  });

  it('invalid input exits 2 with the field named, before connecting anywhere', async () => {
    const saved = process.env.TEMPORAL_ADDRESS;
    process.env.TEMPORAL_ADDRESS = '127.0.0.1:1'; // nothing listens: a connection attempt would fail differently
    try {
      const bad = await cli('release', 'not-a-machine', '--comment', '', '--requested-by', 'alice', '--json');
      assert.equal(bad.code, EXIT.usage);
      const { error } = JSON.parse(bad.err);
      assert.equal(error.type, 'InvalidInput');
      assert.match(error.message, /machineId/);
      assert.match(error.message, /comment/);
      const self = await cli(
        'release',
        DEMO_MACHINES[0].id,
        '--comment',
        'x',
        '--requested-by',
        'bob',
        '--pre-approved-by',
        'BOB',
        '--reason',
        'r',
      );
      assert.equal(self.code, EXIT.usage);
      assert.match(self.err, /four-eyes/);
      assert.equal((await cli('approve', DEMO_MACHINES[0].id)).code, EXIT.usage, 'approve needs --by');
      assert.equal((await cli('release', DEMO_MACHINES[0].id, '--bogus')).code, EXIT.usage);
    } finally {
      process.env.TEMPORAL_ADDRESS = saved;
    }
  });

  it('an unknown release exits 5', async () => {
    const missing = await cli('status', 'no-such-release', '--json');
    assert.equal(missing.code, EXIT.notFound, missing.out);
  });
});
