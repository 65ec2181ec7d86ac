import type { HealthFigures } from './health-queries.js';
import type { ActiveCount } from './records.js';

/** What the metric gauges show, read together once per collection. */
export interface TelemetryFigures extends HealthFigures {
  /** Outbox rows not dispatched yet and not given up on. */
  pendingOutbox: number;
  /** Instances holding their key, per type and status (`stalled`: reported stuck). */
  instances: ActiveCount[];
}

/** The metric gauges' read side: cheap, indexed reads over every row (not only this app's scope). */
export abstract class TelemetryQueries {
  abstract telemetryFigures(now: Date): Promise<TelemetryFigures>;
}
