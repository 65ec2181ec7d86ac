/** Writes that operators and recovery make to an instance outside a step. */
export abstract class ProcessControl {
  /**
   * Frees the key of a failed instance; `note` (who, why) goes in its history row. Returns false when
   * it is not failed-and-unacknowledged.
   */
  abstract acknowledgeFailure(processId: string, at: Date, note?: string): Promise<boolean>;
  /** Ends a live instance as cancelled (with a history row) and drops its timers. False when not live. */
  abstract cancel(processId: string, reason: string | undefined, at: Date): Promise<boolean>;
  /** Makes the commands of the last handled step due for dispatch again; returns how many. */
  abstract resendLastStep(processId: string, now: Date): Promise<number>;
  /** Records an operator's retry in the history (a `retried` row with `note`). False when there is no such instance. */
  abstract recordRetry(processId: string, note: string, at: Date): Promise<boolean>;
}
