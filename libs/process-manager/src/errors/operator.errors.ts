import { ProcessManagerError } from './process-manager.error.js';

/** A timer repair named a timer the instance does not have (fired, cancelled, or never scheduled). */
export class TimerNotFoundError extends ProcessManagerError {
  constructor(
    readonly processId: string,
    readonly timerName: string,
  ) {
    super(
      `Process ${processId} has no pending timer named "${timerName}" (it may have fired or been cancelled): ` +
        `list its timers with timers(processId).`,
    );
  }
}

/** A state repair came without a reason; history keeps why every repair was made. */
export class RepairReasonRequiredError extends ProcessManagerError {
  constructor(
    readonly operation: string,
    readonly processId: string,
  ) {
    super(`${operation} on process ${processId} needs a reason: pass { reason: 'why', actor } as the audit.`);
  }
}

/** A state repair lost the race to other deliveries every time it tried. */
export class RepairConflictError extends ProcessManagerError {
  constructor(
    readonly operation: string,
    readonly processId: string,
    readonly attempts: number,
  ) {
    super(
      `${operation} on process ${processId} gave up after ${attempts} concurrent changes of the instance: ` +
        `try again when it is quieter.`,
    );
  }
}
