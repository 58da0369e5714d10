/** `defender-isolation ui-view`: prints the analyst view of the Temporal UI (./ui-view.ts). Connects to nothing. */
import { parseArgs } from 'node:util';
import { CliUsageError, EXIT, safeJson, type Io } from './cli-output.js';
import { analystView } from './ui-view.js';

export const UI_VIEW_HELP = `Usage: defender-isolation ui-view [--namespace <ns>] [--ui-url <url>] [--json]

  The Temporal UI's workflow list for analysts: columns ReleaseState, IncidentId and DefenderMachineId, and saved
  views (releases awaiting approval, running, that did not release). The UI keeps these in the browser, per
  namespace: open the printed bookmarklet on the UI (or paste the script into the browser console there) once per
  browser. Requester and approver are not search attributes and have no column; the release's page shows them.

  --namespace <ns>   default: TEMPORAL_NAMESPACE, else "default"
  --ui-url <url>     the UI's address, for the links (default: TEMPORAL_UI_URL, else http://localhost:8233)
  --json             print { namespace, columns, views, script, bookmarklet }`;

// Temporal's namespace names are made of these; the name goes into a script and a link, so nothing else is taken.
const NAMESPACE = /^[A-Za-z0-9._-]{1,255}$/;

/** Prints the view; a bad option throws a usage error, which the CLI reports (exit 2) as for every command. */
export function runUiView(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    options: {
      namespace: { type: 'string' },
      'ui-url': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(UI_VIEW_HELP);
    return EXIT.ok;
  }
  const namespace = values.namespace ?? (process.env.TEMPORAL_NAMESPACE || 'default');
  if (!NAMESPACE.test(namespace)) throw new CliUsageError('--namespace must be 1-255 letters, digits, ".", "_" or "-"');
  const uiUrl = webAddress(values['ui-url'] ?? (process.env.TEMPORAL_UI_URL || 'http://localhost:8233'));
  if (uiUrl === null) throw new CliUsageError('--ui-url must be an http:// or https:// address');
  const view = analystView(namespace, uiUrl);
  io.out(values.json ? safeJson(view) : humanView(view));
  return EXIT.ok;
}

/** The address as the URL parser writes it (controls and spaces percent-encoded), or null if it is not http(s). */
function webAddress(text: string): string | null {
  const url = URL.canParse(text) ? new URL(text) : null;
  return url && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null;
}

function humanView(view: ReturnType<typeof analystView>): string {
  return [
    `Temporal UI view for releases, namespace ${view.namespace}`,
    `Columns: ${view.columns.join(', ')}`,
    'Saved views:',
    ...view.views.flatMap((v) => [`  ${v.name}: ${v.query}`, `    ${v.link}`]),
    '',
    "Bookmarklet: keep it as a bookmark's address and open it on the Temporal UI (the page reloads with the view):",
    view.bookmarklet,
    '',
    'Or paste this into the browser console on the Temporal UI:',
    view.script,
  ].join('\n');
}
