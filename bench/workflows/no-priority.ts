/**
 * Bench only: a workflow interceptor module that schedules every activity and starts every child without its priority
 * key, so that the urgent-release benchmark runs "today" (first in, first out on every queue) with the same workflows.
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity(input, next) {
        const { priority: _dropped, ...options } = input.options;
        return next({ ...input, options });
      },
      startChildWorkflowExecution(input, next) {
        const { priority: _dropped, ...options } = input.options;
        return next({ ...input, options });
      },
    },
  ],
});
