import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

export const SERVICE_NAME = 'defender-isolation';

/**
 * Optional OpenTelemetry tracing through the SDK's interceptors (as a plugin): client → workflow → activity spans in
 * one trace, workflow spans exported through a sink (no I/O in workflow code). Spans go to an OTLP/gRPC collector, or
 * to the given processor (tests use an in-memory exporter).
 */
export function createTracingPlugin(options: { otlpEndpoint?: string; spanProcessor?: SpanProcessor }) {
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
