/**
 * docker-compose.yml, checked without a Docker engine: Debian's docker-compose parses and interpolates it, and the
 * parsed result must run Temporal on PostgreSQL with the UI from official pinned images, build our worker from the
 * Dockerfile, pass every variable the worker reads, and keep the simulator behind the opt-in `demo` profile.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { WORKER_ENV_VARIABLES } from '../../worker/config.js';
import { EXACT_TASK_QUEUE_RATES } from '../../dev/dev-server.js';
import { PROJECT_ROOT } from '../../worker/paths.js';
import { imageEnvironment, readDockerfile } from '../helpers/dockerfile.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, unknown>;
  ports?: unknown[];
  volumes?: unknown[];
}

function composeConfig(args: string[], env: NodeJS.ProcessEnv = {}): Record<string, Service> {
  const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args, 'config'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  assert.ok(!result.error, `docker-compose is not installed (apt-get install docker-compose): ${String(result.error)}`);
  assert.equal(result.status, 0, `docker-compose config failed:\n${result.stderr}`);
  return (parse(result.stdout) as { services: Record<string, Service> }).services;
}

describe('docker-compose.yml', () => {
  const services = composeConfig([]);
  /** The worker services' environments: `worker`, and `worker-demo` from the demo profile. */
  const workerEnvironments = () => {
    const demo = composeConfig(['--profile', 'demo']);
    return { worker: services.worker!.environment!, 'worker-demo': demo['worker-demo']!.environment! };
  };

  it('runs Temporal on PostgreSQL with the Web UI, from official images with pinned versions', () => {
    const images = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.image]));
    assert.match(images.postgresql!, /^postgres:\d+\.\d+$/);
    assert.match(images.temporal!, /^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
    assert.match(images['temporal-ui']!, /^temporalio\/ui:\d+\.\d+\.\d+$/);
    assert.equal(services.temporal!.environment!.DB, 'postgres12');
    assert.equal(services.temporal!.environment!.POSTGRES_SEEDS, 'postgresql');
    assert.ok(services.temporal!.depends_on!.postgresql, 'Temporal waits for PostgreSQL');
    assert.equal(services['temporal-ui']!.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
    for (const [name, image] of Object.entries(images)) {
      assert.doesNotMatch(String(image), /:latest$/, `${name} is pinned`);
    }
  });

  it("gives Temporal the dynamic config that dispatches the API task queue's rate limit exactly", () => {
    const temporal = services.temporal!;
    const mounted = path.join(PROJECT_ROOT, 'temporal-dynamicconfig.yaml');
    assert.ok(
      (temporal.volumes ?? []).some((v) =>
        String(typeof v === 'string' ? v : (v as { source?: string }).source).startsWith(mounted),
      ),
      JSON.stringify(temporal.volumes),
    );
    assert.equal(temporal.environment?.DYNAMIC_CONFIG_FILE_PATH, 'config/dynamicconfig/defender-isolation.yaml');
    // The same settings as npm start's embedded dev server.
    const config = parse(readFileSync(mounted, 'utf8')) as Record<string, { value: unknown }[]>;
    for (const setting of EXACT_TASK_QUEUE_RATES) {
      const [key, value] = setting.split('=') as [string, string];
      assert.deepEqual(config[key], [{ value: JSON.parse(value) }], key);
    }
  });

  it('builds the worker from the Dockerfile in the repository', () => {
    const worker = services.worker!;
    assert.ok(worker.build, 'the worker is built, not pulled');
    const dockerfile = readDockerfile();
    assert.match(dockerfile, /^FROM node:20\.\d+/m);
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
      assert.equal(environment.TEMPORAL_ADDRESS, 'temporal:7233');
      assert.equal(environment.LOG_FORMAT, 'json');
      assert.equal(environment.METRICS_BIND_ADDRESS, '0.0.0.0:9464');
    }
    assert.equal(services.worker!.command, undefined, "the image's command: node dist/worker/main.js");
    assert.equal(services.worker!.environment!.DEMO_MODE, undefined);
  });

  it('takes configuration and secrets from the environment', () => {
    const configured = composeConfig([], {
      DEFENDER_TENANT_ID: 'tenant-from-env',
      DEFENDER_CLIENT_SECRET: 'secret-from-env',
      DEFENDER_CLOUD: 'gcc-high',
    });
    const environment = configured.worker!.environment!;
    assert.equal(environment.DEFENDER_TENANT_ID, 'tenant-from-env');
    assert.equal(environment.DEFENDER_CLIENT_SECRET, 'secret-from-env');
    assert.equal(environment.DEFENDER_CLOUD, 'gcc-high');
    const compose = readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
    assert.doesNotMatch(compose, /^\s*DEFENDER_CLIENT_SECRET:\s*(?!\$\{)\S/m, 'no secret written in the file');
  });

  it('keeps the simulator demo behind the opt-in "demo" profile', () => {
    const demo = composeConfig(['--profile', 'demo'])['worker-demo']!;
    assert.deepEqual(demo.profiles, ['demo']);
    assert.equal(demo.environment!.DEMO_MODE, 'true');
    assert.deepEqual(demo.command, ['node', 'dist/dev/start.js']);
    const withoutProfile = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--profiles'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    assert.equal(withoutProfile.stdout.trim(), 'demo');
  });
});
