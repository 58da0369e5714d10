import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { listSome, quoteName } from '../contract/bounded-text.js';
import { DEFAULT_TENANT, TENANT_NAME } from '../contract/index.js';
import { fileProblem } from './config-error.js';

/** The tenants file as a file: read once, its names checked before zod sees them, its permissions against its content. */

export class TenantConfigError extends Error {
  override readonly name = 'TenantConfigError';
}

/** The parsed JSON and the permission bits of the very file read (one descriptor: no swap between stat and read). */
export function readTenantsFile(file: string): { raw: unknown; mode: number } {
  let text: string;
  let mode: number;
  try {
    const fd = openSync(file, 'r');
    try {
      mode = fstatSync(fd).mode;
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new TenantConfigError(`tenants file: ${fileProblem(err)}`);
  }
  try {
    return { raw: JSON.parse(text) as unknown, mode };
  } catch {
    throw new TenantConfigError('tenants file: not JSON');
  }
}

/**
 * Names a plain object could not hold as its own: zod builds records as plain objects, where `__proto__` would set
 * the prototype and vanish, and `constructor` would answer for a tenant nobody configured.
 */
const PROTOTYPE_NAMES = new Set([
  '__proto__',
  'constructor',
  'prototype',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

/** Every tenant key is a valid, unreserved name: refused with the key (cut to size) and the rule, never dropped. */
export function checkTenantNames(raw: unknown): void {
  const tenants = (raw as { tenants?: unknown } | null)?.tenants;
  if (typeof tenants !== 'object' || tenants === null || Array.isArray(tenants)) return; // zod says what is wrong
  for (const name of Object.keys(tenants)) {
    if (PROTOTYPE_NAMES.has(name)) {
      throw new TenantConfigError(
        `tenant ${quoteName(name)}: the name is reserved (it names a property of every object)`,
      );
    }
    if (name === DEFAULT_TENANT) {
      throw new TenantConfigError(
        `tenant "${DEFAULT_TENANT}": the name is reserved for the tenant of the DEFENDER_* variables; name it differently`,
      );
    }
    if (!TENANT_NAME.test(name)) {
      throw new TenantConfigError(
        `tenant ${quoteName(name)}: tenant names are lowercase letters, digits and dashes (at most 40)`,
      );
    }
  }
}

/**
 * A file that holds client secrets itself must be the worker's alone: readable or writable by group or others, the
 * secrets are anybody's on the host (or anybody's to replace). Not checked on Windows, where mode bits mean nothing.
 */
export function refuseSharedSecrets(tenantsWithSecrets: readonly string[], mode: number): void {
  if (tenantsWithSecrets.length === 0 || process.platform === 'win32' || (mode & 0o077) === 0) return;
  throw new TenantConfigError(
    `the tenants file holds client secrets (tenant ${listSome(tenantsWithSecrets)}) and is readable or writable by ` +
      `group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): chmod 600 it, or give each secret as ` +
      'clientSecretEnv, the name of an environment variable',
  );
}
