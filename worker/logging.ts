import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/** Fields of the SDK's log metadata lifted to the top of each JSON line, for log pipelines to index. */
const LIFTED = ['workflowId', 'runId', 'workflowType', 'activityType', 'activityId', 'taskQueue', 'namespace'];

/**
 * One JSON object per line: time, level, message, the workflow id (from the SDK's workflow and activity log context),
 * Defender's correlation id (`correlationId`, the `error.target` Defender returns) and any other metadata.
 */
export function formatJsonLogEntry(entry: LogEntry): string {
  const meta: Record<string, unknown> = { ...(entry.meta ?? {}) };
  const line: Record<string, unknown> = {
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level,
    message: entry.message,
  };
  for (const key of LIFTED) {
    if (meta[key] !== undefined) {
      line[key] = meta[key];
      delete meta[key];
    }
  }
  // Metadata may hold anything the SDK logs (worker options with plugins, errors): never let a log line throw.
  const seen = new WeakSet<object>();
  return JSON.stringify({ ...line, ...meta }, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function') return undefined;
    if (value instanceof Error) return { name: value.name, message: value.message };
    if (value !== null && typeof value === 'object') {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  });
}

function formatTextLogEntry(entry: LogEntry): string {
  const meta = entry.meta && Object.keys(entry.meta).length > 0 ? ` ${JSON.stringify(entry.meta)}` : '';
  return `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${meta}`;
}

export function createLogger(options: {
  format: 'json' | 'text';
  level: LogLevel;
  write?: (line: string) => void;
}): DefaultLogger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const format = options.format === 'json' ? formatJsonLogEntry : formatTextLogEntry;
  return new DefaultLogger(options.level, (entry) => write(format(entry)));
}
