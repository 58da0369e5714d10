/**
 * The approvals page's API, as the CLI calls it: where to sign in, and a decision proven by the signed-in person's ID
 * token. The page applies the decision exactly as its own form does (four-eyes, approver list, its signed approval
 * token bound to the run). The ID token goes in a header, never in a URL, and is never printed.
 */
import { z } from 'zod';
import type { ReleaseStatus } from '../contract/index.js';
import { EXIT } from './cli-output.js';

/** A refusal or failure of a verified decision, with the CLI's exit code and a stable type (the page's, when it said). */
export class VerifiedDecisionError extends Error {
  override readonly name = 'VerifiedDecisionError';
  constructor(
    readonly type: string,
    message: string,
    readonly exit: number,
  ) {
    super(message);
  }
}

const signInInfo = z.object({ issuer: z.string().min(1), clientId: z.string().min(1), scope: z.string().min(1) });
export type SignInInfo = z.output<typeof signInInfo>;

const pageError = z.object({ error: z.object({ type: z.string().max(100), message: z.string().max(2000) }) });
const decided = z.looseObject({
  outcome: z.enum(['approved', 'rejected']),
  approver: z.string(),
  status: z.looseObject({ workflowId: z.string() }),
});
export type Decided = { outcome: 'approved' | 'rejected'; approver: string; status: ReleaseStatus };

/** The page's HTTP status as the CLI's exit code: refusals 4, no such release 5, bad input 2, the rest 1. */
function exitFor(httpStatus: number): number {
  if ([401, 403, 409].includes(httpStatus)) return EXIT.refused;
  if (httpStatus === 404) return EXIT.notFound;
  if (httpStatus === 400 || httpStatus === 415) return EXIT.usage;
  return EXIT.error;
}

async function call(pageUrl: string, path: string, init: RequestInit = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, pageUrl), { ...init, redirect: 'error', signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    const cause = (err as Error).cause instanceof Error ? `: ${((err as Error).cause as Error).message}` : '';
    throw new VerifiedDecisionError(
      'ApprovalsPageUnreachable',
      `cannot reach the approvals page at ${pageUrl}${cause}`,
      1,
    );
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) return body;
  const error = pageError.safeParse(body);
  if (!error.success) {
    throw new VerifiedDecisionError('ApprovalsPageError', `the approvals page answered HTTP ${response.status}`, 1);
  }
  throw new VerifiedDecisionError(error.data.error.type, error.data.error.message, exitFor(response.status));
}

/** Where the page's CLI users sign in: the identity provider's issuer, the CLI's client id and the scopes. */
export async function fetchSignInInfo(pageUrl: string): Promise<SignInInfo> {
  const parsed = signInInfo.safeParse(await call(pageUrl, '/api/sign-in'));
  if (!parsed.success)
    throw new VerifiedDecisionError('ApprovalsPageError', 'the approvals page did not say where to sign in', 1);
  return parsed.data;
}

/** Sends the decision with the ID token; the page's answer, or VerifiedDecisionError with its refusal. */
export async function sendVerifiedDecision(args: {
  pageUrl: string;
  idToken: string;
  release: string;
  decision: 'approve' | 'reject';
  comment: string;
}): Promise<Decided> {
  const body = JSON.stringify({ release: args.release, decision: args.decision, comment: args.comment });
  const answer = await call(args.pageUrl, '/api/decisions', {
    method: 'POST',
    headers: { authorization: `Bearer ${args.idToken}`, 'content-type': 'application/json' },
    body,
  });
  const parsed = decided.safeParse(answer);
  if (!parsed.success) throw new VerifiedDecisionError('ApprovalsPageError', 'the approvals page gave no outcome', 1);
  return parsed.data as unknown as Decided;
}

const requested = z.object({ requestToken: z.string().min(1).max(4096), requestedBy: z.string().min(1).max(200) });
export type Requested = z.output<typeof requested>;

/**
 * Asks the page for a request token: proof that the signed-in person starts `workflowId` with `comment`. The page
 * answers the token and the person's name, which the start sends as `requestedBy`.
 */
export async function fetchRequestToken(args: {
  pageUrl: string;
  idToken: string;
  workflowId: string;
  comment: string;
}): Promise<Requested> {
  const answer = await call(args.pageUrl, '/api/requests', {
    method: 'POST',
    headers: { authorization: `Bearer ${args.idToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workflowId: args.workflowId, comment: args.comment }),
  });
  const parsed = requested.safeParse(answer);
  if (!parsed.success)
    throw new VerifiedDecisionError('ApprovalsPageError', 'the approvals page gave no request token', 1);
  return parsed.data;
}
