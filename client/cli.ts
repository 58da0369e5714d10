/**
 * defender-isolation CLI: start, approve, reject, inspect and cancel releases. `--json` prints machine-readable output
 * for playbooks. Exit codes: 0 ok; 1 unexpected error; 2 invalid usage or input (nothing started); 3 the release
 * ended in failure (with --wait); 4 an approval or rejection was refused; 5 no such release.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { isReleaseState, RELEASE_STATES, type ReleaseRequest } from '../contract/index.js';
import { approvalFrom } from './cli-approval.js';
import { BULK_HELP, bulkRequestFrom, parseBulkArgs, runBulk, runSchedule, SCHEDULE_HELP } from './cli-bulk.js';
import { reportError } from './cli-errors.js';
import { HELP } from './cli-help.js';
import { CliUsageError, EXIT, progressLine, safeJson, type Io } from './cli-output.js';
import {
  RELEASE_COMMAND_OPTIONS,
  RELEASE_COMMANDS,
  type CommandContext,
  type CommandValues,
} from './cli-release-commands.js';
import { packageVersion } from './package-version.js';

export { EXIT } from './cli-output.js';
export { formatStatus } from './cli-release-commands.js';

/** The Temporal client the CLI uses, from the environment (the same variables as the worker). */
async function connectClient(): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    ...(process.env.TEMPORAL_API_KEY ? { apiKey: process.env.TEMPORAL_API_KEY, tls: true } : {}),
  });
  return { connection, client: new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' }) };
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
    throw new CliUsageError(
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
    throw new CliUsageError(`${command} needs --by <who>`);
  }
  if (command === 'reject' && !values.reason) throw new CliUsageError('reject needs --reason <text>');
  if (values.state !== undefined && !isReleaseState(values.state)) {
    // The value is not echoed: the states there are say what was meant.
    throw new CliUsageError(
      `--state must be one of: ${[...RELEASE_STATES.running, ...RELEASE_STATES.ended].join(', ')}`,
    );
  }
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliUsageError('--limit must be 1 to 1000');
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
