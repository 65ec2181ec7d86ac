import { describeValue } from './describe-value.js';
import { HopelessInputError } from './input.errors.js';
import { ProcessManagerError } from './process-manager.error.js';

/** An event that a stateful handler takes carries no value to correlate it with. */
export class MissingCorrelationValueError extends HopelessInputError {
  constructor(
    readonly processName: string,
    readonly messageType: string,
    readonly correlateBy: string,
  ) {
    super(
      `${messageType} has no value for ${correlateBy}, so it cannot be routed to a "${processName}" instance. ` +
        `Set it on the event, or fix the correlate option.`,
    );
  }
}

/** A `correlate` function threw. */
export class CorrelationFailedError extends HopelessInputError {
  constructor(
    readonly processName: string,
    readonly messageType: string,
    override readonly cause: unknown,
    /** What it threw, as text (the caller describes it: a thrown value may not even convert to a string). */
    causeText: string,
  ) {
    super(`The correlate function of "${processName}" threw for ${messageType}: ${causeText}`);
  }
}

/** A handler left state that would not come back from the database as it was written. */
export class StateNotSerializableError extends HopelessInputError {
  constructor(
    readonly processName: string,
    readonly processId: string,
    /** Where and what, e.g. `state.lines is a Map (store an object or an array of entries)`. */
    readonly reason: string,
  ) {
    super(
      `State of "${processName}" ${processId} cannot be stored as JSON: ${reason}. ` +
        `Keep state to plain objects, arrays, strings, finite numbers, booleans and null.`,
    );
  }
}

/** An outbox row names a message type no class is registered for. */
export class UnknownMessageTypeError extends ProcessManagerError {
  constructor(readonly typeName: string) {
    super(
      `No message class is registered as "${typeName}". Handle it with @OnEvent()/@CommandHandler() ` +
        `or name a class with @MessageType('${typeName}').`,
    );
  }
}

/** A bad duration such as `'10 minutes'`. */
export class InvalidDurationError extends HopelessInputError {
  constructor(
    readonly value: unknown,
    /** Set when the duration reads well but is out of range. */
    readonly reason?: string,
  ) {
    super(
      `Invalid duration ${describeValue(value)}${reason ? ` (${reason})` : ''}: ` +
        `use milliseconds or '250ms', '30s', '15m', '2h', '7d'.`,
    );
  }
}

export class DeadLetterNotFoundError extends ProcessManagerError {
  constructor(readonly deadLetterId: string) {
    super(`No dead letter with id ${deadLetterId} (it may have been retried already).`);
  }
}

export class ProcessNotFoundError extends ProcessManagerError {
  constructor(readonly processId: string) {
    super(`No process instance with id ${processId}.`);
  }
}

/** An operation that the instance's status does not allow, e.g. acknowledging a running process. */
export class InvalidProcessStatusError extends ProcessManagerError {
  constructor(
    readonly processId: string,
    readonly operation: string,
    readonly status: string,
  ) {
    super(`Cannot ${operation} process ${processId}: it is ${status}.`);
  }
}

/** `diagram()` or a lookup named a process type that is not registered. */
export class UnknownProcessTypeError extends ProcessManagerError {
  constructor(readonly processType: string) {
    super(`No @ProcessManager() is named "${processType}".`);
  }
}

/** The optimistic version check failed (internal: the runner re-loads and re-runs). */
export class ConcurrencyConflictError extends ProcessManagerError {
  constructor(readonly processId: string | undefined) {
    super(`Process ${processId ?? '(new)'} was changed concurrently.`);
  }
}

/** An event was re-run `conflictRetries` times and lost the race every time. */
export class ConflictRetriesExhaustedError extends ProcessManagerError {
  constructor(
    readonly processName: string,
    readonly correlationKey: string,
    readonly attempts: number,
  ) {
    super(
      `"${processName}" ${correlationKey}: gave up after ${attempts} concurrent-update conflicts. ` +
        `Raise conflictRetries or reduce contention on this instance.`,
    );
  }
}

/** A non-start event found no active instance and its route says `onMissing: 'retry' | 'dead-letter'`. */
export class NoActiveInstanceError extends ProcessManagerError {
  constructor(
    readonly processName: string,
    readonly messageType: string,
    readonly correlationKey: string,
    readonly policy: 'retry' | 'dead-letter',
  ) {
    super(
      `No active "${processName}" instance for ${correlationKey} to handle ${messageType} (onMissing: '${policy}').`,
    );
  }
}

/** `ctx.schedule()` of a message the process has no handler for: it could never be delivered. */
export class UnroutableTimerError extends HopelessInputError {
  constructor(
    readonly processName: string,
    readonly messageType: string,
  ) {
    super(
      `"${processName}" schedules ${messageType} but has no @OnEvent(${messageType}) handler to receive it.`,
    );
  }
}

/** `list({ cursor })` got a cursor that no `list()` returned. */
export class InvalidCursorError extends ProcessManagerError {
  constructor(readonly cursor: unknown) {
    super(
      `Invalid cursor ${describeValue(cursor)}: pass back the nextCursor of a previous list() or deadLetters() call.`,
    );
  }
}

/** A stateful handler did not settle within `retry.handlerTimeoutMs`; the delivery is retried like any failure. */
export class HandlerTimeoutError extends ProcessManagerError {
  constructor(
    readonly processName: string,
    readonly handler: string,
    readonly messageType: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${handler}() of "${processName}" did not finish ${messageType} within ${timeoutMs} ms; the delivery ` +
        `is retried with backoff. A handler decides and returns: move waiting I/O into a command handler, ` +
        `or raise retry.handlerTimeoutMs if it is just slow.`,
    );
  }
}
