/** Writes that operators and recovery make to an instance outside a step. */
export abstract class ProcessControl {
  /** Frees the key of a failed instance. Returns false when it is not failed-and-unacknowledged. */
  abstract acknowledgeFailure(processId: string, at: Date): Promise<boolean>;
  /** Ends a live instance as cancelled (with a history row) and drops its timers. False when not live. */
  abstract cancel(processId: string, reason: string | undefined, at: Date): Promise<boolean>;
  /** Makes the commands of the last handled step due for dispatch again; returns how many. */
  abstract resendLastStep(processId: string, now: Date): Promise<number>;
}
