import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { DefenderClient } from '../activities/defender/client.js';
import { ClientCredentialsTokenSource } from '../activities/defender/token.js';
import type { DefenderCredentials } from './config.js';

export const USER_AGENT = 'defender-isolation/0.1.0';

/** The workflows entry point, as .ts under tsx and .js once built. */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export function createDefenderClient(
  credentials: DefenderCredentials,
  options: { requestTimeoutMs?: number } = {},
): DefenderClient {
  const tokens = new ClientCredentialsTokenSource({
    loginUrl: credentials.loginUrl,
    tenantId: credentials.tenantId,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    scope: credentials.scope,
    userAgent: USER_AGENT,
  });
  return new DefenderClient({
    apiUrl: credentials.apiUrl,
    tokens,
    userAgent: USER_AGENT,
    requestTimeoutMs: options.requestTimeoutMs,
  });
}

export interface ReleaseWorkerOptions extends Partial<Omit<WorkerOptions, 'connection' | 'taskQueue' | 'activities'>> {
  connection: NativeConnection;
  taskQueue: string;
  defender: DefenderClient;
}

/** A worker with the release workflows and their activities, bound to one Defender client. */
export async function createReleaseWorker(options: ReleaseWorkerOptions): Promise<Worker> {
  const { defender, ...workerOptions } = options;
  return Worker.create({
    workflowsPath: WORKFLOWS_PATH,
    ...workerOptions,
    activities: createActivities({ defender }),
  });
}
