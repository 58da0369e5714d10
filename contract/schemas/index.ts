/** zod schemas that parse the contract's inputs: the client and the CLI before a start, the workflows' first step. */
export * from './release-request.js';
export * from './bulk-request.js';
export * from './cancel-request.js';
export { duration, durationMs } from './durations.js';
export { formatIssues } from './issues.js';
