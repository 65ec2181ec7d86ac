import { MessageType, messageTypeName } from '../kernel/message-type.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import { activeStep, type SagaProgram } from './saga-program.js';
import { isSagaState } from './saga-state.js';

/**
 * Delivered back to a saga once the command of a compensation without `ack` was dispatched (its handler
 * returned): only then does the step count as compensated.
 */
@MessageType('ProcessManager.SagaCompensationSent')
export class SagaCompensationSent {
  constructor(
    readonly step: string,
    readonly attempt: number,
    readonly commandMessageId: string,
  ) {}
}

/** True when some step of the saga has a compensation without `ack`. */
export function hasUnacknowledgedCompensation(program: SagaProgram<object>): boolean {
  return program.steps.some((step) => step.compensation && step.compensation.success.length === 0);
}

/**
 * The receipt for a dispatched command, when it is the compensation without `ack` that the instance's
 * step in flight waits for; undefined for any other command.
 */
export function compensationSent(
  program: SagaProgram<object>,
  instance: ProcessInstance,
  command: { readonly type: string; readonly messageId: string },
): SagaCompensationSent | undefined {
  if (!isSagaState(instance.state)) return undefined;
  const active = activeStep(program, instance.state);
  const compensation = active?.step.compensation;
  if (!active || active.state.status !== 'compensating' || !compensation || compensation.success.length > 0)
    return undefined;
  let type: string;
  try {
    type = messageTypeName(compensation.send(instance.state.data).constructor);
  } catch {
    return undefined;
  }
  if (type !== command.type) return undefined;
  return new SagaCompensationSent(active.step.name, active.state.compensationAttempts, command.messageId);
}
