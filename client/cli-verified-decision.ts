/**
 * `approve|reject … --sign-in` or `--id-token-file <file>`: a verified decision through the approvals page. The CLI
 * proves who decides with an ID token from the identity provider (a device-code sign-in, or a file written by
 * automation); the page checks it and the decision as it checks its own form's, signs the approval token and sends
 * the update. Temporal is not contacted by the CLI for this. Nothing is cached on disk.
 */
import { readFileSync } from 'node:fs';
import { fetchSignInInfo, sendVerifiedDecision } from './approvals-page-api.js';
import { approvalsPageUrl } from './approvals-url.js';
import { deviceSignIn } from './cli-device-sign-in.js';
import { CliUsageError, EXIT, safe, type Io } from './cli-output.js';
import type { CommandValues } from './cli-release-commands.js';
import { releaseTarget } from './release-client.js';

// An ID token with groups is a few KiB; a file far longer is not one.
const MAX_ID_TOKEN_FILE = 16_384;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Whether a command's options ask for a verified decision rather than a named one. */
export function isVerifiedDecision(command: string, values: CommandValues): boolean {
  return (command === 'approve' || command === 'reject') && (!!values['sign-in'] || !!values['id-token-file']);
}

/** Refuses mixed options before anything is asked of anyone. */
export function checkVerifiedDecision(command: string, values: CommandValues): void {
  if (values['sign-in'] && values['id-token-file'] !== undefined) {
    throw new CliUsageError('--sign-in and --id-token-file exclude each other');
  }
  if (values.by !== undefined) {
    throw new CliUsageError(`${command} --by names the approver; a signed-in decision is recorded under who signed in`);
  }
  if (values.digest !== undefined) throw new CliUsageError('--digest (a batch) cannot be decided through the page yet');
  if (command === 'reject' && !values.reason) throw new CliUsageError('reject needs --reason <text>');
}

/** Reads the ID token from a file (never from argv: `ps` shows arguments to every user of the machine). */
export function idTokenFromFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    throw new CliUsageError('--id-token-file could not be read');
  }
  if (text.length > MAX_ID_TOKEN_FILE || !JWT_SHAPE.test(text)) {
    // The content is not echoed: it may be a token of another kind, or a secret.
    throw new CliUsageError('--id-token-file must hold one ID token (a compact JWT) and nothing else');
  }
  return text;
}

/** The approvals page and the ID token of who signed in: from --id-token-file, else a device sign-in. */
export async function signedIn(
  values: { 'approvals-url'?: string; 'id-token-file'?: string },
  io: Io,
): Promise<{ pageUrl: string; idToken: string }> {
  const pageUrl = approvalsPageUrl(values['approvals-url']);
  const tokenFile = values['id-token-file'];
  const idToken =
    tokenFile !== undefined ? idTokenFromFile(tokenFile) : await deviceSignIn(await fetchSignInInfo(pageUrl), io);
  return { pageUrl, idToken };
}

export async function runVerifiedDecision(args: {
  command: 'approve' | 'reject';
  target: string;
  values: CommandValues;
  print: (human: string, data: unknown) => void;
  io: Io;
}): Promise<number> {
  const { command, values, io } = args;
  checkVerifiedDecision(command, values);
  const { pageUrl, idToken } = await signedIn(values, io);
  const decided = await sendVerifiedDecision({
    pageUrl,
    idToken,
    release: releaseTarget(args.target),
    decision: command,
    comment: (command === 'approve' ? values.comment : values.reason) ?? '',
  });
  const verb = decided.outcome === 'approved' ? 'Approved' : 'Rejected';
  args.print(safe`${verb} ${decided.status.workflowId} as ${decided.approver} (signed in)`, decided);
  return EXIT.ok;
}
