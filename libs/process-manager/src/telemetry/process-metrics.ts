import type {
  Attributes,
  BatchObservableResult,
  Counter,
  Histogram,
  Meter,
  ObservableGauge,
} from '@opentelemetry/api';
import type { Clock } from '../kernel/clock.js';
import type { TelemetryFigures, TelemetryQueries } from '../ports/telemetry-queries.js';
import { INSTRUMENTATION_NAME } from './instrumentation-name.js';
import { otel } from './otel-api.js';

interface Instruments {
  deliveries: Counter;
  conflicts: Counter;
  retries: Counter;
  deadLetters: Counter;
  dispatchFailures: Counter;
  stepDuration: Histogram;
}

interface Gauges {
  instances: ObservableGauge;
  outboxPending: ObservableGauge;
  outboxLag: ObservableGauge;
  timersLag: ObservableGauge;
  deadLettersOpen: ObservableGauge;
  stuck: ObservableGauge;
}

const NOOP_METER_CLASS = otel?.createNoopMeter().constructor;

/**
 * The metrics of DESIGN §3.2. The meter is taken at boot (or first use), never at import: the metrics
 * API has no proxy, so a meter taken before the app registered its SDK would stay a no-op for good.
 */
export class ProcessMetrics {
  private meter: Meter | undefined;
  private instruments: Instruments | undefined;
  private gauges: Gauges | undefined;
  /** False while no SDK is registered: events then skip building attributes. */
  private on = false;
  private readonly observe = (result: BatchObservableResult) => this.observeGauges(result);

  constructor(
    private readonly queries: TelemetryQueries,
    private readonly clock: Clock,
  ) {}

  /** Takes the meter and registers the gauges (one batch callback: one read per collection). */
  start(): void {
    if (this.meter || !otel) return;
    const meter = otel.metrics.getMeter(INSTRUMENTATION_NAME);
    this.meter = meter;
    this.on = !(meter instanceof NOOP_METER_CLASS!);
    this.instruments = {
      deliveries: meter.createCounter('pm.deliveries', { description: 'Deliveries to process routes' }),
      conflicts: meter.createCounter('pm.conflicts', {
        description: 'Optimistic-concurrency conflicts re-run',
      }),
      retries: meter.createCounter('pm.retries', { description: 'Failed deliveries scheduled for a retry' }),
      deadLetters: meter.createCounter('pm.dead_letters', { description: 'Messages dead-lettered' }),
      dispatchFailures: meter.createCounter('pm.dispatch.failures', { description: 'Failed outbox sends' }),
      stepDuration: meter.createHistogram('pm.step.duration', { description: 'One delivery', unit: 'ms' }),
    };
    if (this.on) {
      this.gauges = {
        instances: meter.createObservableGauge('pm.instances', {
          description: 'Instances holding their key',
        }),
        outboxPending: meter.createObservableGauge('pm.outbox.pending', {
          description: 'Undispatched outbox rows',
        }),
        outboxLag: meter.createObservableGauge('pm.outbox.lag', {
          description: 'Age of the oldest undispatched outbox row',
          unit: 's',
        }),
        timersLag: meter.createObservableGauge('pm.timers.lag', {
          description: 'How late the oldest overdue timer is',
          unit: 's',
        }),
        deadLettersOpen: meter.createObservableGauge('pm.dead_letters.open', {
          description: 'Open dead letters',
        }),
        stuck: meter.createObservableGauge('pm.stuck', { description: 'Instances reported stuck' }),
      };
      meter.addBatchObservableCallback(this.observe, Object.values(this.gauges));
    }
  }

  /** Whether a meter provider records what the library counts (false without an SDK). */
  get enabled(): boolean {
    this.start();
    return this.on;
  }

  /** Unregisters the gauges: a closed app's store is never read again. */
  stop(): void {
    if (this.meter && this.gauges)
      this.meter.removeBatchObservableCallback(this.observe, Object.values(this.gauges));
    this.gauges = undefined;
  }

  delivered(type: string, message: string, outcome: string, durationMs: number): void {
    this.start();
    const instruments = this.instruments;
    if (!this.on || !instruments) return;
    instruments.deliveries.add(1, { type, message, outcome });
    instruments.stepDuration.record(durationMs, { type, message });
  }

  count(name: Exclude<keyof Instruments, 'stepDuration' | 'deliveries'>, attributes: () => Attributes): void {
    this.start();
    if (this.on) this.instruments?.[name].add(1, attributes());
  }

  private async observeGauges(result: BatchObservableResult): Promise<void> {
    const gauges = this.gauges;
    if (!gauges) return;
    const now = this.clock.now();
    const figures: TelemetryFigures = await this.queries.telemetryFigures(now);
    const lag = (since: Date | undefined) =>
      since ? Math.max(0, (now.getTime() - since.getTime()) / 1000) : 0;
    let stuck = 0;
    for (const { type, status, count, stalled } of figures.instances) {
      result.observe(gauges.instances, count, { type, status });
      stuck += stalled;
    }
    result.observe(gauges.outboxPending, figures.pendingOutbox);
    result.observe(gauges.outboxLag, lag(figures.oldestPendingOutboxAt));
    result.observe(gauges.timersLag, lag(figures.oldestDueTimerAt));
    result.observe(gauges.deadLettersOpen, figures.openDeadLetters);
    result.observe(gauges.stuck, stuck);
  }
}
