/** What `--help` prints: the CLI's usage, and each release command's. (bulk and schedule have theirs in cli-bulk.ts.) */

/** The verified decision's options, shared by approve and reject. */
const VERIFIED_HELP = `
  --by <who>                  a named decision, sent to the release as it is (tenants that verify refuse it)
  --sign-in                   a verified decision: sign in at the identity provider (device code: open the URL
                              printed on stderr, enter the code), then the approvals page decides as you
  --id-token-file <file>      the same with an ID token the identity provider issued to the CLI (automation);
                              read from the file, never from the command line
  --approvals-url <url>       the approvals page            APPROVALS_PAGE_URL (default http://127.0.0.1:8091)`;

export const HELP: Record<string, string> = {
  main: `Usage: defender-isolation <command> [options]

Commands:
  release <machineId>          start (or join) the release of a machine from isolation
  approve <machineId|workflowId> --by <who> [--comment <text>]
  approve <machineId|workflowId> (--sign-in | --id-token-file <file>) [--comment <text>]   verified, via the page
  reject  <machineId|workflowId> --by <who> --reason <text>
  reject  <machineId|workflowId> (--sign-in | --id-token-file <file>) --reason <text>
  status  <machineId|workflowId>
  list    [--state <state>] [--machine <id>] [--incident <id>] [--limit <n>]   releases as a table
  cancel  <machineId|workflowId> --by <who> --reason <text>
  bulk    (--machine <id>... | --tag/--device-group/--isolated-longer-than) …   release many machines, one approval
  schedule <create|list|describe|pause|unpause|trigger|delete> …                recurring bulk releases
  ui-view [--namespace <ns>] [--ui-url <url>]   the Temporal UI's list for analysts (columns, saved views)

Global options (any command, before or after it; an option given wins over its environment variable):
  --json                      machine-readable output on stdout; progress and errors go to stderr
  --address <host:port>       Temporal's address                  TEMPORAL_ADDRESS (default 127.0.0.1:7233)
  --namespace <name>          its namespace                       TEMPORAL_NAMESPACE (default "default")
  --task-queue <name>         where releases and batches start    TEMPORAL_TASK_QUEUE (default "defender-isolation")
  --api-key <key>             API key (implies TLS)               TEMPORAL_API_KEY (prefer it: ps shows options)
  --tls                       TLS with the system's CAs           TEMPORAL_TLS (true/false)
  --tls-cert-path <file>      client certificate (mTLS)           TEMPORAL_TLS_CLIENT_CERT_PATH
  --tls-key-path <file>       its private key                     TEMPORAL_TLS_CLIENT_KEY_PATH
  --tls-ca-path <file>        CA for the server's certificate     TEMPORAL_TLS_CA_PATH
  --tls-server-name <name>    server name to verify (and SNI)     TEMPORAL_TLS_SERVER_NAME
  --help (any command), --version
Exit codes: 0 ok, 1 error, 2 invalid usage or input (nothing started), 3 release failed (--wait),
  4 approval, rejection or cancellation refused, 5 no such release or schedule`,
  release: `Usage: defender-isolation release <machineId> --comment <text> --requested-by <who> [options]
       defender-isolation release <machineId> --comment <text> (--sign-in | --id-token-file <file>) [options]

  --comment <text>            why the machine may be released (1-1000 characters; sent to Defender)
  --requested-by <who>        who or what asks, e.g. alice@contoso.com or playbook:incident-42; where approvals are
                              verified, a person signs in instead (a playbook: requester needs no proof)
  --sign-in                   prove who asks: sign in at the identity provider (device code); the approvals page
                              signs a request token and the signed-in name is the requester
  --id-token-file <file>      the same with an ID token read from a file (automation acting for a person)
  --approvals-url <url>       the approvals page (default APPROVALS_PAGE_URL, else http://127.0.0.1:8091)
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
  approve: `Usage: defender-isolation approve <machineId|workflowId> --by <who> [--comment <text>] [--json]
       defender-isolation approve <machineId|workflowId> (--sign-in | --id-token-file <file>) [--comment <text>]
         [--approvals-url <url>] [--json]
${VERIFIED_HELP}`,
  reject: `Usage: defender-isolation reject <machineId|workflowId> --by <who> --reason <text> [--json]
       defender-isolation reject <machineId|workflowId> (--sign-in | --id-token-file <file>) --reason <text>
         [--approvals-url <url>] [--json]
${VERIFIED_HELP}`,
  status: `Usage: defender-isolation status <machineId|workflowId> [--json]`,
  cancel: `Usage: defender-isolation cancel <machineId|workflowId> --by <who> --reason <text> [--json]
  Cancels the release (and a pending Defender action), recording who and why in its history and status.
  A batch (bulk-…) is cancelled through Temporal with its releases; who and why go into the cancel request.`,
  list: `Usage: defender-isolation list [--state <state>] [--machine <id>] [--incident <id>] [--limit <n>] [--json]
  Releases, running ones first (default limit 50), through the search attributes DefenderMachineId, ReleaseState, IncidentId.`,
};
