import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  type DataPoint,
  MeterProvider,
  MetricReader,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A reader the test collects from when it wants (no interval). */
class ManualReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Installs an OpenTelemetry SDK globally, as an app does after importing the library: spans go to an
 * in-memory exporter, metrics to a reader collected on demand. `stop()` removes it again.
 */
export function installSdk() {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const spans = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  let reader = new ManualReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return {
    /** Finished spans named `name`. */
    spans: (name?: string): ReadableSpan[] =>
      spans.getFinishedSpans().filter((span) => name === undefined || span.name === name),
    /** Starts afresh: no spans, a new meter provider (counters from zero). */
    reset(): void {
      spans.reset();
      metrics.disable();
      reader = new ManualReader();
      metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    },
    /** The data points of metric `name` (one collection). */
    async points(name: string): Promise<DataPoint<unknown>[]> {
      const { resourceMetrics } = await reader.collect();
      return metricNamed(resourceMetrics, name)?.dataPoints ?? [];
    },
    stop(): void {
      trace.disable();
      metrics.disable();
      context.disable();
      contextManager.disable();
    },
  };
}

function metricNamed(resourceMetrics: ResourceMetrics, name: string): MetricData | undefined {
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics) if (metric.descriptor.name === name) return metric;
  return undefined;
}

/** The value of the point whose attributes include `attributes` (a counter's sum, a gauge's value). */
export function valueOf(points: DataPoint<unknown>[], attributes: Record<string, string> = {}): unknown {
  const point = points.find((candidate) =>
    Object.entries(attributes).every(([key, value]) => candidate.attributes[key] === value),
  );
  return point?.value;
}
