/** The validated request of a release or batch, for a step that runs after validation. */
export function validatedOrBug<T>(request: T | undefined, what: string): T {
  // A step that runs before validation is a bug: it fails the workflow task (retried), not the release or the batch.
  if (request === undefined) throw new Error(`the ${what} is not validated yet`);
  return request;
}
