/**
 * The Temporal UI's workflow list as a SOC analyst needs it: columns for the release's state, incident and machine,
 * and saved views for the releases to act on. The UI (2.54) keeps list columns and saved views in the browser's
 * localStorage, per namespace, and its server has no setting for default columns: so what ships is a script that
 * writes them there, run on the UI's own page as a bookmarklet or from the browser console.
 *
 * Requester and approver have no columns: they are not search attributes (the memo, the current details and the
 * `status` query carry them), and the UI's list shows search attributes only.
 */
import {
  DefenderMachineIdAttribute,
  IncidentIdAttribute,
  RELEASE_WORKFLOW_TYPE,
  ReleaseStateAttribute,
} from '../contract/index.js';

// The UI's localStorage keys and value shapes, from temporalio/ui src/lib/stores/configurable-table-columns.ts
// (`{ [namespace]: { label }[] }`) and saved-queries.ts (`{ [namespace]: { id, name, query, type }[] }`).
const COLUMNS_KEY = 'namespace-workflow-table-columns';
const VIEWS_KEY = 'saved-workflow-queries';

/**
 * The list's columns, left to right (the UI's own labels, and search attributes by name): what the analyst reads first
 * next to the status; the workflow id, a long link to the release, after them.
 */
export const ANALYST_COLUMNS = [
  'Status',
  ReleaseStateAttribute.name,
  IncidentIdAttribute.name,
  DefenderMachineIdAttribute.name,
  'Workflow ID',
  'Start',
  'End',
] as const;

export interface SavedView {
  /** Stable, so that applying the view again replaces its saved views rather than adding more. */
  id: string;
  name: string;
  /** A list query, written as the UI writes the ones it builds (backquoted names), so its filter bar can edit it. */
  query: string;
}

// A release ends Failed (or is terminated, cancelled, timed out) whenever it did not release; `ReleaseState` then
// says why, except after a termination, which leaves the last state the release set.
const releases = `\`WorkflowType\`="${RELEASE_WORKFLOW_TYPE}"`;
export const ANALYST_VIEWS: readonly SavedView[] = [
  {
    id: 'defender-isolation-awaiting-approval',
    name: 'Releases awaiting approval',
    query: `\`ExecutionStatus\`="Running" AND \`${ReleaseStateAttribute.name}\`="awaiting-approval"`,
  },
  {
    id: 'defender-isolation-running',
    name: 'Releases running',
    query: `${releases} AND \`ExecutionStatus\`="Running"`,
  },
  {
    id: 'defender-isolation-not-released',
    name: 'Releases that did not release',
    query: `${releases} AND \`ExecutionStatus\`!="Running" AND \`ExecutionStatus\`!="Completed"`,
  },
];

export interface AnalystView {
  namespace: string;
  columns: readonly string[];
  /** Each view with a link to its list (a plain link: it opens the list, it saves nothing). */
  views: (SavedView & { link: string })[];
  /** JavaScript for the UI's page: writes the columns and saved views of `namespace`, then reloads the page. */
  script: string;
  /** The same script as a `javascript:` address, to keep as a bookmark and open on the UI. */
  bookmarklet: string;
}

/** The analyst view of one namespace; `uiUrl` is the UI's address, for the links. */
export function analystView(namespace: string, uiUrl: string): AnalystView {
  const base = uiUrl.replace(/\/+$/, '');
  const views = ANALYST_VIEWS.map((view) => ({
    ...view,
    link: `${base}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(view.query)}`,
  }));
  const script = viewScript(namespace);
  return {
    namespace,
    columns: ANALYST_COLUMNS,
    views,
    script,
    bookmarklet: `javascript:${encodeURIComponent(script)}`,
  };
}

/**
 * The script: it replaces the namespace's workflow columns (the UI's column settings change them again) and its saved
 * views of the same names, keeps every other namespace's settings and the analyst's other views, and reloads the page,
 * because the UI reads localStorage once, when it loads. It returns nothing: a bookmarklet that returns a value
 * replaces the page with it.
 */
function viewScript(namespace: string): string {
  const columns = ANALYST_COLUMNS.map((label) => ({ label }));
  const views = ANALYST_VIEWS.map((view) => ({ ...view, type: 'user' }));
  return [
    '(() => {',
    `  const namespace = ${JSON.stringify(namespace)};`,
    `  const views = ${JSON.stringify(views)};`,
    '  const read = (key) => { try { return JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch { return {}; } };',
    `  const columns = read(${JSON.stringify(COLUMNS_KEY)});`,
    `  columns[namespace] = ${JSON.stringify(columns)};`,
    `  localStorage.setItem(${JSON.stringify(COLUMNS_KEY)}, JSON.stringify(columns));`,
    `  const saved = read(${JSON.stringify(VIEWS_KEY)});`,
    '  const names = new Set(views.map((view) => view.name));',
    '  const others = (saved[namespace] || []).filter((view) => !names.has(view.name));',
    '  saved[namespace] = [...others, ...views];',
    `  localStorage.setItem(${JSON.stringify(VIEWS_KEY)}, JSON.stringify(saved));`,
    '  location.reload();',
    '})();',
  ].join('\n');
}
