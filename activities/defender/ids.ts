/**
 * Identifiers that end up inside a Defender URL path. Nothing user-supplied is spliced into a path before it has
 * passed one of these checks, so a value like `../machineactions` or `abc%2F..` can never reach another endpoint.
 */

const MACHINE_ID = /^[0-9a-fA-F]{40}$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// Entra tenants are a GUID or a verified domain name.
const TENANT =
  /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$/;

export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return `a ${value === null ? 'null' : typeof value}`;
  const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  return JSON.stringify(shown);
}

export function isMachineId(value: unknown): value is string {
  return typeof value === 'string' && MACHINE_ID.test(value);
}

/** A Defender machine id: 40 hexadecimal characters, returned lower-cased. */
export function parseMachineId(value: unknown, field = 'machineId'): string {
  if (!isMachineId(value)) {
    throw new InvalidArgumentError(
      field,
      `${field} must be a Defender machine id (40 hexadecimal characters), got ${describe(value)}`,
    );
  }
  return value.toLowerCase();
}

/** A machine action id: a GUID, returned lower-cased. */
export function parseMachineActionId(value: unknown, field = 'machineActionId'): string {
  if (typeof value !== 'string' || !GUID.test(value)) {
    throw new InvalidArgumentError(field, `${field} must be a machine action id (a GUID), got ${describe(value)}`);
  }
  return value.toLowerCase();
}

/** An Entra tenant: a GUID or a verified domain name. */
export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT.test(value);
}

export function parseTenantId(value: unknown, field = 'tenantId'): string {
  if (!isTenantId(value)) {
    throw new InvalidArgumentError(field, `${field} must be a tenant GUID or domain name, got ${describe(value)}`);
  }
  return value;
}
