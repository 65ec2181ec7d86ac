import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Context, Span, SpanKind, Tracer } from '@opentelemetry/api';
import { Clock } from '../kernel/clock.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import { TelemetryQueries } from '../ports/telemetry-queries.js';
import { INSTRUMENTATION_NAME } from './instrumentation-name.js';
import { otel } from './otel-api.js';
import { ProcessMetrics } from './process-metrics.js';
import { formatTraceparent, hasSpan, withTraceparent } from './trace-parent.js';

/** What the step learns on its way (the instance it reached, conflicts re-run), noted on its span. */
interface StepNotes {
  processId?: string;
  correlationKey?: string;
  conflicts: number;
}

const STEP_NOTES = Symbol.for('nestjs-process-manager:step-notes');

// Values of the API's enums, fixed by the specification (the API itself is an optional import).
const INTERNAL = 0 as SpanKind;
const PRODUCER = 3 as SpanKind;
const CONSUMER = 4 as SpanKind;
const STATUS_ERROR = 2;

/** A message on its way out, as the dispatch span names it. */
interface OutgoingNames {
  readonly kind: string;
  readonly type: string;
  readonly metadata: MessageMetadata;
  readonly processId?: string | null;
}

/**
 * The library's spans and metrics (DESIGN §3.2), through `@opentelemetry/api` only: without an SDK every
 * call is the API's no-op (without the API, a pass-through). The tracer and meter are taken at boot or
 * first use, never at import: apps register their SDK after importing the library.
 */
@Injectable()
export class ProcessTelemetry implements OnApplicationBootstrap, OnApplicationShutdown {
  private tracerInstance: Tracer | undefined;
  private readonly metrics: ProcessMetrics;

  constructor(queries: TelemetryQueries, clock: Clock) {
    this.metrics = new ProcessMetrics(queries, clock);
  }

  onApplicationBootstrap(): void {
    this.metrics.start();
  }

  onApplicationShutdown(): void {
    this.metrics.stop();
  }

  /**
   * Runs one delivery in a `pm.step` span, in the incoming message's context: the active one (published
   * in-process, or sent by a dispatch span), else the `traceparent` of its metadata. `run` gets the
   * metadata the step hands on (its `traceparent` is this span's), so outbox rows, timers and dead
   * letters written by the step continue the trace.
   */
  async step<T extends string>(
    processType: string,
    messageType: string,
    metadata: MessageMetadata,
    run: (metadata: MessageMetadata) => Promise<T>,
  ): Promise<T> {
    if (!otel) return run(metadata);
    const active = otel.context.active();
    const parent = hasSpan(active) ? active : withTraceparent(active, metadata.traceparent);
    const span = this.tracer.startSpan('pm.step', { kind: CONSUMER }, parent);
    const recording = span.isRecording();
    if (!recording && !this.metrics.enabled) {
      span.end();
      return run(metadata); // no SDK: nothing to note
    }
    const notes: StepNotes = { conflicts: 0 };
    const traced = recording ? { ...metadata, traceparent: formatTraceparent(span.spanContext()) } : metadata;
    const started = performance.now();
    let outcome = 'error';
    try {
      const inStep = otel.trace.setSpan(parent, span).setValue(STEP_NOTES, notes);
      outcome = await otel.context.with(inStep, () => run(traced));
      return outcome as T;
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      if (recording)
        span.setAttributes({
          'pm.process.type': processType,
          'pm.message.type': messageType,
          'pm.message.id': metadata.messageId,
          'pm.outcome': outcome,
          'pm.conflict_retries': notes.conflicts,
          ...(notes.processId !== undefined && { 'pm.process.id': notes.processId }),
          ...(notes.correlationKey !== undefined && { 'pm.correlation_key': notes.correlationKey }),
        });
      span.end();
      this.metrics.delivered(processType, messageType, outcome, performance.now() - started);
    }
  }

  /** Sends one outgoing message in a `pm.dispatch` span, a child of the step that wrote it (its `traceparent`). */
  dispatch<T>(message: OutgoingNames, run: () => Promise<T>): Promise<T> {
    if (!otel) return run();
    const parent = withTraceparent(otel.context.active(), message.metadata.traceparent);
    return this.inSpan('pm.dispatch', PRODUCER, parent, run, (span) =>
      span.setAttributes({
        'pm.message.kind': message.kind,
        'pm.message.type': message.type,
        'pm.message.id': message.metadata.messageId,
        ...(message.processId && { 'pm.process.id': message.processId }),
      }),
    );
  }

  /** Fires a due timer in a `pm.timer.fire` span, continuing the trace of the step that scheduled it. */
  timerFire<T>(
    timer: { processType: string; processId: string; messageType: string; traceparent?: string },
    run: () => Promise<T>,
  ): Promise<T> {
    if (!otel) return run();
    const parent = withTraceparent(otel.context.active(), timer.traceparent);
    return this.inSpan('pm.timer.fire', INTERNAL, parent, run, (span) =>
      span.setAttributes({
        'pm.process.type': timer.processType,
        'pm.process.id': timer.processId,
        'pm.message.type': timer.messageType,
      }),
    );
  }

  /** A relay round that claimed `rows` (its re-sends each continue their own trace in their `pm.dispatch` span). */
  relay<T>(rows: number, run: () => Promise<T>): Promise<T> {
    if (!otel) return run();
    return this.inSpan('pm.relay', INTERNAL, otel.context.active(), run, (span) =>
      span.setAttribute('pm.relay.rows', rows),
    );
  }

  /** The step reached (or created) this instance. */
  reached(instance: { id: string; correlationKey: string }): void {
    const notes = this.notes();
    if (!notes) return;
    notes.processId = instance.id;
    notes.correlationKey = instance.correlationKey;
  }

  /** Another writer won the race: the step re-runs from a fresh load. */
  conflict(processType: string): void {
    const notes = this.notes();
    if (notes) notes.conflicts += 1;
    this.metrics.count('conflicts', () => ({ type: processType }));
  }

  /** A delivery failed: recorded on the step's span, counted as a retry or a dead letter. */
  deliveryFailed(handler: string, messageType: string, error: unknown, dead: boolean): void {
    const span = otel?.trace.getActiveSpan();
    if (span) recordError(span, error);
    this.metrics.count(dead ? 'deadLetters' : 'retries', () => ({ type: handler, message: messageType }));
  }

  /** A send failed: recorded on the dispatch span and counted. */
  dispatchFailed(message: { kind: string; type: string }, error: unknown): void {
    const span = otel?.trace.getActiveSpan();
    if (span) recordError(span, error);
    this.metrics.count('dispatchFailures', () => ({ kind: message.kind, message: message.type }));
  }

  /** A message whose dispatch attempts ran out was parked as a dead letter. */
  undeliverable(message: { kind: string; type: string }): void {
    this.metrics.count('deadLetters', () => ({ type: message.kind, message: message.type }));
  }

  private notes(): StepNotes | undefined {
    return otel?.context.active().getValue(STEP_NOTES) as StepNotes | undefined;
  }

  private get tracer(): Tracer {
    // The global tracer provider is a proxy, but the tracer is taken late anyway: one rule for both.
    return (this.tracerInstance ??= otel!.trace.getTracer(INSTRUMENTATION_NAME));
  }

  private async inSpan<T>(
    name: string,
    kind: SpanKind,
    parent: Context,
    run: () => Promise<T>,
    describe: (span: Span) => void,
  ): Promise<T> {
    const span = this.tracer.startSpan(name, { kind }, parent);
    if (span.isRecording()) describe(span);
    else if (!otel!.trace.isSpanContextValid(span.spanContext())) {
      span.end();
      return run(); // no SDK and no trace to continue: no context to carry
    }
    try {
      return await otel!.context.with(otel!.trace.setSpan(parent, span), run);
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  }
}

function recordError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: STATUS_ERROR, message: error instanceof Error ? error.message : String(error) });
}
