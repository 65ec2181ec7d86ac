import type { Context, SpanContext } from '@opentelemetry/api';
import { otel } from './otel-api.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The W3C `traceparent` header of a span context (version 00). */
export function formatTraceparent({ traceId, spanId, traceFlags }: SpanContext): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** `parent` with the remote span context a stored `traceparent` names; `parent` itself when it names none. */
export function withTraceparent(parent: Context, traceparent: string | undefined): Context {
  const match = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  if (!match || !otel) return parent;
  const spanContext: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16),
    isRemote: true,
  };
  return otel.isSpanContextValid(spanContext) ? otel.trace.setSpanContext(parent, spanContext) : parent;
}

/** Whether `ctx` carries a valid span (an SDK's, or a remote parent's). */
export function hasSpan(ctx: Context): boolean {
  const span = otel?.trace.getSpan(ctx);
  return span !== undefined && otel!.isSpanContextValid(span.spanContext());
}

/** The `traceparent` of the active span, if an SDK records one (messages an app writes carry it). */
export function activeTraceparent(): string | undefined {
  const span = otel?.trace.getActiveSpan();
  return span?.isRecording() ? formatTraceparent(span.spanContext()) : undefined;
}
