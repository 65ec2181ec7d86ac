import { MessageType } from '../kernel/message-type.js';

/** What a saga is doing with a step: running its command, or undoing it with the compensation. */
export type SagaPhase = 'action' | 'compensation';

/** Name of the durable timer of the step (or compensation) in flight; replaced by each send. */
export const STEP_TIMEOUT_TIMER = 'saga:step-timeout';
/** Name of the durable timer that re-sends a failed step (or compensation) after its backoff. */
export const STEP_RETRY_TIMER = 'saga:step-retry';

/** Delivered back to a saga when a step or compensation got no reply within its `timeout`. */
@MessageType('ProcessManager.SagaStepTimedOut')
export class SagaStepTimedOut {
  constructor(
    readonly step: string,
    readonly phase: SagaPhase,
    readonly attempt: number,
  ) {}
}

/** Delivered back to a saga when the backoff after a failed attempt is over: time to send again. */
@MessageType('ProcessManager.SagaStepRetryDue')
export class SagaStepRetryDue {
  constructor(
    readonly step: string,
    readonly phase: SagaPhase,
    readonly attempt: number,
  ) {}
}

export const SAGA_TIMER_MESSAGES = [SagaStepTimedOut, SagaStepRetryDue];
