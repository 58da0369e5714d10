/**
 * defender-isolation CLI: start, approve, reject, inspect and cancel releases. `--json` prints machine-readable output
 * for playbooks. Exit codes: 0 ok; 1 unexpected error; 2 invalid usage or input (nothing started); 3 the release
 * ended in failure (with --wait); 4 an approval or rejection was refused; 5 no such release.
 */
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ReleaseRequest, ReleaseStatus } from '../contract/index.js';
import { approveBulkRelease, getBulkProgress } from './bulk-client.js';
import { approvalFrom } from './cli-approval.js';
import {
  BULK_HELP,
  bulkRequestFrom,
  CliUsageError,
  formatProgress,
  parseBulkArgs,
  runBulk,
  runSchedule,
  SCHEDULE_HELP,
} from './cli-bulk.js';
import { progressLine, REQUEST_OPTIONS, safe, safeJson, table, type Io } from './cli-output.js';
import { describeReleaseProgress, followRelease } from './cli-progress.js';
import { listReleases } from './release-list.js';
import {
  approveRelease,
  cancelRelease,
  getReleaseStatus,
  InvalidReleaseRequestError,
  rejectRelease,
  releaseTarget,
  ReleaseUpdateRefusedError,
  startRelease,
  waitForRelease,
} from './release-client.js';

export const EXIT = { ok: 0, error: 1, usage: 2, releaseFailed: 3, refused: 4, notFound: 5 } as const;

const HELP: Record<string, string> = {
  main: `Usage: defender-isolation <command> [options]

Commands:
  release <machineId>          start (or join) the release of a machine from isolation
  approve <machineId|workflowId> --by <who> [--comment <text>]
  reject  <machineId|workflowId> --by <who> --reason <text>
  status  <machineId|workflowId>
  list    [--state <state>] [--machine <id>] [--incident <id>] [--limit <n>]   releases as a table
  cancel  <machineId|workflowId>
  bulk    (--machine <id>... | --tag/--device-group/--isolated-longer-than) …   release many machines, one approval
  schedule <create|list|describe|pause|unpause|trigger|delete> …                recurring bulk releases

Global options: --json (machine-readable output on stdout; progress and errors go to stderr), --help (any command)
Environment: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default "default"),
  TEMPORAL_TASK_QUEUE (default "defender-isolation"), TEMPORAL_API_KEY
Exit codes: 0 ok, 1 error, 2 invalid usage or input (nothing started), 3 release failed (--wait),
  4 approval or rejection refused, 5 no such release or schedule`,
  release: `Usage: defender-isolation release <machineId> --comment <text> --requested-by <who> [options]

  --comment <text>            why the machine may be released (1-1000 characters; sent to Defender)
  --requested-by <who>        who or what asks, e.g. alice@contoso.com or playbook:incident-42
  --incident <id>             incident id, searchable as IncidentId
  --approver <who>            allowed approver (repeatable); anyone but the requester when absent
  --approval-timeout <dur>    how long to wait for approval (default 24h)
  --pre-approved-by <who>     the decision was taken elsewhere (needs --reason)
  --reason <text>             why it is pre-approved
  --poll-interval <dur>       how often to poll the machine action (default 30s, minimum 1s)
  --deadline <dur>            how long to follow the machine action (default 72h)
  --tenant <name>             the machine's Defender tenant (MSSP), as configured on the worker
  --workflow-id <id>          override the default release-<machineId>
  --wait                      print progress (stderr) until the release ends; exit 3 if it failed
  --json                      print JSON`,
  approve: `Usage: defender-isolation approve <machineId|workflowId> --by <who> [--comment <text>] [--json]`,
  reject: `Usage: defender-isolation reject <machineId|workflowId> --by <who> --reason <text> [--json]`,
  status: `Usage: defender-isolation status <machineId|workflowId> [--json]`,
  cancel: `Usage: defender-isolation cancel <machineId|workflowId> [--json]`,
  list: `Usage: defender-isolation list [--state <state>] [--machine <id>] [--incident <id>] [--limit <n>] [--json]
  Releases, running ones first (default limit 50), through the search attributes DefenderMachineId, ReleaseState, IncidentId.`,
};

class UsageError extends Error {}

/** The Temporal client the CLI uses, from the environment (the same variables as the worker). */
async function connectClient(): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    ...(process.env.TEMPORAL_API_KEY ? { apiKey: process.env.TEMPORAL_API_KEY, tls: true } : {}),
  });
  return { connection, client: new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' }) };
}

/** Every error of every command, mapped once to an exit code and a message (JSON on stdout with --json). */
function reportError(err: unknown, io: Io, json: boolean, help?: string): number {
  const report = (code: number, type: string, message: string) => {
    if (json) io.out(safeJson({ error: { type, message } }));
    // A refusal or failure message comes from the workflow or the server; the CLI's own usage text is shown as it is.
    else io.err(type === 'UsageError' ? message : safe`${type}: ${message}`);
    return code;
  };
  if (err instanceof UsageError || err instanceof CliUsageError) return report(EXIT.usage, 'UsageError', err.message);
  if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
    return report(EXIT.usage, 'UsageError', help ? `${err.message}\n\n${help}` : err.message);
  }
  if (err instanceof InvalidReleaseRequestError) return report(EXIT.usage, 'InvalidInput', err.message);
  if (err instanceof ReleaseUpdateRefusedError) return report(EXIT.refused, 'Refused', err.message);
  if (err instanceof WorkflowNotFoundError)
    return report(EXIT.notFound, 'NotFound', `no release ${err.workflowId ?? ''}`.trim());
  if (err instanceof Error && err.name === 'ScheduleNotFoundError')
    return report(EXIT.notFound, 'NotFound', err.message);
  return report(EXIT.error, 'Error', err instanceof Error ? err.message : String(err));
}

export async function runCli(argv: string[], io: Io = { out: console.log, err: console.error }): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP.main!);
    return command ? EXIT.ok : EXIT.usage;
  }
  if (command === 'bulk' || command === 'schedule') return runBulkCommand(command, rest, io);
  if (!HELP[command] || command === 'main') {
    io.err(`unknown command ${JSON.stringify(command)}\n\n${HELP.main}`);
    return EXIT.usage;
  }
  let json = false;
  let connection: Connection | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        ...REQUEST_OPTIONS,
        incident: { type: 'string' },
        by: { type: 'string' },
        digest: { type: 'string' },
        state: { type: 'string' },
        machine: { type: 'string' },
        limit: { type: 'string' },
      },
    });
    json = values.json ?? false;
    if (values.help) {
      io.out(HELP[command]!);
      return EXIT.ok;
    }
    if (command === 'list' ? positionals.length !== 0 : positionals.length !== 1)
      throw new UsageError(
        `${command} takes ${command === 'list' ? 'no arguments' : 'exactly one machine or workflow id'}\n\n${HELP[command]}`,
      );
    const target = positionals[0] ?? '';
    const print = (human: string, data: unknown) => io.out(json ? safeJson(data) : human);

    // Validate before connecting: invalid input never reaches Temporal, let alone Defender.
    let request: ReleaseRequest | undefined;
    if (command === 'release') {
      request = {
        machineId: target,
        comment: values.comment ?? '',
        requestedBy: values['requested-by'] ?? '',
        ...(values.incident !== undefined ? { incidentId: values.incident } : {}),
        ...approvalFrom(values),
        ...(values['poll-interval'] !== undefined ? { pollInterval: values['poll-interval'] } : {}),
        ...(values.deadline !== undefined ? { deadline: values.deadline } : {}),
        ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
      };
      const { checkWorkflowId, parseReleaseRequest } = await import('../contract/schemas/index.js');
      parseReleaseRequest(request);
      if (values['workflow-id'] !== undefined) checkWorkflowId(values['workflow-id'], 'release request');
    }
    if ((command === 'approve' || command === 'reject') && !values.by)
      throw new UsageError(`${command} needs --by <who>`);
    if (command === 'reject' && !values.reason) throw new UsageError('reject needs --reason <text>');

    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1 to 1000');

    const connected = await connectClient();
    connection = connected.connection;
    const client = connected.client;

    switch (command) {
      case 'list': {
        const rows = await listReleases(client, {
          state: values.state,
          machineId: values.machine,
          incidentId: values.incident,
          limit,
        });
        print(
          table(
            rows.map((r) => ({ ...r, incidentId: r.incidentId ?? '-', state: r.state ?? r.status })),
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
      case 'release': {
        const started = await startRelease(client, request!, { workflowId: values['workflow-id'] });
        const line = safe`${started.joined ? 'Joined the running' : 'Started'} release ${started.workflowId}`;
        if (!values.wait) {
          print(line, { workflowId: started.workflowId, joined: started.joined });
          return EXIT.ok;
        }
        io.err(progressLine(`${line}; waiting for it to end (Ctrl-C stops waiting, not the release)`));
        try {
          const result = await followRelease(
            client,
            started.workflowId,
            waitForRelease(client, started.workflowId),
            (s) => io.err(progressLine(describeReleaseProgress(s))),
          );
          print(safe`Release ${started.workflowId}: ${result.outcome}`, { workflowId: started.workflowId, ...result });
          return EXIT.ok;
        } catch (err) {
          if (err instanceof WorkflowFailedError) {
            const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
            const failure = {
              type: cause?.type ?? err.cause?.name ?? 'Unknown',
              message: err.cause?.message ?? err.message,
            };
            print(safe`Release ${started.workflowId} failed: ${failure.type}: ${failure.message}`, {
              workflowId: started.workflowId,
              failure,
            });
            return EXIT.releaseFailed;
          }
          throw err;
        }
      }
      case 'approve': {
        const decision = { approver: values.by!, ...(values.comment ? { comment: values.comment } : {}) };
        // A batch approval names the digest of the targets the approver reviewed; a batch refuses any other.
        const status = values.digest
          ? await approveBulkRelease(client, target, { ...decision, targetDigest: values.digest })
          : await approveRelease(client, target, decision);
        print(safe`Approved ${status.workflowId} as ${values.by}`, status);
        return EXIT.ok;
      }
      case 'reject': {
        const status = await rejectRelease(client, target, { approver: values.by!, reason: values.reason! });
        print(safe`Rejected ${status.workflowId} as ${values.by}`, status);
        return EXIT.ok;
      }
      case 'status': {
        const status = await getReleaseStatus(client, target).catch(async (err: unknown) => {
          // A bulk release answers `progress`, not `status`.
          if (err instanceof Error && /status/i.test(err.message) && !(err instanceof WorkflowNotFoundError)) {
            return getBulkProgress(client, target);
          }
          throw err;
        });
        print('counts' in status ? formatProgress(status) : formatStatus(status), status);
        return EXIT.ok;
      }
      case 'cancel': {
        await cancelRelease(client, target);
        print(safe`Cancellation requested for ${releaseTarget(target)}`, {
          workflowId: releaseTarget(target),
          cancelRequested: true,
        });
        return EXIT.ok;
      }
    }
    return EXIT.usage;
  } catch (err) {
    return reportError(err, io, json, HELP[command]);
  } finally {
    await connection?.close();
  }
}

async function runBulkCommand(command: 'bulk' | 'schedule', rest: string[], io: Io): Promise<number> {
  let json = rest.includes('--json');
  let connection: Connection | undefined;
  try {
    const { values, positionals } = parseBulkArgs(rest);
    json = values.json ?? false;
    if (values.help) {
      io.out(command === 'bulk' ? BULK_HELP : SCHEDULE_HELP);
      return EXIT.ok;
    }
    if (command === 'bulk') {
      const { checkWorkflowId, parseBulkRequest } = await import('../contract/schemas/index.js');
      parseBulkRequest(bulkRequestFrom(values));
      if (values['workflow-id'] !== undefined) checkWorkflowId(values['workflow-id'], 'bulk release request');
    } else if (positionals.length === 0) {
      throw new CliUsageError(SCHEDULE_HELP);
    }
    const connected = await connectClient();
    connection = connected.connection;
    const print = (human: string, data: unknown) => io.out(json ? safeJson(data) : human);
    return command === 'bulk'
      ? await runBulk(connected.client, values, print, (line) => io.err(progressLine(line)))
      : await runSchedule(connected.client, positionals[0]!, positionals[1], values, print);
  } catch (err) {
    return reportError(err, io, json, command === 'bulk' ? BULK_HELP : SCHEDULE_HELP);
  } finally {
    await connection?.close();
  }
}

/** A release's status for people; every value in it came from the workflow (`safe`). */
export function formatStatus(s: ReleaseStatus): string {
  const lines = [
    safe`Release ${s.workflowId}: ${s.state}`,
    safe`  machine       ${s.machineId ?? '?'}${s.computerDnsName ? ` (${s.computerDnsName})` : ''}`,
    safe`  requested by  ${s.requestedBy ?? '?'} at ${s.requestedAt}${s.incidentId ? ` for incident ${s.incidentId}` : ''}`,
  ];
  if (s.approval.mode === 'required' && !s.approval.decision) {
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
  if (s.cancelledIsolationActionId)
    lines.push(safe`  cancelled     in-flight isolation ${s.cancelledIsolationActionId}`);
  if (s.lastError) lines.push(safe`  last error    ${s.lastError.type}: ${s.lastError.message}`);
  if (s.result) lines.push(safe`  result        ${s.result.outcome} at ${s.result.completedAt}`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(EXIT.error);
    },
  );
}
