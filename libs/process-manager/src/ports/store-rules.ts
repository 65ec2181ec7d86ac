import type { ProcessStatus } from '../kernel/process-context.js';
import { holdsCorrelationKey, isLive } from '../kernel/process-instance.js';

/**
 * Rules every store adapter keeps alike (the SQL of `typeorm/` and the maps of `memory/`); the contract
 * suite in `test/contract/` runs each adapter against them.
 */

/** A step's fresh outbox rows belong to the fast path this long; after that (a crash) the relay takes them. */
export const DISPATCH_LEASE_MS = 30_000;

const ALL_STATUSES = Object.keys({
  running: true,
  compensating: true,
  completed: true,
  failed: true,
  cancelled: true,
} satisfies Record<ProcessStatus, true>) as ProcessStatus[];

/**
 * Statuses in which handlers run (the kernel's `isLive`): only these can stall or be cancelled.
 * Derived from the kernel's predicates so that the SQL and the maps cannot disagree with the engine.
 */
export const LIVE_STATUSES: readonly ProcessStatus[] = ALL_STATUSES.filter(isLive);

/** Statuses that, besides the live ones, hold the (type, key) slot until the instance is acknowledged. */
export const HELD_UNTIL_ACKNOWLEDGED_STATUSES: readonly ProcessStatus[] = ALL_STATUSES.filter(
  (status) => !isLive(status) && holdsCorrelationKey({ status }),
);

/** The history rows written by operator actions outside any event (`ProcessControl`). */
export const MARKERS = {
  cancelled: { messageType: 'ProcessManager.Cancel' },
  acknowledged: { messageType: 'ProcessManager.AcknowledgeFailure' },
  retried: { messageType: 'ProcessManager.Retry' },
  /** A timer rescheduled, fired or cancelled, a state edited or a transition forced (`OperatorStore`). */
  repaired: { messageType: 'ProcessManager.Repair' },
} as const;

export type MarkerOutcome = keyof typeof MARKERS;

/** A marker row's message id, `<outcome>:<version after the marker>` (the SQL builds the same string). */
export function markerMessageId(outcome: MarkerOutcome, version: number): string {
  return `${outcome}:${version}`;
}
