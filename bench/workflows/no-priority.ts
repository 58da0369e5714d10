/**
 * Bench only: a workflow interceptor module that schedules every activity without its priority key, so that the
 * urgent-release benchmark runs "today" (first in, first out on the API queue) with the very same workflows.
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity(input, next) {
        const { priority: _dropped, ...options } = input.options;
        return next({ ...input, options });
      },
    },
  ],
});
