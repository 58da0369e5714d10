/**
 * Where the CLI connects: global options named as the `temporal` CLI names them, each with an environment variable as
 * fallback (the worker's names where the worker has the setting); an option given wins over its variable. Messages
 * name the option or variable and the rule, never the value: the API key is a secret, and a secret pasted into the
 * wrong option must not be printed back.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection, isGrpcServiceError, ServiceError, type ConnectionOptions } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import { truncate } from '../contract/bounded-text.js';
import { DEFAULT_TASK_QUEUE } from '../contract/index.js';
import { CliUsageError } from './cli-output.js';

/** The global options, valid on every command (node:util parseArgs form). */
export const CONNECTION_OPTIONS = {
  address: { type: 'string' },
  namespace: { type: 'string' },
  'task-queue': { type: 'string' },
  'api-key': { type: 'string' },
  tls: { type: 'boolean' },
  'tls-cert-path': { type: 'string' },
  'tls-key-path': { type: 'string' },
  'tls-ca-path': { type: 'string' },
  'tls-server-name': { type: 'string' },
} as const;

type OptionName = keyof typeof CONNECTION_OPTIONS;
export type ConnectionValues = {
  [K in OptionName]?: (typeof CONNECTION_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

/**
 * Each option's variable. The worker has no server CA or server name setting; those two take the `temporal` CLI's
 * names.
 */
export const CONNECTION_ENV: Record<OptionName, string> = {
  address: 'TEMPORAL_ADDRESS',
  namespace: 'TEMPORAL_NAMESPACE',
  'task-queue': 'TEMPORAL_TASK_QUEUE',
  'api-key': 'TEMPORAL_API_KEY',
  tls: 'TEMPORAL_TLS',
  'tls-cert-path': 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'tls-key-path': 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'tls-ca-path': 'TEMPORAL_TLS_CA_PATH',
  'tls-server-name': 'TEMPORAL_TLS_SERVER_NAME',
};

export const DEFAULT_ADDRESS = '127.0.0.1:7233';

/** A setting as given, and where: the option's name or the variable's, for messages. */
interface Setting {
  value: string;
  from: string;
}

export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Sent as `Authorization: Bearer …`; never printed. */
  apiKey: Setting | undefined;
  /** False: plaintext. Otherwise TLS, with the system's CAs unless `ca` is given. */
  tls: false | { cert?: Setting; key?: Setting; ca?: Setting; serverName?: string };
}

// host:port, [ipv6]:port, or a host alone (the SDK's default port then).
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]{1,253})(:\d{1,5})?$/;
// A namespace or task queue name: no whitespace, control, formatting or separator characters.
const NAME = /^[^\s\p{C}\p{Z}]{1,255}$/u;
const API_KEY = /^[\x21-\x7e]{1,8192}$/;

/** The target from the options given and the environment, checked; CliUsageError names what is wrong. */
export function temporalTarget(values: ConnectionValues, env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const get = (name: Exclude<OptionName, 'tls'>) => setting(name, values[name], env);
  const address = checked(get('address'), ADDRESS, 'must be host:port, e.g. 127.0.0.1:7233') ?? DEFAULT_ADDRESS;
  const namespace = checked(get('namespace'), NAME, 'must be a name without spaces or control characters') ?? 'default';
  const taskQueue = checked(get('task-queue'), NAME, 'must be a name without spaces or control characters');
  const apiKey = get('api-key');
  if (apiKey && !API_KEY.test(apiKey.value)) {
    throw new CliUsageError(`${apiKey.from} must be printable characters without spaces (at most 8192)`);
  }
  const [cert, key, ca] = [get('tls-cert-path'), get('tls-key-path'), get('tls-ca-path')];
  if (!cert !== !key) {
    throw new CliUsageError(
      `${cert?.from ?? key?.from} needs its pair: --tls-cert-path and --tls-key-path (or ${CONNECTION_ENV['tls-cert-path']} and ${CONNECTION_ENV['tls-key-path']}) go together`,
    );
  }
  const serverName = checked(get('tls-server-name'), ADDRESS, 'must be a host name');
  const tls = values.tls === true || tlsFromEnv(env) || [apiKey, cert, ca, serverName].some(Boolean);
  return {
    address,
    namespace,
    taskQueue: taskQueue ?? DEFAULT_TASK_QUEUE,
    apiKey,
    tls: tls
      ? {
          ...(cert ? { cert } : {}),
          ...(key ? { key } : {}),
          ...(ca ? { ca } : {}),
          ...(serverName ? { serverName } : {}),
        }
      : false,
  };
}

function setting(
  name: Exclude<OptionName, 'tls'>,
  given: string | undefined,
  env: NodeJS.ProcessEnv,
): Setting | undefined {
  if (given !== undefined) {
    if (given.trim() === '') throw new CliUsageError(`--${name} must not be empty`);
    return { value: given.trim(), from: `--${name}` };
  }
  const fromEnv = env[CONNECTION_ENV[name]]?.trim();
  return fromEnv ? { value: fromEnv, from: CONNECTION_ENV[name] } : undefined;
}

function checked(given: Setting | undefined, rule: RegExp, problem: string): string | undefined {
  if (given && !rule.test(given.value)) throw new CliUsageError(`${given.from} ${problem}`);
  return given?.value;
}

function tlsFromEnv(env: NodeJS.ProcessEnv): boolean {
  const value = env.TEMPORAL_TLS?.trim() ?? '';
  if (!['', 'true', 'false', '1', '0'].includes(value)) {
    throw new CliUsageError('TEMPORAL_TLS must be true, false, 1 or 0');
  }
  return value === 'true' || value === '1';
}

/** The SDK's connection options for a target: the TLS files read now, so that a missing one is named before connecting. */
export function connectionOptions(target: TemporalTarget): ConnectionOptions {
  const { tls } = target;
  return {
    address: target.address,
    ...(target.apiKey ? { apiKey: target.apiKey.value } : {}),
    ...(tls
      ? {
          tls: {
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
            ...(tls.ca ? { serverRootCACertificate: readSetting(tls.ca) } : {}),
            ...(tls.cert && tls.key
              ? { clientCertPair: { crt: readSetting(tls.cert), key: readSetting(tls.key) } }
              : {}),
          },
        }
      : {}),
  };
}

function readSetting(file: Setting): Buffer {
  try {
    return readFileSync(file.value);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'may not be read'
          : `cannot be read (${code ?? 'unknown error'})`;
    throw new CliUsageError(`${file.from}: ${problem}`);
  }
}

/** Temporal could not be reached (or refused the connection): the message names where, and why. */
export class TemporalConnectionError extends Error {
  override readonly name = 'TemporalConnectionError';
  constructor(target: TemporalTarget, cause: unknown) {
    super(
      `cannot connect to Temporal at ${target.address} (namespace ${target.namespace}): ${reasonOf(target, cause)}`,
    );
  }
}

/** Why a connection failed: the server's or gRPC's words, cut to size, with the API key blotted out should it appear. */
function reasonOf(target: TemporalTarget, err: unknown): string {
  const inner = err instanceof ServiceError && err.cause ? err.cause : err;
  const message = inner instanceof Error ? inner.message : String(inner);
  const key = target.apiKey?.value;
  return truncate(key ? message.split(key).join('***') : message, 300);
}

/** Whether an error from a command means the server went away (gRPC UNAVAILABLE) after the connection was made. */
function isUnreachable(err: unknown): boolean {
  const inner = err instanceof ServiceError ? err.cause : err;
  return isGrpcServiceError(inner) && inner.code === 14;
}

/** The namespace does not exist on the server the CLI reached. */
export class TemporalNamespaceError extends Error {
  override readonly name = 'TemporalNamespaceError';
  constructor(target: TemporalTarget) {
    super(`namespace ${target.namespace} not found at ${target.address}`);
  }
}

/**
 * Runs `run` with a client of the target's namespace and closes the connection after it. A server that cannot be
 * reached, refuses, goes away meanwhile, or lacks the namespace becomes an error naming the address and namespace.
 */
export async function withTemporal<T>(target: TemporalTarget, run: (client: Client) => Promise<T>): Promise<T> {
  // Lazy, then checked: a connection that failed is closed too, or its channel would keep retrying (and the process
  // alive) after the CLI reported the failure.
  const connection = Connection.lazy(connectionOptions(target));
  try {
    await connection.ensureConnected();
  } catch (err) {
    await connection.close();
    throw new TemporalConnectionError(target, err);
  }
  try {
    return await run(new Client({ connection, namespace: target.namespace }));
  } catch (err) {
    if (err instanceof NamespaceNotFoundError) throw new TemporalNamespaceError(target);
    if (isUnreachable(err)) throw new TemporalConnectionError(target, err);
    throw err;
  } finally {
    await connection.close();
  }
}
