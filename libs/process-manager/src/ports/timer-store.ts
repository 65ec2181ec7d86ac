import type { TimerRecord } from './records.js';

/** Due timers for the poller. Scheduling and cancelling happen in the step (`StepStore.commit`). */
export abstract class TimerStore {
  /** Leases due timers; a timer leased by another poller is skipped until its lease lapses. */
  abstract claimDueTimers(now: Date, leaseUntil: Date, limit: number): Promise<TimerRecord[]>;
  abstract deleteTimer(timerId: string): Promise<void>;
}
