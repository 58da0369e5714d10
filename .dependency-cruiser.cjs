// The rooms of the architecture, checked on every `npm run lint` (dependency-cruiser). docs/architecture.md explains
// them; a rule here is the executable form of a sentence there.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules import each other in one direction only.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'workflows-import-contract-and-workflow-sdk-only',
      severity: 'error',
      comment:
        'Workflow code runs in the deterministic sandbox: it imports @temporalio/workflow, the contract and other ' +
        'workflow modules, and activity signatures as types only.',
      from: { path: '^workflows/' },
      to: {
        pathNot: ['^workflows/', '^contract/(?!schemas/)', '^node_modules/@temporalio/workflow/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'contract-is-workflow-safe',
      severity: 'error',
      comment:
        'The contract (but its schemas) is imported by workflow code: @temporalio/workflow, itself, and unhomoglyph ' +
        "(Unicode's confusables data for comparing names, pure JavaScript; imported by contract/skeleton.ts only).",
      from: { path: '^contract/(?!schemas/)' },
      to: {
        pathNot: ['^contract/(?!schemas/)', '^node_modules/@temporalio/workflow/', '^node_modules/unhomoglyph/'],
      },
    },
    {
      name: 'activities-do-not-import-workflows',
      severity: 'error',
      comment: 'Activities share the contract with workflows; they never import workflow code.',
      from: { path: '^activities/' },
      to: { path: '^workflows/' },
    },
    {
      name: 'defender-client-knows-nothing-of-temporal',
      severity: 'error',
      comment: 'The Defender HTTP client is plain HTTP + zod: no Temporal, no contract, no activity code.',
      from: { path: '^activities/defender/' },
      to: { path: ['^node_modules/@temporalio/', '^contract/', '^activities/(?!defender/)'] },
    },
    {
      name: 'shipped-worker-has-no-dev-code',
      severity: 'error',
      comment:
        'The shipped worker (and the package entries) never load the dev server, CLI installer, simulator or the ' +
        'approvals page (a service beside the worker, with its own dependencies).',
      from: { path: ['^worker/', '^client/', '^activities/', '^workflows/', '^contract/'] },
      to: { path: ['^dev/', '^simulator/', '^test/', '^bench/', '^approvals/'] },
    },
    {
      name: 'public-sdk-entry-points-only',
      severity: 'error',
      comment: "Only the packages' public entry points: @temporalio/*/lib/... is private and changes without notice.",
      from: {},
      to: { path: '^node_modules/@temporalio/[^/]+/lib/(?!index\\.js$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: ['^dist/', '^\\.cache/'] },
  },
};
