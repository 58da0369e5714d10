/**
 * Server-side sessions: the cookie holds a random id only; who signed in and the session's CSRF token stay here. A
 * pending sign-in (PKCE verifier, state, nonce) is kept the same way until the provider sends the browser back.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface SignedInUser {
  /** The provider's issuer: part of who this is (the same `sub` at another provider is someone else). */
  idp: string;
  /** Entra's `oid` when given, else `sub`: stable, never reassigned. */
  sub: string;
  /** `preferred_username`: the name approvals are recorded under and four-eyes compares. */
  upn: string;
  name: string | null;
  /** The ID token's `groups` (bounded): what APPROVALS_TENANT_GROUPS is checked against; absent: none given. */
  groups?: string[];
}

export interface Session {
  user: SignedInUser;
  csrf: string;
  expiresAt: number;
}

export interface PendingSignIn {
  verifier: string;
  state: string;
  nonce: string;
  expiresAt: number;
}

export const SESSION_TTL_MS = 30 * 60_000;
export const SIGN_IN_TTL_MS = 10 * 60_000;

const randomId = () => randomBytes(32).toString('base64url');

/** Entries that expire; a sweep on each write keeps an idle store from growing. */
class ExpiringMap<T extends { expiresAt: number }> {
  readonly #entries = new Map<string, T>();
  constructor(private readonly limit: number) {}
  add(value: T): string {
    this.sweep();
    // Many sign-ins started and never finished: the oldest go first, so a flood cannot exhaust memory.
    while (this.#entries.size >= this.limit) this.#entries.delete(this.#entries.keys().next().value!);
    const id = randomId();
    this.#entries.set(id, value);
    return id;
  }
  get(id: string | undefined): T | undefined {
    const value = id ? this.#entries.get(id) : undefined;
    return value && value.expiresAt > Date.now() ? value : undefined;
  }
  take(id: string | undefined): T | undefined {
    const value = this.get(id);
    if (id) this.#entries.delete(id);
    return value;
  }
  private sweep(): void {
    const now = Date.now();
    for (const [id, value] of this.#entries) if (value.expiresAt <= now) this.#entries.delete(id);
  }
}

export class SessionStore {
  readonly sessions = new ExpiringMap<Session>(10_000);
  readonly signIns = new ExpiringMap<PendingSignIn>(10_000);

  /** A new session (a new id at every sign-in: no fixation). */
  open(user: SignedInUser): string {
    return this.sessions.add({ user, csrf: randomId(), expiresAt: Date.now() + SESSION_TTL_MS });
  }
}

/** Compares a form's CSRF token with the session's in constant time. */
export function csrfMatches(given: unknown, session: Session): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
