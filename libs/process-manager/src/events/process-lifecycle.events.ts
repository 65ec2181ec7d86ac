import { MessageType } from '../kernel/message-type.js';

/** Base of the library's own events, published on the EventBus through the outbox. */
export abstract class ProcessLifecycleEvent {
  constructor(
    readonly processId: string,
    readonly processType: string,
    readonly correlationKey: string,
  ) {}
}

/** A new instance was created. */
@MessageType('ProcessManager.ProcessStarted')
export class ProcessStarted extends ProcessLifecycleEvent {}

/** An instance completed. */
@MessageType('ProcessManager.ProcessCompleted')
export class ProcessCompleted extends ProcessLifecycleEvent {}

/** An instance failed; it keeps its correlation key until `acknowledgeFailure()`. */
@MessageType('ProcessManager.ProcessFailed')
export class ProcessFailed extends ProcessLifecycleEvent {
  constructor(
    processId: string,
    processType: string,
    correlationKey: string,
    readonly reason: string,
    /** A compensation failed too: an operator must look. */
    readonly requiresIntervention = false,
  ) {
    super(processId, processType, correlationKey);
  }
}

/** A saga undid every completed step after a failure. */
@MessageType('ProcessManager.ProcessCompensated')
export class ProcessCompensated extends ProcessLifecycleEvent {}

/** An instance made no progress for longer than its `stuckAfter`. */
@MessageType('ProcessManager.ProcessStalled')
export class ProcessStalled extends ProcessLifecycleEvent {
  constructor(
    processId: string,
    processType: string,
    correlationKey: string,
    readonly stateName: string | undefined,
    readonly idleMs: number,
  ) {
    super(processId, processType, correlationKey);
  }
}

/** A delivery failed `retry.maxAttempts` times and was parked as a dead letter. */
@MessageType('ProcessManager.ProcessDeadLettered')
export class ProcessDeadLettered extends ProcessLifecycleEvent {
  constructor(
    processId: string,
    processType: string,
    correlationKey: string,
    readonly messageType: string,
    readonly error: string,
  ) {
    super(processId, processType, correlationKey);
  }
}

export const LIFECYCLE_EVENTS = [
  ProcessStarted,
  ProcessCompleted,
  ProcessFailed,
  ProcessCompensated,
  ProcessStalled,
  ProcessDeadLettered,
];
