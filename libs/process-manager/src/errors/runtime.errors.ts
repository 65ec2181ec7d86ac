import { ProcessManagerError } from './process-manager.error.js';

/** An event that a stateful handler takes carries no value to correlate it with. */
export class MissingCorrelationValueError extends ProcessManagerError {
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
export class CorrelationFailedError extends ProcessManagerError {
  constructor(
    readonly processName: string,
    readonly messageType: string,
    override readonly cause: unknown,
  ) {
    super(`The correlate function of "${processName}" threw for ${messageType}: ${String(cause)}`);
  }
}

/** A handler left state that cannot be stored as JSON. */
export class StateNotSerializableError extends ProcessManagerError {
  constructor(
    readonly processName: string,
    readonly processId: string,
    readonly reason: string,
  ) {
    super(
      `State of "${processName}" ${processId} is not JSON-serialisable (${reason}). ` +
        `Keep state to plain objects, arrays, strings, numbers, booleans and null.`,
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
export class InvalidDurationError extends ProcessManagerError {
  constructor(readonly value: unknown) {
    super(
      `Invalid duration ${JSON.stringify(value)}: use milliseconds or '250ms', '30s', '15m', '2h', '7d'.`,
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
export class UnroutableTimerError extends ProcessManagerError {
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
  constructor(readonly cursor: string) {
    super(`Invalid list cursor "${cursor}": pass back the nextCursor of a previous list() call.`);
  }
}
