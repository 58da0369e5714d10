/**
 * defender-isolation CLI: start, approve, reject, inspect and cancel releases. `--json` prints machine-readable output
 * for playbooks on stdout; errors go to stderr. Exit codes: 0 ok; 1 unexpected error, or Temporal unreachable or
 * without the namespace; 2 invalid usage or input (nothing started); 3 the release ended in failure (with --wait); 4 an
 * approval, rejection or cancellation was refused; 5 no such release or schedule.
 */
import { parseArgs } from 'node:util';
import {
  BRIEF_STATES,
  isReleaseState,
  RELEASE_STATES,
  releaseWorkflowId,
  type ReleaseRequest,
} from '../contract/index.js';
import { approvalFrom } from './cli-approval.js';
import { newBulkWorkflowId } from './bulk-client.js';
import { BULK_HELP, bulkRequestFrom, parseBulkArgs, runBulk, runSchedule, SCHEDULE_HELP } from './cli-bulk.js';
import { CONNECTION_OPTIONS, temporalTarget, withTemporal } from './cli-connection.js';
import { isVerifiedDecision, runVerifiedDecision } from './cli-verified-decision.js';
import {
  checkSignedInRequest,
  isSignedInRequest,
  requestAsSignedIn,
  SIGNED_IN_STAND_IN,
} from './cli-signed-request.js';
import { reportError } from './cli-errors.js';
import { HELP } from './cli-help.js';
import { CliUsageError, EXIT, progressLine, safeJson, type Io } from './cli-output.js';
import {
  RELEASE_COMMAND_OPTIONS,
  RELEASE_COMMANDS,
  type CommandContext,
  type CommandValues,
} from './cli-release-commands.js';
import { runUiView, UI_VIEW_HELP } from './cli-ui-view.js';
import { packageVersion } from './package-version.js';

export { EXIT } from './cli-output.js';
export { formatStatus } from './cli-release-commands.js';

export async function runCli(argv: string[], io: Io = { out: console.log, err: console.error }): Promise<number> {
  const { command, rest } = splitCommand(argv);
  if (command === undefined || command === 'help') return withoutCommand(command, rest, io);
  if (command === 'bulk' || command === 'schedule') return runBulkCommand(command, rest, io);
  if (command === 'ui-view') {
    try {
      return runUiView(rest, io);
    } catch (err) {
      return reportError(err, io, rest.includes('--json'), UI_VIEW_HELP);
    }
  }
  const run = RELEASE_COMMANDS[command];
  if (!run) {
    io.err(`unknown command ${JSON.stringify(command)}\n\n${HELP.main}`);
    return EXIT.usage;
  }
  // Known before parsing, so that a usage error is JSON too.
  let json = rest.includes('--json');
  try {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: RELEASE_COMMAND_OPTIONS });
    json = values.json ?? false;
    if (values.help) {
      io.out(HELP[command]!);
      return EXIT.ok;
    }
    const target = targetOf(command, positionals);
    const print = (human: string, data: unknown) => io.out(json ? safeJson(data) : human);
    if (isVerifiedDecision(command, values)) {
      const verb = command as 'approve' | 'reject';
      return await runVerifiedDecision({ command: verb, target, values, print, io });
    }
    const proven = await proveReleaseRequester(command, target, values, io);
    // Validate before connecting: invalid input never reaches Temporal, let alone Defender.
    const checked = await checkBeforeConnecting(command, target, proven.values, proven.requestToken);
    const temporal = temporalTarget(values);
    return await withTemporal(temporal, (client) =>
      run({ client, target, values, print, io, taskQueue: temporal.taskQueue, ...checked }),
    );
  } catch (err) {
    return reportError(err, io, json, HELP[command]);
  }
}

/**
 * The command, and the arguments around it: global options may come before the command too (`defender-isolation
 * --namespace prod status …`), as with `temporal` and `gh`. A global option's value is not taken for the command.
 */
function splitCommand(argv: string[]): { command: string | undefined; rest: string[] } {
  const takesValue = (arg: string) => {
    const option = CONNECTION_OPTIONS[arg.slice(2) as keyof typeof CONNECTION_OPTIONS];
    return arg.startsWith('--') && option?.type === 'string';
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    if (takesValue(arg)) i++;
  }
  return { command: undefined, rest: argv };
}

/** `--version`, `--help` and `help`; anything else without a command is a usage error (its usage on stderr). */
function withoutCommand(command: 'help' | undefined, rest: string[], io: Io): number {
  if (command === undefined && rest.includes('--version')) {
    io.out(`defender-isolation version ${packageVersion()}`);
    return EXIT.ok;
  }
  if (command === 'help' || rest.includes('--help') || rest.includes('-h')) {
    io.out(HELP.main!);
    return EXIT.ok;
  }
  io.err(HELP.main!);
  return EXIT.usage;
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

/**
 * `release --sign-in`: the request is checked with a stand-in requester first (nobody signs in for a typo), then the
 * page signs a request token for the release's workflow id, and the signed-in name becomes `requestedBy`.
 */
async function proveReleaseRequester(
  command: string,
  target: string,
  values: CommandValues,
  io: Io,
): Promise<{ values: CommandValues; requestToken?: string }> {
  if (command !== 'release' || !isSignedInRequest(values)) return { values };
  checkSignedInRequest(command, values);
  await checkBeforeConnecting(command, target, { ...values, 'requested-by': SIGNED_IN_STAND_IN });
  const workflowId = values['workflow-id'] ?? releaseWorkflowId(target.toLowerCase());
  const requested = await requestAsSignedIn(values, workflowId, io);
  return { values: { ...values, 'requested-by': requested.requestedBy }, requestToken: requested.requestToken };
}

/** Everything a command's input must pass before the CLI connects: the release request, decision options, limits. */
async function checkBeforeConnecting(
  command: string,
  target: string,
  values: CommandValues,
  requestToken?: string,
): Promise<Pick<CommandContext, 'request' | 'limit'>> {
  let request: ReleaseRequest | undefined;
  if (command === 'release') {
    request = { ...releaseRequestFrom(target, values), ...(requestToken ? { requestToken } : {}) };
    const { checkWorkflowId, parseReleaseRequest } = await import('../contract/schemas/index.js');
    parseReleaseRequest(request);
    if (values['workflow-id'] !== undefined) checkWorkflowId(values['workflow-id'], 'release request');
  }
  if ((command === 'approve' || command === 'reject') && !values.by) {
    throw new CliUsageError(
      `${command} needs --by <who> (a named decision), or --sign-in or --id-token-file <file> (a verified one)`,
    );
  }
  if (command === 'reject' && !values.reason) throw new CliUsageError('reject needs --reason <text>');
  if (command === 'cancel') {
    if (!values.by || !values.reason) throw new CliUsageError('cancel needs --by <who> and --reason <text>');
    const { parseCancelRelease } = await import('../contract/schemas/index.js');
    parseCancelRelease({ by: values.by, reason: values.reason });
  }
  if (values.state !== undefined && !isReleaseState(values.state)) {
    // The value is not echoed: the states there are say what was meant.
    throw new CliUsageError(
      `--state must be one of: ${[...RELEASE_STATES.running, ...RELEASE_STATES.ended].join(', ')}`,
    );
  }
  if (values.state !== undefined && BRIEF_STATES.includes(values.state)) {
    throw new CliUsageError(
      `--state ${values.state}: a brief step the ReleaseState search attribute does not record (a release in it is ` +
        `listed as validating, or as releasing after an approval); its status shows it`,
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

/** A batch's request checked before connecting; with --sign-in, its requester proven for the workflow id chosen here. */
async function proveBulkRequester(values: BulkValues, io: Io): Promise<{ values: BulkValues; requestToken?: string }> {
  const { checkWorkflowId, parseBulkRequest } = await import('../contract/schemas/index.js');
  const check = (v: BulkValues) => {
    parseBulkRequest(bulkRequestFrom(v));
    if (v['workflow-id'] !== undefined) checkWorkflowId(v['workflow-id'], 'bulk release request');
  };
  if (!isSignedInRequest(values)) {
    check(values);
    return { values };
  }
  checkSignedInRequest('bulk', values);
  const workflowId = values['workflow-id'] ?? newBulkWorkflowId();
  check({ ...values, 'requested-by': SIGNED_IN_STAND_IN, 'workflow-id': workflowId });
  const requested = await requestAsSignedIn(values, workflowId, io);
  const proven = { ...values, 'requested-by': requested.requestedBy, 'workflow-id': workflowId };
  check(proven);
  return { values: proven, requestToken: requested.requestToken };
}

type BulkValues = ReturnType<typeof parseBulkArgs>['values'];

async function runBulkCommand(command: 'bulk' | 'schedule', rest: string[], io: Io): Promise<number> {
  let json = rest.includes('--json');
  try {
    const parsed = parseBulkArgs(rest);
    const { positionals } = parsed;
    let { values } = parsed;
    json = values.json ?? false;
    if (values.help) {
      io.out(command === 'bulk' ? BULK_HELP : SCHEDULE_HELP);
      return EXIT.ok;
    }
    let requestToken: string | undefined;
    if (command === 'bulk') {
      ({ values, requestToken } = await proveBulkRequester(values, io));
    } else if (positionals.length === 0) {
      throw new CliUsageError(SCHEDULE_HELP);
    }
    const temporal = temporalTarget(values);
    const print = (human: string, data: unknown) => io.out(json ? safeJson(data) : human);
    const progress = (line: string) => io.err(progressLine(line));
    return await withTemporal(temporal, (client) => {
      const ctx = { client, values, print, progress, taskQueue: temporal.taskQueue, requestToken };
      return command === 'bulk' ? runBulk(ctx) : runSchedule(ctx, positionals[0]!, positionals[1]);
    });
  } catch (err) {
    return reportError(err, io, json, command === 'bulk' ? BULK_HELP : SCHEDULE_HELP);
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
