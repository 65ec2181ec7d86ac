import type { ClaimScope } from './records.js';

/** What the health indicator judges, read in one cheap round trip (indexed, `LIMIT 1`). */
export interface HealthFigures {
  /** Creation time of the oldest outbox row not dispatched yet and not given up on; none: undefined. */
  oldestPendingOutboxAt: Date | undefined;
  /** Due time of the earliest timer due by `now` and not fired yet; none: undefined. */
  oldestDueTimerAt: Date | undefined;
  /** Dead letters waiting for an operator (status `dead`). */
  openDeadLetters: number;
}

/** The health indicator's read side. */
export abstract class HealthQueries {
  /**
   * Outbox rows and timers are those within `scope` (what this app's relay and poller take; none:
   * every row), so another service's backlog on the same database does not turn this one red. Dead
   * letters are all open ones, as `deadLetters()` lists them.
   */
  abstract healthFigures(now: Date, scope?: ClaimScope): Promise<HealthFigures>;
}
