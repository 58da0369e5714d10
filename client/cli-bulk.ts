/** CLI commands for bulk releases and their schedules. */
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import type { BulkProgress, BulkReleaseRequest, BulkReport, BulkSelector } from '../contract/index.js';
import { createBulkSchedule, startBulkRelease } from './bulk-client.js';
import { approvalFrom } from './cli-approval.js';
import { CONNECTION_OPTIONS } from './cli-connection.js';
import { CliUsageError, REQUEST_OPTIONS, safe, safeJson, table } from './cli-output.js';
import { describeBulkProgress, followBulk } from './cli-progress.js';

export const BULK_HELP = `Usage: defender-isolation bulk (--machine <id>... | [--tag <t>] [--device-group <g>] [--isolated-longer-than <dur>])
         --comment <text> --requested-by <who> [--dry-run] [--approver <who>]... [--approval-timeout <dur>]
         [--pre-approved-by <who> --reason <text>] [--concurrency <n>] [--poll-interval <dur>] [--deadline <dur>]
         [--tenant <name>] [--workflow-id <id>] [--wait] [--json]
         [--sign-in | --id-token-file <file>] [--approvals-url <url>]
  --sign-in proves the requester (instead of --requested-by): sign in as for approve --sign-in; the approvals page
  signs a request token for the batch, needed where the tenant's approvals are verified (docs/approvals.md).
  --wait prints progress to stderr until the batch ends, then a table of outcomes (or the report with --json).
Approve a batch with: defender-isolation approve <workflowId> --by <who> [--digest <targetDigest>]`;

export const SCHEDULE_HELP = `Usage: defender-isolation schedule <create|list|describe|pause|unpause|trigger|delete> [<scheduleId>] [options]
  create <id> (--cron '<expr>' | --every <dur>) --comment <text> --created-by <who>
         [--tag <t>] [--device-group <g>] [--isolated-longer-than <dur>]
         [--approval pre-approved|each-run] [--approval-timeout <dur>] [--approver <who>]... [--tenant <name>]
  Runs overlap policy: skip. Pre-approved runs record the creator as approver.`;

type Print = (human: string, data: unknown) => void;

/** What a bulk or schedule command runs with, once its input passed every check and the client is connected. */
export interface BulkContext {
  client: Client;
  values: BulkValues;
  print: Print;
  /** A progress line for people (stderr). */
  progress: (line: string) => void;
  /** Where batches start: --task-queue, TEMPORAL_TASK_QUEUE or the default. */
  taskQueue: string;
  /** The page's proof of who requests (`bulk --sign-in`), for the batch's workflow id in `values`. */
  requestToken?: string;
}

function selectorFrom(values: Record<string, unknown>): BulkSelector | undefined {
  const selector: BulkSelector = {
    ...(values.tag ? { machineTag: String(values.tag) } : {}),
    ...(values['device-group'] ? { deviceGroup: String(values['device-group']) } : {}),
    ...(values['isolated-longer-than'] ? { isolatedLongerThan: String(values['isolated-longer-than']) } : {}),
  };
  return Object.keys(selector).length > 0 ? selector : undefined;
}

const bulkOptions = {
  ...REQUEST_OPTIONS,
  ...CONNECTION_OPTIONS,
  machine: { type: 'string', multiple: true },
  tag: { type: 'string' },
  'device-group': { type: 'string' },
  'isolated-longer-than': { type: 'string' },
  'created-by': { type: 'string' },
  'dry-run': { type: 'boolean' },
  approval: { type: 'string' },
  concurrency: { type: 'string' },
  cron: { type: 'string' },
  every: { type: 'string' },
  // A signed-in requester (cli-signed-request.ts).
  'sign-in': { type: 'boolean' },
  'id-token-file': { type: 'string' },
  'approvals-url': { type: 'string' },
} as const;

export function parseBulkArgs(args: string[]) {
  return parseArgs({ args, allowPositionals: true, options: bulkOptions });
}

type BulkValues = ReturnType<typeof parseBulkArgs>['values'];

export function bulkRequestFrom(values: ReturnType<typeof parseBulkArgs>['values']): BulkReleaseRequest {
  return {
    ...(values.machine ? { machineIds: values.machine } : {}),
    ...(selectorFrom(values) ? { selector: selectorFrom(values)! } : {}),
    comment: values.comment ?? '',
    requestedBy: values['requested-by'] ?? '',
    ...(values['dry-run'] ? { dryRun: true } : {}),
    ...approvalFrom(values),
    ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
    ...(values['poll-interval'] ? { pollInterval: values['poll-interval'] } : {}),
    ...(values.deadline ? { deadline: values.deadline } : {}),
    ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
  };
}

export async function runBulk(ctx: BulkContext): Promise<number> {
  const { client, values, print, progress, taskQueue, requestToken } = ctx;
  const request = { ...bulkRequestFrom(values), ...(requestToken ? { requestToken } : {}) };
  const handle = await startBulkRelease(client, request, {
    workflowId: values['workflow-id'],
    taskQueue,
  });
  if (!values.wait) {
    print(safe`Started bulk release ${handle.workflowId}`, { workflowId: handle.workflowId });
    return 0;
  }
  progress(
    safe`Started bulk release ${handle.workflowId}; waiting for it to end (Ctrl-C stops waiting, not the batch)`,
  );
  const report: BulkReport = await followBulk(client, handle.workflowId, handle.result(), (p) =>
    progress(describeBulkProgress(p)),
  );
  print(
    [
      safe`Bulk release ${handle.workflowId}${report.dryRun ? ' (dry run)' : ''}: ${report.total} machines`,
      table(
        Object.entries(report.counts).map(([outcome, n]) => ({ outcome, n: String(n) })),
        [
          { key: 'outcome', title: 'OUTCOME' },
          { key: 'n', title: 'MACHINES' },
        ],
        'no machines',
      ),
    ].join('\n'),
    report,
  );
  return 0;
}

export async function runSchedule(ctx: BulkContext, sub: string, id: string | undefined): Promise<number> {
  const { client, values, print } = ctx;
  const need = () => {
    if (!id) throw new CliUsageError(`schedule ${sub} needs a schedule id\n\n${SCHEDULE_HELP}`);
    return id;
  };
  switch (sub) {
    case 'create':
      await createSchedule(ctx, need);
      print(safe`Created schedule ${id}`, { scheduleId: id });
      return 0;
    case 'list':
      await listSchedules(client, print);
      return 0;
    case 'describe':
      await describeSchedule(client, need(), print);
      return 0;
    case 'pause':
      await client.schedule.getHandle(need()).pause(values.reason);
      print(safe`Paused ${id}`, { scheduleId: id, paused: true });
      return 0;
    case 'unpause':
      await client.schedule.getHandle(need()).unpause(values.reason);
      print(safe`Unpaused ${id}`, { scheduleId: id, paused: false });
      return 0;
    case 'trigger':
      await client.schedule.getHandle(need()).trigger();
      print(safe`Triggered ${id}`, { scheduleId: id, triggered: true });
      return 0;
    case 'delete':
      await client.schedule.getHandle(need()).delete();
      print(safe`Deleted ${id}`, { scheduleId: id, deleted: true });
      return 0;
    default:
      throw new CliUsageError(`unknown schedule command ${JSON.stringify(sub)}\n\n${SCHEDULE_HELP}`);
  }
}

/** `schedule create`: its options checked in the order the help lists them, the schedule id once they pass. */
async function createSchedule({ client, values, taskQueue }: BulkContext, scheduleId: () => string): Promise<void> {
  const selector = selectorFrom(values);
  if (!selector) throw new CliUsageError('a schedule needs a selector (--tag, --device-group, --isolated-longer-than)');
  if (!values['created-by']) throw new CliUsageError('schedule create needs --created-by <who>');
  const mode = values.approval ?? 'pre-approved';
  if (mode !== 'pre-approved' && mode !== 'each-run') throw new CliUsageError('--approval is pre-approved or each-run');
  await createBulkSchedule(client, {
    scheduleId: scheduleId(),
    cron: values.cron,
    every: values.every,
    selector,
    comment: values.comment ?? '',
    createdBy: values['created-by'],
    approval:
      mode === 'pre-approved' ? { mode } : { mode, timeout: values['approval-timeout'], approvers: values.approver },
    ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
    ...(values['poll-interval'] ? { pollInterval: values['poll-interval'] } : {}),
    ...(values.deadline ? { deadline: values.deadline } : {}),
    ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
    taskQueue,
  });
}

async function listSchedules(client: Client, print: Print): Promise<void> {
  // One page (up to 1000) through the raw API: the paging iterator was seen to hang on a busy dev server.
  const page = await client.workflowService.listSchedules({
    namespace: client.options.namespace,
    maximumPageSize: 1000,
  });
  const rows = (page.schedules ?? []).map((entry) => ({
    scheduleId: entry.scheduleId ?? '',
    paused: entry.info?.paused ?? false,
    note: entry.info?.notes ?? null,
  }));
  print(
    table(
      rows.map((r) => ({ scheduleId: r.scheduleId, paused: r.paused ? 'paused' : 'active', note: r.note ?? '' })),
      [
        { key: 'scheduleId', title: 'SCHEDULE' },
        { key: 'paused', title: 'STATE' },
        { key: 'note', title: 'NOTE' },
      ],
      'no schedules',
    ),
    rows,
  );
}

async function describeSchedule(client: Client, scheduleId: string, print: Print): Promise<void> {
  const d = await client.schedule.getHandle(scheduleId).describe();
  const data = {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note,
    nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentActions: d.info.recentActions.map((a) => ({
      at: a.takenAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    })),
    runningActions: d.info.runningActions.map((a) => a.workflow.workflowId),
  };
  print(safeJson(data), data);
}

/** A batch's progress for people; every value in it came from the workflow (`safe`). */
export function formatProgress(p: BulkProgress): string {
  return [
    safe`Bulk release ${p.workflowId}: ${p.state}${p.dryRun ? ' (dry run)' : ''}, ${p.total} machines (run ${p.run})`,
    safe`  counts        ${
      Object.entries(p.counts)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ') || '-'
    }`,
    ...(p.targetDigest ? [safe`  targets       sha256 ${p.targetDigest}`] : []),
    ...(p.approval.decision
      ? [safe`  approval      ${p.approval.decision.decision} by ${p.approval.decision.by}`]
      : []),
    ...p.failed.slice(0, 20).map((f) => safe`  failed        ${f.machineId} ${f.type}`),
  ].join('\n');
}
