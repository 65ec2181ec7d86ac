import { MessageType, messageTypeName } from '../kernel/message-type.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import { inFlightSteps, type SagaProgram } from './saga-program.js';
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
  for (const { step, state } of inFlightSteps(program, instance.state)) {
    const compensation = step.compensation;
    if (state.status !== 'compensating' || !compensation || compensation.success.length > 0) continue;
    let type: string;
    try {
      type = messageTypeName(compensation.send(instance.state.data).constructor);
    } catch {
      continue;
    }
    if (type === command.type)
      return new SagaCompensationSent(step.name, state.compensationAttempts, command.messageId);
  }
  return undefined;
}
