import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { SimplePlugin } from '@temporalio/plugin';

export const SERVICE_NAME = 'defender-isolation';

/**
 * Optional OpenTelemetry tracing through the SDK's interceptors (as a plugin): client → workflow → activity spans in
 * one trace, workflow spans exported through a sink (no I/O in workflow code). Spans go to an OTLP/gRPC collector, or
 * to the given processor (tests use an in-memory exporter).
 *
 * `@temporalio/interceptors-opentelemetry` is an optional peer dependency, loaded only here: a worker that traces
 * installs it at the version of its other `@temporalio/*` packages.
 */
export async function createTracingPlugin(options: {
  otlpEndpoint?: string;
  spanProcessor?: SpanProcessor;
}): Promise<SimplePlugin> {
  const { OpenTelemetryPlugin } = await import('@temporalio/interceptors-opentelemetry').catch((err: unknown) => {
    throw new Error(
      'tracing needs @temporalio/interceptors-opentelemetry, at the version of your other @temporalio/* packages: ' +
        `npm install @temporalio/interceptors-opentelemetry (${err instanceof Error ? err.message : String(err)})`,
    );
  });
  const spanProcessor =
    options.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpEndpoint }));
  const resource = new Resource({ 'service.name': SERVICE_NAME });
  // Client and activity spans use the global tracer provider (with an async-local context, so that the started span
  // is the parent injected into headers); workflow spans come back through the plugin's sink to the same processor.
  const provider = new NodeTracerProvider({ resource });
  provider.addSpanProcessor(spanProcessor);
  provider.register();
  return new OpenTelemetryPlugin({ resource, spanProcessor });
}
