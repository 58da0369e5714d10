import { Runtime } from '@temporalio/worker';
import type { MetricCounter, MetricHistogram } from '@temporalio/common';
import type { ResponseEvent } from '../activities/defender/client.js';

/**
 * Our own counters, on the Temporal runtime's meter so that they are served by the same Prometheus endpoint (or OTLP
 * exporter) as the SDK's worker metrics. Release outcomes and approval wait times are counted by the workflows
 * themselves (replay-safe workflow metrics); Defender calls are counted here, per answered request.
 */
interface DefenderCallMeters {
  calls: MetricCounter;
  throttled: MetricCounter;
  latency: MetricHistogram;
}

let meters: DefenderCallMeters | undefined;

function defenderMeters(): DefenderCallMeters {
  // Created on first use: Runtime.instance() must not run before the worker process installs its runtime.
  meters ??= (() => {
    const meter = Runtime.instance().metricMeter;
    return {
      calls: meter.createCounter(
        'defender_isolation_defender_calls',
        '1',
        'Defender API calls, by endpoint and status',
      ),
      throttled: meter.createCounter('defender_isolation_defender_throttled', '1', 'Defender answers with HTTP 429'),
      latency: meter.createHistogram(
        'defender_isolation_defender_call_latency',
        'int',
        'ms',
        'Defender API call duration in milliseconds',
      ),
    };
  })();
  return meters;
}

/** The DefenderClient `onResponse` hook of a tenant's client. */
export function recordDefenderResponse(tenant: string): (event: ResponseEvent) => void {
  return (event) => {
    const m = defenderMeters();
    const tags = { tenant, endpoint: event.endpoint };
    m.calls.add(1, { ...tags, status: String(event.status) });
    m.latency.record(Math.max(0, Math.round(event.durationMs)), tags);
    if (event.status === 429) m.throttled.add(1, tags);
  };
}
