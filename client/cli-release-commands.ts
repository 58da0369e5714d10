import type { parseArgs } from 'node:util';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { BULK_WORKFLOW_TYPE, type ReleaseRequest, type ReleaseStatus } from '../contract/index.js';
import { approveBulkRelease, cancelBulkRelease, getBulkProgress } from './bulk-client.js';
import { formatProgress } from './cli-bulk.js';
import { CONNECTION_OPTIONS } from './cli-connection.js';
import { joinedLine, joinedRelease } from './cli-join.js';
import { EXIT, progressLine, REQUEST_OPTIONS, safe, table, type Io } from './cli-output.js';
import { describeReleaseProgress, followRelease } from './cli-progress.js';
import { listReleases } from './release-list.js';
import {
  approveRelease,
  cancelRelease,
  getReleaseStatus,
  rejectRelease,
  releaseTarget,
  startRelease,
  waitForRelease,
} from './release-client.js';

export const RELEASE_COMMAND_OPTIONS = {
  ...REQUEST_OPTIONS,
  ...CONNECTION_OPTIONS,
  incident: { type: 'string' },
  by: { type: 'string' },
  digest: { type: 'string' },
  state: { type: 'string' },
  machine: { type: 'string' },
  limit: { type: 'string' },
  // Verified decisions through the approvals page (cli-verified-decision.ts).
  'sign-in': { type: 'boolean' },
  'id-token-file': { type: 'string' },
  'approvals-url': { type: 'string' },
} as const;

export type CommandValues = ReturnType<typeof parseArgs<{ options: typeof RELEASE_COMMAND_OPTIONS }>>['values'];

/** What a command runs with, once its input passed every check and the client is connected. */
export interface CommandContext {
  client: Client;
  target: string;
  values: CommandValues;
  /** The release request (`release` only), already parsed by the contract's schema. */
  request: ReleaseRequest | undefined;
  limit: number;
  /** Where `release` starts a workflow: --task-queue, TEMPORAL_TASK_QUEUE or the default. */
  taskQueue: string;
  print: (human: string, data: unknown) => void;
  io: Io;
}

/** One function per command of a single release; each returns its exit code. */
export const RELEASE_COMMANDS: Record<string, (ctx: CommandContext) => Promise<number>> = {
  list,
  release,
  approve,
  reject,
  status,
  cancel,
};

async function list({ client, values, limit, print }: CommandContext): Promise<number> {
  const rows = await listReleases(client, {
    state: values.state,
    machineId: values.machine,
    incidentId: values.incident,
    limit,
  });
  print(
    table(
      rows.map((r) => ({ ...r, incidentId: r.incidentId ?? '-', releaseState: r.releaseState ?? '-' })),
      [
        { key: 'workflowId', title: 'WORKFLOW ID' },
        { key: 'state', title: 'STATE' },
        { key: 'incidentId', title: 'INCIDENT' },
        { key: 'startTime', title: 'STARTED' },
        { key: 'machineId', title: 'MACHINE' },
      ],
      'no releases',
    ),
    rows,
  );
  return EXIT.ok;
}

async function release(ctx: CommandContext): Promise<number> {
  const { client, values, print, io } = ctx;
  const started = await startRelease(client, ctx.request!, {
    workflowId: values['workflow-id'],
    taskQueue: ctx.taskQueue,
  });
  const { workflowId } = started;
  // A join runs the release already there, with its own request: say whose, and what of this one was not applied.
  const joined = started.joined ? await joinedRelease(started.handle, ctx.request!) : undefined;
  const line = joined ? joinedLine(workflowId, joined) : safe`Started release ${workflowId}`;
  if (!values.wait) {
    print(line, { workflowId, joined: started.joined, ...joined });
    return EXIT.ok;
  }
  io.err(progressLine(`${line}; waiting for it to end (Ctrl-C stops waiting, not the release)`));
  return waitForEnd(ctx, workflowId);
}

/** `release --wait`: progress on stderr until the release ends; exit 3 when it failed. */
async function waitForEnd({ client, print, io }: CommandContext, workflowId: string): Promise<number> {
  try {
    const result = await followRelease(client, workflowId, waitForRelease(client, workflowId), (s) =>
      io.err(progressLine(describeReleaseProgress(s))),
    );
    print(safe`Release ${workflowId}: ${result.outcome}`, { workflowId, ...result });
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
    const failure = { type: cause?.type ?? err.cause?.name ?? 'Unknown', message: err.cause?.message ?? err.message };
    print(safe`Release ${workflowId} failed: ${failure.type}: ${failure.message}`, { workflowId, failure });
    return EXIT.releaseFailed;
  }
}

async function approve({ client, target, values, print }: CommandContext): Promise<number> {
  const decision = { approver: values.by!, ...(values.comment ? { comment: values.comment } : {}) };
  // A batch approval names the digest of the targets the approver reviewed; a batch refuses any other.
  const status = values.digest
    ? await approveBulkRelease(client, target, { ...decision, targetDigest: values.digest })
    : await approveRelease(client, target, decision);
  print(safe`Approved ${status.workflowId} as ${values.by}`, status);
  return EXIT.ok;
}

async function reject({ client, target, values, print }: CommandContext): Promise<number> {
  const status = await rejectRelease(client, target, { approver: values.by!, reason: values.reason! });
  print(safe`Rejected ${status.workflowId} as ${values.by}`, status);
  return EXIT.ok;
}

async function status({ client, target, print }: CommandContext): Promise<number> {
  const found = await getReleaseStatus(client, target).catch(async (err: unknown) => {
    // A bulk release answers `progress`, not `status`.
    if (err instanceof Error && /status/i.test(err.message) && !(err instanceof WorkflowNotFoundError)) {
      return getBulkProgress(client, target);
    }
    throw err;
  });
  print('counts' in found ? formatProgress(found) : formatStatus(found as ReleaseStatus), found);
  return EXIT.ok;
}

async function cancel({ client, target, values, print }: CommandContext): Promise<number> {
  const input = { by: values.by!, reason: values.reason! };
  const workflowId = releaseTarget(target);
  // A batch has no cancelRelease update: it is cancelled through Temporal, with who and why as the request's reason.
  if ((await client.workflow.getHandle(workflowId).describe()).type === BULK_WORKFLOW_TYPE) {
    await cancelBulkRelease(client, workflowId, input);
    print(safe`Cancelling batch ${workflowId} (by ${input.by}: ${input.reason})`, {
      workflowId,
      cancelRequested: true,
    });
    return EXIT.ok;
  }
  const status = await cancelRelease(client, workflowId, input);
  const by = status.cancellation ?? input;
  print(
    safe`Cancelling release ${workflowId} (by ${by.by}: ${by.reason}); a pending Defender action is cancelled first`,
    status,
  );
  return EXIT.ok;
}

/** A release's status for people; every value in it came from the workflow (`safe`). */
export function formatStatus(s: ReleaseStatus): string {
  const lines = [
    safe`Release ${s.workflowId}: ${s.state}`,
    safe`  machine       ${s.machineId ?? '?'}${s.computerDnsName ? ` (${s.computerDnsName})` : ''}`,
    safe`  requested by  ${s.requestedBy ?? '?'}${s.requester?.verified ? ' (verified)' : ''} at ${s.requestedAt}${s.incidentId ? ` for incident ${s.incidentId}` : ''}`,
  ];
  // The approval is awaited only in that state: not before the check asks for it, nor once the release was cancelled.
  if (s.state === 'awaiting-approval' && s.approval.mode === 'required' && !s.approval.decision && !s.cancellation) {
    lines.push(
      safe`  approval      awaiting ${s.approval.approvers?.join(', ') ?? 'anyone but the requester'} until ${s.approval.expiresAt ?? '?'}`,
    );
  }
  if (s.approval.decision) {
    const d = s.approval.decision;
    lines.push(
      safe`  approval      ${d.decision} by ${d.by} at ${d.at}${d.comment ? ` (${d.comment})` : ''}${d.source === 'pre-approved' ? ' [pre-approved]' : ''}`,
    );
  }
  if (s.machineAction)
    lines.push(safe`  action        ${s.machineAction.id} ${s.machineAction.status} (${s.machineAction.how})`);
  if (s.cancellation) {
    lines.push(safe`  cancelled     by ${s.cancellation.by} at ${s.cancellation.at}: ${s.cancellation.reason}`);
  } else if (s.state === 'cancelling' || s.state === 'cancelled') {
    lines.push('  cancelled     through Temporal (who and why are not recorded)');
  }
  if (s.cancelledIsolationActionId)
    lines.push(safe`  cancelled     in-flight isolation ${s.cancelledIsolationActionId}`);
  if (s.lastError) lines.push(safe`  last error    ${s.lastError.type}: ${s.lastError.message}`);
  if (s.result) lines.push(safe`  result        ${s.result.outcome} at ${s.result.completedAt}`);
  return lines.join('\n');
}
