/**
 * docker-compose.yml, checked without a Docker engine: Debian's docker-compose parses and interpolates it, and the
 * parsed result must run Temporal on PostgreSQL with the UI from images upstream maintains, at the versions the tests
 * ran (the Temporal CLI's dev server), with the schema set up by admin-tools; give every service a healthcheck; build
 * our worker on a Node LTS from the Dockerfile; pass every variable the worker reads, the Temporal address and TLS
 * settings from the environment (.env, documented by .env.example); and keep the simulator behind the `demo` profile.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { WORKER_ENV_VARIABLES } from '../../worker/config.js';
import { EXACT_TASK_QUEUE_RATES } from '../../dev/dev-server.js';
import { cliVersion, resolveTemporalCli } from '../../dev/temporal-cli.js';
import { PROJECT_ROOT } from '../../worker/paths.js';
import { PUBLIC_KEYS_FILE } from '../../approvals/service.js';
import { composeConfig, envExample, interpolatedVariables } from '../helpers/compose.js';
import { imageEnvironment, readDockerfile } from '../helpers/dockerfile.js';

/** Services that run once to completion (schema, namespace) before the services that need them. */
const ONE_SHOTS = ['temporal-schema', 'temporal-namespace'];
const SECRETS = [
  'DEFENDER_CLIENT_SECRET',
  'TEMPORAL_API_KEY',
  'POSTGRES_PASSWORD',
  'NUDGE_TEAMS_URL',
  'NUDGE_SLACK_URL',
  'NUDGE_WEBHOOK_URL',
];

/** The server and UI versions of the Temporal CLI the tests run: "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)". */
function testedTemporalVersions(): { server: string; ui: string } {
  const version = cliVersion(resolveTemporalCli().path);
  const match = /\(Server (\d+\.\d+\.\d+), UI (\d+\.\d+\.\d+)\)/.exec(version);
  assert.ok(match, `unexpected "temporal --version": ${version}`);
  return { server: match[1]!, ui: match[2]! };
}

/** The exit code of `node -e script`. */
function nodeExitCode(script: string): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { timeout: 10_000 }, (err) =>
      resolve(err ? (typeof err.code === 'number' ? err.code : -1) : 0),
    );
  });
}

/** Runs `check` with the port of a local HTTP server that answers /metrics with `status`. */
async function withMetricsServer<T>(status: number, check: (port: number) => Promise<T>): Promise<T> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/metrics' ? status : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await check((server.address() as AddressInfo).port);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('docker-compose.yml', () => {
  const services = composeConfig([]);
  const withDemo = composeConfig(['--profile', 'demo']);
  /** The worker services' environments: `worker`, and `worker-demo` from the demo profile. */
  const workerEnvironments = () => ({
    worker: services.worker!.environment!,
    'worker-demo': withDemo['worker-demo']!.environment!,
  });

  it('runs Temporal on PostgreSQL with the Web UI, from upstream images at the versions the tests ran', () => {
    const tested = testedTemporalVersions();
    const expected: Record<string, string> = {
      'temporalio/server': tested.server,
      'temporalio/admin-tools': tested.server,
      'temporalio/ui': tested.ui,
    };
    const seen = new Set<string>();
    for (const [name, service] of Object.entries(withDemo)) {
      const [repository, tag] = String(service.image).split(':') as [string, string | undefined];
      assert.ok(tag && tag !== 'latest', `${name} is pinned: ${service.image}`);
      if (!repository.startsWith('temporalio/')) continue;
      assert.ok(repository in expected, `${name}: ${service.image} is not an image upstream still builds`);
      assert.equal(tag, expected[repository], `${name}: ${repository} at the version the tests ran`);
      seen.add(repository);
    }
    assert.deepEqual([...seen].sort(), Object.keys(expected).sort());
    assert.equal(services.temporal!.image, `temporalio/server:${tested.server}`);
    assert.equal(services['temporal-ui']!.image, `temporalio/ui:${tested.ui}`);
    assert.match(services.postgresql!.image!, /^postgres:\d+\.\d+$/);
    const temporal = services.temporal!.environment!;
    assert.equal(temporal.DB, 'postgres12');
    assert.equal(temporal.POSTGRES_SEEDS, 'postgresql');
    assert.equal(temporal.BIND_ON_IP, '0.0.0.0');
    assert.equal(services['temporal-ui']!.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  it('sets up both schemas with temporal-sql-tool before the server starts, then creates the namespace', () => {
    const schema = services['temporal-schema']!;
    assert.match(schema.image!, /^temporalio\/admin-tools:/);
    assert.equal(schema.depends_on!.postgresql!.condition, 'service_healthy');
    assert.equal(schema.environment!.SQL_PLUGIN, 'postgres12');
    assert.equal(schema.environment!.SQL_HOST, 'postgresql');
    const script = [...(schema.entrypoint ?? []), ...(schema.command ?? [])].join(' ');
    for (const [database, schemaDir] of [
      ['temporal', 'temporal'],
      ['temporal_visibility', 'visibility'],
    ]) {
      assert.match(script, new RegExp(`temporal-sql-tool --db ${database} create\\b`));
      assert.match(script, new RegExp(`temporal-sql-tool --db ${database} setup-schema -v 0\\.0`));
      const versioned = `/etc/temporal/schema/postgresql/v12/${schemaDir}/versioned`;
      assert.ok(script.includes(`temporal-sql-tool --db ${database} update-schema -d ${versioned}`), database);
    }
    assert.equal(services.temporal!.depends_on!['temporal-schema']!.condition, 'service_completed_successfully');
    const namespace = services['temporal-namespace']!;
    assert.match(namespace.image!, /^temporalio\/admin-tools:/);
    assert.equal(namespace.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(namespace.environment!.TEMPORAL_NAMESPACE, 'default');
    const created =
      'temporal operator namespace create --address "$$TEMPORAL_ADDRESS" --namespace "$$TEMPORAL_NAMESPACE"';
    assert.ok((namespace.command ?? []).join(' ').includes(created), 'the namespace is named by flags');
  });

  it('gives every service a healthcheck; what needs a service waits for it to be healthy or to have completed', () => {
    for (const [name, service] of Object.entries(withDemo)) {
      if (ONE_SHOTS.includes(name)) {
        assert.equal(service.ports, undefined, `${name} runs once and serves nothing`);
        assert.match(String(service.restart), /^on-failure/, `${name} is retried while what it needs starts`);
      } else {
        assert.ok(service.healthcheck?.test?.length && !service.healthcheck.disable, `${name} has a healthcheck`);
      }
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const wanted = ONE_SHOTS.includes(dependency) ? 'service_completed_successfully' : 'service_healthy';
        assert.equal(condition, wanted, `${name} → ${dependency}`);
      }
    }
    for (const worker of ['worker', 'worker-demo']) {
      assert.ok(withDemo[worker]!.depends_on!['temporal-namespace'], `${worker} waits for its namespace`);
    }
  });

  it("checks the worker's health on its metrics endpoint with the image's node (the image has no curl)", async () => {
    for (const name of ['worker', 'worker-demo']) {
      const service = withDemo[name]!;
      const [cmd, node, flag, script] = service.healthcheck!.test!;
      assert.deepEqual([cmd, node, flag], ['CMD', 'node', '-e'], name);
      const port = service.environment!.METRICS_BIND_ADDRESS!.split(':')[1]!;
      const url = `http://127.0.0.1:${port}/metrics`;
      assert.ok(script!.includes(url), `${name} probes ${url}`);
      const probe = (p: number) => nodeExitCode(script!.replace(`127.0.0.1:${port}`, `127.0.0.1:${p}`));
      assert.equal(await withMetricsServer(200, probe), 0, `${name}: metrics served → healthy`);
      assert.notEqual(await withMetricsServer(503, probe), 0, `${name}: an error status → unhealthy`);
      const closed = await withMetricsServer(200, (p) => Promise.resolve(p));
      assert.notEqual(await probe(closed), 0, `${name}: nothing listening → unhealthy`);
    }
  });

  it("gives Temporal the dynamic config that dispatches the API task queue's rate limit exactly", () => {
    const temporal = services.temporal!;
    const mounted = path.join(PROJECT_ROOT, 'temporal-dynamicconfig.yaml');
    const target = temporal.environment?.DYNAMIC_CONFIG_FILE_PATH;
    assert.ok(target?.startsWith('/'), 'an absolute path: it does not depend on the working directory of the image');
    assert.ok(
      (temporal.volumes ?? []).some((v) => String(v) === `${mounted}:${target}:ro`),
      JSON.stringify(temporal.volumes),
    );
    // The same settings as npm start's embedded dev server.
    const config = parse(readFileSync(mounted, 'utf8')) as Record<string, { value: unknown }[]>;
    for (const setting of EXACT_TASK_QUEUE_RATES) {
      const [key, value] = setting.split('=') as [string, string];
      assert.deepEqual(config[key], [{ value: JSON.parse(value) }], key);
    }
    assert.deepEqual(config['history.maximumSignalsPerExecution'], [{ value: 1000 }]);
  });

  it('builds the worker from the Dockerfile in the repository, on a Node LTS', () => {
    const worker = services.worker!;
    assert.ok(worker.build, 'the worker is built, not pulled');
    const dockerfile = readDockerfile();
    const stages = new Set([...dockerfile.matchAll(/^FROM \S+ AS (\S+)/gm)].map(([, stage]) => stage!));
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map(([, image]) => image!).filter((b) => !stages.has(b));
    assert.ok(bases.length > 0);
    for (const base of bases) {
      const match = /^node:(\d+)\.\d+-bookworm-slim(?:$|\s)/.exec(base);
      assert.ok(match, `${base}: a pinned node:<major>.<minor>-bookworm-slim`);
      const major = Number(match[1]);
      assert.ok(major >= 22 && major % 2 === 0, `${base}: an LTS line (even major, 22 or later)`);
    }
    assert.equal(new Set(bases).size, 1, 'the build and the image run on the same Node');
    // How the image runs (compiled, its environment) is tested in main-job.test.ts.
    assert.match(dockerfile, /dist\/worker\/main\.js/);
    // Sources copied from the build context (not from the build stage) exist.
    for (const [, source] of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) {
      for (const file of source!.split(/\s+/)) assert.ok(existsSync(path.join(PROJECT_ROOT, file)), `COPY ${file}`);
    }
  });

  it("defaults the worker's memory settings to the image's own (compose's environment overrides the image's)", () => {
    const image = imageEnvironment();
    for (const [name, environment] of Object.entries(workerEnvironments())) {
      for (const variable of ['NODE_OPTIONS', 'WORKER_MAX_CACHED_WORKFLOWS']) {
        assert.ok(image[variable], `the Dockerfile sets ${variable}`);
        assert.equal(environment[variable], image[variable], `${name}: ${variable}`);
      }
    }
  });

  it('passes every variable the worker reads; the worker is the shipped one (no demo mode, no simulator)', () => {
    for (const [name, environment] of Object.entries(workerEnvironments())) {
      const missing = WORKER_ENV_VARIABLES.filter((v) => !(v in environment));
      assert.deepEqual(missing, [], `${name} passes every worker variable`);
      assert.equal(environment.TEMPORAL_ADDRESS, 'temporal:7233', `${name}: the stack's own server by default`);
      assert.equal(environment.LOG_FORMAT, 'json');
      assert.equal(environment.METRICS_BIND_ADDRESS, '0.0.0.0:9464');
    }
    assert.equal(services.worker!.command, undefined, "the image's command: node dist/worker/main.js");
    assert.equal(services.worker!.environment!.DEMO_MODE, undefined);
  });

  it('takes the Temporal address and TLS settings from the environment (.env), e.g. for Temporal Cloud', () => {
    const configured = composeConfig(['--profile', 'demo'], {
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/tls/client.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/tls/client.key',
      TEMPORAL_TLS_DIR: '/srv/temporal-tls',
    });
    for (const name of ['worker', 'worker-demo']) {
      const environment = configured[name]!.environment!;
      assert.equal(environment.TEMPORAL_ADDRESS, 'ns.acct.tmprl.cloud:7233', name);
      assert.equal(environment.TEMPORAL_NAMESPACE, 'ns.acct', name);
      assert.equal(environment.TEMPORAL_TLS, 'true', name);
      assert.equal(environment.TEMPORAL_TLS_CLIENT_CERT_PATH, '/tls/client.pem', name);
      assert.equal(environment.TEMPORAL_TLS_CLIENT_KEY_PATH, '/tls/client.key', name);
      assert.ok(configured[name]!.volumes!.includes('/srv/temporal-tls:/tls:ro'), `${name} mounts the TLS folder`);
    }
    // The stack's own UI always shows the stack's own server.
    assert.equal(configured['temporal-ui']!.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  it('documents every variable it reads in .env.example, with no secret filled in', () => {
    const documented = envExample();
    const undocumented = interpolatedVariables().filter((name) => !documented.has(name));
    assert.deepEqual(undocumented, [], 'every variable docker-compose.yml reads is in .env.example');
    for (const secret of SECRETS) {
      assert.ok(documented.has(secret), `.env.example names ${secret}`);
      assert.equal(documented.get(secret), '', `.env.example leaves ${secret} empty`);
    }
    composeConfig(['--env-file', '.env.example']);
    const ignored = readFileSync(path.join(PROJECT_ROOT, '.gitignore'), 'utf8').split('\n');
    assert.ok(ignored.includes('.env'), 'an .env with secrets is never committed');
    const dockerignore = readFileSync(path.join(PROJECT_ROOT, '.dockerignore'), 'utf8').split('\n');
    assert.ok(dockerignore.includes('.env'), 'nor sent to the image build');
  });

  it('takes configuration and secrets from the environment', () => {
    const configured = composeConfig([], {
      DEFENDER_TENANT_ID: 'tenant-from-env',
      DEFENDER_CLIENT_SECRET: 'secret-from-env',
      DEFENDER_CLOUD: 'gcc-high',
      POSTGRES_PASSWORD: 'postgres-from-env',
    });
    const environment = configured.worker!.environment!;
    assert.equal(environment.DEFENDER_TENANT_ID, 'tenant-from-env');
    assert.equal(environment.DEFENDER_CLIENT_SECRET, 'secret-from-env');
    assert.equal(environment.DEFENDER_CLOUD, 'gcc-high');
    assert.equal(configured.postgresql!.environment!.POSTGRES_PASSWORD, 'postgres-from-env');
    assert.equal(configured['temporal-schema']!.environment!.SQL_PASSWORD, 'postgres-from-env');
    assert.equal(configured.temporal!.environment!.POSTGRES_PWD, 'postgres-from-env');
    const compose = readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
    for (const secret of ['DEFENDER_CLIENT_SECRET', 'TEMPORAL_API_KEY']) {
      assert.doesNotMatch(compose, new RegExp(`^\\s*${secret}:\\s*(?!\\$\\{${secret}:-\\})\\S`, 'm'), secret);
    }
  });

  it("serves the approvals page on the host's loopback; the demo worker trusts its public keys, never reads its key", () => {
    const approvals = withDemo.approvals!;
    assert.deepEqual(approvals.build, { context: PROJECT_ROOT, target: 'approvals' });
    assert.match(readDockerfile(), /^FROM build AS approvals\n(?:.*\n)*?CMD \["node", "dist\/approvals\/main\.js"\]$/m);
    assert.deepEqual(approvals.ports, ['127.0.0.1:8091:8091/tcp', '127.0.0.1:8090:8090/tcp']);
    // The page keeps its data in /app/.data (WORKDIR /app): the signing key, and its public keys in a folder of their own.
    const volumes = approvals.volumes as string[];
    assert.ok(volumes.includes('approvals-data:/app/.data:rw'), volumes.join());
    assert.ok(volumes.includes(`approvals-public:/app/.data/${path.dirname(PUBLIC_KEYS_FILE)}:rw`), volumes.join());
    const demo = withDemo['worker-demo']!;
    assert.equal(demo.environment!.APPROVAL_ISSUER, approvals.environment!.APPROVALS_PAGE_URL);
    assert.equal(demo.environment!.APPROVAL_KEYS_FILE, `/approvals/${path.basename(PUBLIC_KEYS_FILE)}`);
    const demoVolumes = demo.volumes as string[];
    assert.ok(demoVolumes.includes('approvals-public:/approvals:ro'), demoVolumes.join());
    assert.ok(
      !demoVolumes.some((v) => v.startsWith('approvals-data:')),
      'the demo worker never mounts the private key',
    );
    assert.equal(demo.depends_on!.approvals!.condition, 'service_healthy');
  });

  it('keeps the simulator demo behind the opt-in "demo" profile', () => {
    const demo = withDemo['worker-demo']!;
    assert.deepEqual(demo.profiles, ['demo']);
    assert.equal(demo.environment!.DEMO_MODE, 'true');
    assert.deepEqual(demo.command, ['node', 'dist/dev/start.js']);
    const profiles = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--profiles'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    assert.equal(profiles.stdout.trim(), 'demo');
  });
});
