import type { ClaimScope, Lease, TimerRecord } from './records.js';

/** Due timers for the poller. Scheduling and cancelling happen in the step (`StepStore.commit`). */
export abstract class TimerStore {
  /** Leases due timers; a timer leased by another poller is skipped until its lease lapses. */
  abstract claimDueTimers(
    now: Date,
    leaseUntil: Date,
    limit: number,
    /** Only timers whose (process type, message type) this app routes; none: every timer. */
    scope?: ClaimScope,
  ): Promise<TimerRecord[]>;
  /** Moves leases this app still holds (same lease end as given) to `leaseUntil`; others are left alone. */
  abstract extendTimerLeases(held: readonly Lease[], leaseUntil: Date): Promise<void>;
  abstract deleteTimer(timerId: string): Promise<void>;
}
