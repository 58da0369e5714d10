import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { SearchAttributePair, SearchAttributeType } from '@temporalio/common';
import { Connection } from '@temporalio/client';

export interface DevServerOptions {
  cliPath: string;
  /** gRPC port; a free one is picked when absent (see `pickPort`). */
  port?: number;
  /** How a port is picked when `port` is absent; it is asked again if the server finds its pick taken. */
  pickPort?: () => Promise<number>;
  /** Web UI port, or `false` for a headless server. */
  uiPort?: number | false;
  /** SQLite file, for state that survives restarts; in-memory when absent. */
  dbFile?: string;
  namespace?: string;
  searchAttributes?: readonly SearchAttributePair['key'][];
  /** Server output goes here (appended), so that it can be inspected and scanned after a run. */
  logFile?: string;
  /** How long to wait for the server to answer. Generous: a cold start on 2 busy cores can take a while. */
  readyTimeoutMs?: number;
  /**
   * Task-queue rate limits dispatched at the rate set (default true): the priority-enabled matcher and one partition
   * per task queue. With the server's defaults (classic matcher, four partitions) the rate limit of our API task queue
   * dispatched 73–92 % of the rate it was given (docs/performance.md).
   */
  exactTaskQueueRates?: boolean;
  extraArgs?: string[];
}

/** See DevServerOptions.exactTaskQueueRates; docs/operations.md shows the same settings for a server of your own. */
export const EXACT_TASK_QUEUE_RATES = [
  'matching.useNewMatcher=true',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
];

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string | undefined;
  process: ChildProcess;
  stop(): Promise<void>;
}

const TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/**
 * A port that is free now, picked below the kernel's ephemeral range. A port from `listen(0)` lies inside that range,
 * and between our check and the server's bind any outbound connection may take it as its local port — the dev
 * server's own services connect to each other while it starts, and CI once failed with "address already in use" so.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = portsBelowEphemeralRange();
  for (let attempt = 0; attempt < 50 && high > low; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await canListen(port, host)) return port;
  }
  return listenAnywhere(host);
}

function portsBelowEphemeralRange(): [number, number] {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // Not Linux: the IANA dynamic range starts at 49152, so 32768 still leaves it alone.
  }
  return [10_000, Math.min(ephemeralLow, 32768)];
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function listenAnywhere(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `temporal server start-dev` and waits until its frontend answers gRPC. Unlike @temporalio/testing's fixed 5 s
 * window, it waits as long as the process is alive (up to `readyTimeoutMs`), and fails at once if it exits.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await (options.pickPort ?? freePort)());
    try {
      return await startOnce(options, port);
    } catch (error) {
      // A port we picked can still be taken before the server binds it; a port the caller chose is the caller's.
      const portTaken = error instanceof PortInUseError;
      if (!portTaken || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

class PortInUseError extends Error {}

/**
 * Anyone with client access can signal a workflow, and the server records every signal it accepts: a run takes at
 * most this many (the watcher continues as new well before; a release needs a few, a batch run one per handed-over
 * release). docs/operations.md has it for servers of your own.
 */
export const MAX_SIGNALS_PER_RUN = 1_000;
const SIGNAL_CAP = [`history.maximumSignalsPerExecution=${MAX_SIGNALS_PER_RUN}`];

/** The command line of `temporal server start-dev` for these options, and where its UI will be. */
function devServerArgs(options: DevServerOptions, port: number): { args: string[]; uiUrl: string | undefined } {
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  let uiUrl: string | undefined;
  if (options.uiPort === false || options.uiPort === undefined) {
    args.push('--headless');
  } else {
    args.push('--ui-port', String(options.uiPort), '--ui-disable-news-fetch');
    uiUrl = `http://127.0.0.1:${options.uiPort}`;
  }
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const key of options.searchAttributes ?? []) {
    args.push('--search-attribute', `${key.name}=${TYPE_NAMES[key.type]}`);
  }
  const dynamicConfig = [
    'frontend.enableServerVersionCheck=false',
    'frontend.enableUpdateWorkflowExecution=true',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    ...SIGNAL_CAP,
    ...(options.exactTaskQueueRates === false ? [] : EXACT_TASK_QUEUE_RATES),
  ];
  args.push('--log-level', 'warn', ...dynamicConfig.flatMap((value) => ['--dynamic-config-value', value]));
  return { args: [...args, ...(options.extraArgs ?? [])], uiUrl };
}

async function startOnce(options: DevServerOptions, port: number): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const { args, uiUrl } = devServerArgs(options, port);
  const child = spawn(options.cliPath, args, {
    env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const log = options.logFile
    ? (mkdirSync(path.dirname(options.logFile), { recursive: true }),
      createWriteStream(options.logFile, { flags: 'a' }))
    : undefined;
  const collect = (chunk: Buffer) => {
    log?.write(chunk);
    if (output.length < 20_000) output += chunk.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    log?.end();
  });

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (hasExited) {
      const message = `temporal server start-dev exited before it was ready (${options.cliPath} ${args.join(' ')}):\n${output}`;
      throw output.includes('address already in use') ? new PortInUseError(message) : new Error(message);
    }
    if (await answers(address)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `temporal server start-dev did not answer on ${address} within ${options.readyTimeoutMs ?? 120_000} ms:\n${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    address,
    namespace,
    uiUrl,
    process: child,
    async stop() {
      if (hasExited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function answers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
