/**
 * Deletes for retention (`pm:retention`): each removes at most `limit` of the oldest rows past its
 * cutoff and returns how many it removed, so the job can repeat it in small batches. Rows another
 * deleter holds are skipped, not waited for: app instances running the job together share the work.
 */
export abstract class RetentionStore {
  /** Inbox (dedupe) marks handled before `before`. */
  abstract deleteInboxMarks(before: Date, limit: number): Promise<number>;
  /** Outbox rows dispatched before `before` (undispatched and parked ones stay). */
  abstract deleteDispatchedOutbox(before: Date, limit: number): Promise<number>;
  /** Resolved dead letters (retried with success) resolved before `before`. */
  abstract deleteResolvedDeadLetters(before: Date, limit: number): Promise<number>;
  /**
   * Finished instances with their history, timers and associations: completed or cancelled before
   * `before`, or failed and acknowledged before it. Never a live or failed-unacknowledged one, nor one
   * that still has an undispatched outbox row or an open dead letter (it may yet be retried or resent).
   */
  abstract deleteFinishedProcesses(before: Date, limit: number): Promise<number>;
}
