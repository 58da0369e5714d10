/**
 * defender-isolation CLI: start, approve, reject, inspect and cancel releases. `--json` prints machine-readable output
 * for playbooks. Exit codes: 0 ok; 1 unexpected error; 2 invalid usage or input (nothing started); 3 the release
 * ended in failure (with --wait); 4 an approval or rejection was refused; 5 no such release.
 */
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { isReleaseState, RELEASE_STATES, type ReleaseRequest } from '../contract/index.js';
import { approvalFrom } from './cli-approval.js';
import {
  BULK_HELP,
  bulkRequestFrom,
  CliUsageError,
  parseBulkArgs,
  runBulk,
  runSchedule,
  SCHEDULE_HELP,
} from './cli-bulk.js';
import { EXIT, progressLine, safe, safeJson, type Io } from './cli-output.js';
import {
  RELEASE_COMMAND_OPTIONS,
  RELEASE_COMMANDS,
  type CommandContext,
  type CommandValues,
} from './cli-release-commands.js';
import { packageVersion } from './package-version.js';
import { InvalidReleaseRequestError, ReleaseUpdateRefusedError } from './release-client.js';

export { EXIT } from './cli-output.js';
export { formatStatus } from './cli-release-commands.js';

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

Global options: --json (machine-readable output on stdout; progress and errors go to stderr), --help (any command),
  --version
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

/**
 * Every error of every command, mapped once to an exit code and a message. Errors go to stderr always (a JSON error
 * object with --json), so that stdout carries results only and a playbook never parses an error as one.
 */
function reportError(err: unknown, io: Io, json: boolean, help?: string): number {
  const report = (code: number, type: string, message: string) => {
    if (json) io.err(safeJson({ error: { type, message } }));
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
  if (command === '--version') {
    io.out(`defender-isolation version ${packageVersion()}`);
    return EXIT.ok;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP.main!);
    return command ? EXIT.ok : EXIT.usage;
  }
  if (command === 'bulk' || command === 'schedule') return runBulkCommand(command, rest, io);
  const run = RELEASE_COMMANDS[command];
  if (!run) {
    io.err(`unknown command ${JSON.stringify(command)}\n\n${HELP.main}`);
    return EXIT.usage;
  }
  // Known before parsing, so that a usage error is JSON too.
  let json = rest.includes('--json');
  let connection: Connection | undefined;
  try {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: RELEASE_COMMAND_OPTIONS });
    json = values.json ?? false;
    if (values.help) {
      io.out(HELP[command]!);
      return EXIT.ok;
    }
    const target = targetOf(command, positionals);
    // Validate before connecting: invalid input never reaches Temporal, let alone Defender.
    const checked = await checkBeforeConnecting(command, target, values);
    const connected = await connectClient();
    connection = connected.connection;
    const print = (human: string, data: unknown) => io.out(json ? safeJson(data) : human);
    return await run({ client: connected.client, target, values, print, io, ...checked });
  } catch (err) {
    return reportError(err, io, json, HELP[command]);
  } finally {
    await connection?.close();
  }
}

/** The one machine or workflow id a command names (`list` names none). */
function targetOf(command: string, positionals: string[]): string {
  if (command === 'list' ? positionals.length !== 0 : positionals.length !== 1) {
    throw new UsageError(
      `${command} takes ${command === 'list' ? 'no arguments' : 'exactly one machine or workflow id'}\n\n${HELP[command]}`,
    );
  }
  return positionals[0] ?? '';
}

/** Everything a command's input must pass before the CLI connects: the release request, decision options, limits. */
async function checkBeforeConnecting(
  command: string,
  target: string,
  values: CommandValues,
): Promise<Pick<CommandContext, 'request' | 'limit'>> {
  let request: ReleaseRequest | undefined;
  if (command === 'release') {
    request = releaseRequestFrom(target, values);
    const { checkWorkflowId, parseReleaseRequest } = await import('../contract/schemas/index.js');
    parseReleaseRequest(request);
    if (values['workflow-id'] !== undefined) checkWorkflowId(values['workflow-id'], 'release request');
  }
  if ((command === 'approve' || command === 'reject') && !values.by) {
    throw new UsageError(`${command} needs --by <who>`);
  }
  if (command === 'reject' && !values.reason) throw new UsageError('reject needs --reason <text>');
  if (values.state !== undefined && !isReleaseState(values.state)) {
    // The value is not echoed: the states there are say what was meant.
    throw new UsageError(`--state must be one of: ${[...RELEASE_STATES.running, ...RELEASE_STATES.ended].join(', ')}`);
  }
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1 to 1000');
  return { request, limit };
}

function releaseRequestFrom(machineId: string, values: CommandValues): ReleaseRequest {
  return {
    machineId,
    comment: values.comment ?? '',
    requestedBy: values['requested-by'] ?? '',
    ...(values.incident !== undefined ? { incidentId: values.incident } : {}),
    ...approvalFrom(values),
    ...(values['poll-interval'] !== undefined ? { pollInterval: values['poll-interval'] } : {}),
    ...(values.deadline !== undefined ? { deadline: values.deadline } : {}),
    ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
  };
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

if (import.meta.url === `file://${process.argv[1]}`) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(EXIT.error);
    },
  );
}
