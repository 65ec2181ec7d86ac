import { MessageType } from '../kernel/message-type.js';

/**
 * Delivered to an instance when its `@ProcessManager({ timeout })` deadline passes while it still runs.
 * Handle it with `@OnEvent(ProcessTimedOut)`; unhandled, the instance fails with reason 'timed out'.
 */
@MessageType('ProcessManager.ProcessTimedOut')
export class ProcessTimedOut {
  constructor(readonly deadline: string) {}
}

/**
 * Delivered to an instance when a command it sent could not be dispatched after every attempt.
 * Handle it with `@OnEvent(CommandDispatchFailed)`; unhandled, the instance fails with the reason.
 */
@MessageType('ProcessManager.CommandDispatchFailed')
export class CommandDispatchFailed {
  constructor(
    readonly commandType: string,
    readonly commandMessageId: string,
    readonly error: string,
  ) {}
}

export const SYSTEM_MESSAGES = [ProcessTimedOut, CommandDispatchFailed];
