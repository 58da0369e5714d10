/**
 * `release … --sign-in` (or `--id-token-file <file>`), and `bulk` alike: a request whose requester is proven. Where a
 * tenant's approvals are verified, four-eyes compares the approver's verified name with the requester's, so a person
 * proves who asks: the CLI signs in as for `approve --sign-in`, the approvals page signs a request token for the
 * workflow id about to start, and the start sends it with the signed-in name as `requestedBy`.
 */
import { fetchRequestToken, type Requested } from './approvals-page-api.js';
import { CliUsageError, type Io } from './cli-output.js';
import { signedIn } from './cli-verified-decision.js';

/** The options a signed-in request reads (a release's and a batch's alike). */
export interface SignInValues {
  'sign-in'?: boolean;
  'id-token-file'?: string;
  'approvals-url'?: string;
  'requested-by'?: string;
  comment?: string;
}

/** Whether `release`/`bulk` asks to prove its requester. */
export const isSignedInRequest = (values: SignInValues): boolean =>
  !!values['sign-in'] || values['id-token-file'] !== undefined;

/** Refuses mixed options before anyone is asked to sign in. */
export function checkSignedInRequest(command: string, values: SignInValues): void {
  if (values['sign-in'] && values['id-token-file'] !== undefined) {
    throw new CliUsageError('--sign-in and --id-token-file exclude each other');
  }
  if (values['requested-by'] !== undefined) {
    throw new CliUsageError(
      `${command} --requested-by names the requester; a signed-in request is made by who signs in`,
    );
  }
}

/** A stand-in for the signed-in name, so that the request is checked before anyone signs in. */
export const SIGNED_IN_STAND_IN = 'signed-in requester';

/** Signs in and gets the page's request token for `workflowId`: the requester's name and its proof. */
export async function requestAsSignedIn(values: SignInValues, workflowId: string, io: Io): Promise<Requested> {
  const { pageUrl, idToken } = await signedIn(values, io);
  return fetchRequestToken({ pageUrl, idToken, workflowId, comment: values.comment ?? '' });
}
