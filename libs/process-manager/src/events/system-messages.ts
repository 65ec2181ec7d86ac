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

/**
 * Delivered by `ProcessManagerService.cancel()` to an instance whose process undoes its work when
 * cancelled (an orchestrated saga compensates, then ends `cancelled`); others are cancelled directly.
 */
@MessageType('ProcessManager.ProcessCancelRequested')
export class ProcessCancelRequested {
  constructor(
    readonly reason?: string,
    readonly actor?: string,
  ) {}
}

export const SYSTEM_MESSAGES = [ProcessTimedOut, CommandDispatchFailed, ProcessCancelRequested];
