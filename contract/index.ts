/**
 * The contract every part shares: workflows, activities, the client and the worker import it. Workflow-safe: it
 * depends on `@temporalio/workflow` (message definitions) and `unhomoglyph` (Unicode's confusables data, pure
 * JavaScript) and nothing else. Schemas that parse it live in ./schemas.
 */
export * from './release.js';
export * from './bulk.js';
export * from './watcher.js';
export * from './failures.js';
export * from './machine-actions.js';
export * from './tenancy.js';
export * from './ids.js';
export * from './identity.js';
export * from './text.js';
export * from './search-attributes.js';
export * from './messages.js';
export * from './approval-token.js';
export * from './nudge.js';
export * from './priority.js';
export * from './rate-budget.js';
