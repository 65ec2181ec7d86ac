import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * The sample's OpenTelemetry SDK, registered globally after the library was imported and before the
 * app boots (the library takes its tracer and meter at boot): metrics for `GET /metrics` in Prometheus
 * text format, and spans printed to the console when `OTEL_TRACES_CONSOLE=1`.
 */
export class SampleTelemetry {
  private constructor(
    /** Serves `GET /metrics` (its own server is not started). */
    readonly prometheus: PrometheusExporter,
    private readonly meterProvider: MeterProvider,
    private readonly tracerProvider: BasicTracerProvider | undefined,
  ) {}

  static install(options: { consoleTraces: boolean }): SampleTelemetry {
    const prometheus = new PrometheusExporter({ preventServerStart: true });
    const meterProvider = new MeterProvider({ readers: [prometheus] });
    metrics.setGlobalMeterProvider(meterProvider);
    let tracerProvider: BasicTracerProvider | undefined;
    if (options.consoleTraces) {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      tracerProvider = new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
      });
      trace.setGlobalTracerProvider(tracerProvider);
    }
    return new SampleTelemetry(prometheus, meterProvider, tracerProvider);
  }

  /** Flushes and unregisters what `install()` registered. */
  async shutdown(): Promise<void> {
    await this.meterProvider.shutdown();
    await this.tracerProvider?.shutdown();
    metrics.disable();
    if (this.tracerProvider) {
      trace.disable();
      context.disable();
    }
  }
}
