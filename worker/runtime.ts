import { makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import { createLogger } from './logging.js';

export interface RuntimeSettings {
  log: { format: 'json' | 'text'; level: LogLevel };
  /** Serve Prometheus metrics (SDK worker metrics and ours) at host:port/metrics. */
  metricsBindAddress?: string;
  /** Or push metrics to an OTLP/gRPC collector. */
  otlpEndpoint?: string;
  write?: (line: string) => void;
}

// Approvals take minutes to hours, not milliseconds like the SDK's latency histograms.
const HISTOGRAM_BUCKETS = {
  defender_isolation_approval_wait: [10, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86_400, 7 * 86_400],
};

/** Installs the process's Temporal runtime: our logger (workflow, activity and core logs) and the metrics exporter. */
export function installWorkerRuntime(settings: RuntimeSettings): Runtime {
  const metrics = settings.metricsBindAddress
    ? {
        prometheus: {
          bindAddress: settings.metricsBindAddress,
          countersTotalSuffix: true,
          histogramBucketOverrides: HISTOGRAM_BUCKETS,
        },
      }
    : settings.otlpEndpoint
      ? { otel: { url: settings.otlpEndpoint, histogramBucketOverrides: HISTOGRAM_BUCKETS } }
      : undefined;
  return Runtime.install({
    logger: createLogger({ ...settings.log, write: settings.write }),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(metrics ? { metrics } : {}),
    },
  });
}
