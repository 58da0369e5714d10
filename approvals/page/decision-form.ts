/**
 * A posted decision, read once for releases and batches: the session's synchronizer token, the decision, the run it
 * is for, and the text, each bounded. What it refuses is answered by the route.
 */
import type { Session } from './session.js';
import { csrfMatches } from './session.js';

export interface PostedDecision {
  decision: 'approve' | 'reject';
  workflowId: string;
  runId: string;
  /** The comment (approve) or reason (reject), trimmed. */
  text: string;
  /** A batch's form: the digest of the targets the approver was shown. */
  targetDigest: string | null;
}

export type FormReading = { ok: true; posted: PostedDecision } | { ok: false; status: 400 | 403; message: string };

export function readDecisionForm(form: Record<string, unknown>, session: Session): FormReading {
  if (!csrfMatches(form.csrf, session)) {
    return { ok: false, status: 403, message: 'The form was not this page’s; reload it.' };
  }
  const decision = form.decision === 'approve' || form.decision === 'reject' ? form.decision : null;
  const fields = [form.workflowId, form.runId, form.comment ?? '', form.targetDigest ?? ''];
  if (!decision || !fields.every((f) => typeof f === 'string' && f.length <= 1000)) {
    return { ok: false, status: 400, message: 'The form was incomplete.' };
  }
  const [workflowId, runId, text, digest] = (fields as string[]).map((f) => f.trim());
  if (decision === 'reject' && text === '') return { ok: false, status: 400, message: 'A rejection needs a reason.' };
  return {
    ok: true,
    posted: { decision, workflowId: workflowId!, runId: runId!, text: text!, targetDigest: digest || null },
  };
}
