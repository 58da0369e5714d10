/**
 * The facts an approver reads, worded once for releases and batches alike: times with how long ago, the device's
 * health, the tenant's rule for decisions. Plain strings: the views escape them.
 */
import type { ApprovalVerification, DeviceHealth } from '../../contract/index.js';

/** "2026-12-01T08:00:01.000Z (3 d 4 h ago)"; a time Defender wrote with 7 fractional digits is shown as written. */
export function withAge(iso: string, now = Date.now()): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const minutes = Math.floor((now - at) / 60_000);
  if (minutes < 0) return iso;
  const days = Math.floor(minutes / 1_440);
  const hours = Math.floor((minutes % 1_440) / 60);
  const age = days > 0 ? `${days} d ${hours} h` : hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
  return `${iso} (${age} ago)`;
}

/** Health and last seen; `undefined`: the release did not read them (pre-approved, or recorded before it did). */
export function deviceFact(device: DeviceHealth | null | undefined): string {
  if (device === undefined) return 'not read';
  if (device === null) return 'unknown: Defender did not answer for the device';
  const lastSeen = device.lastSeen ? withAge(device.lastSeen) : 'unknown';
  return `${device.healthStatus ?? 'unknown'}, last seen ${lastSeen}`;
}

export function verificationFact(verification: ApprovalVerification | undefined): string {
  if (verification === 'required') return 'verified: the page signs each decision for the signed-in person';
  if (verification === 'off') return 'named approvals: the approver is not verified (verification is off)';
  return 'unknown';
}
