import type * as OpenTelemetryApi from '@opentelemetry/api';

/**
 * The OpenTelemetry API, an optional peer dependency: undefined when the app has not installed it, and
 * then the library neither traces nor measures. Loading the API takes no tracer or meter yet.
 */
export const otel: typeof OpenTelemetryApi | undefined = await import('@opentelemetry/api').catch(
  (error: unknown) => {
    if ((error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  },
);
