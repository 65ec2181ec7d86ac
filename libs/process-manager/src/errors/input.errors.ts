import { describeValue } from './describe-value.js';
import { ProcessManagerError } from './process-manager.error.js';

/**
 * Base of the errors that bad input raises during a delivery: the same input fails the same way on
 * every attempt, so the delivery is dead-lettered at once instead of being retried.
 */
export class HopelessInputError extends ProcessManagerError {
  /** Read by the failure path: no retry can fix this. */
  readonly hopeless = true;
}

/** A correlation or association value that cannot name exactly one instance. */
export class InvalidCorrelationValueError extends HopelessInputError {
  constructor(
    readonly processName: string,
    /** The message type, or `associate('key')` for an association value. */
    readonly source: string,
    readonly correlateBy: string,
    readonly reason: string,
  ) {
    super(
      `The correlation value of ${source} for "${processName}" (${correlateBy}) ${reason}. ` +
        `Correlate on a string (at most 400 characters, no NUL, no lone surrogate) or a finite number.`,
    );
  }
}

/** A message a step sends, publishes or schedules would not survive its trip through the outbox or a timer row. */
export class MessageNotSerializableError extends HopelessInputError {
  constructor(
    /** Who sends it: `process "order"`, a stateless handler, the app's Outbox. */
    readonly sender: string,
    readonly messageType: string,
    readonly reason: string,
  ) {
    super(
      `A ${messageType} sent by ${sender} is not plain JSON: ${reason}. ` +
        `Give messages fields of strings, finite numbers, booleans, null, arrays and plain objects.`,
    );
  }
}

/** A `ProcessContext` call with an argument the instance could never store or act on. */
export class InvalidContextCallError extends HopelessInputError {
  constructor(
    readonly processName: string,
    /** e.g. `transitionTo()`, `schedule()`. */
    readonly call: string,
    readonly reason: string,
  ) {
    super(`"${processName}" called ctx.${call} with ${reason}.`);
  }
}

/** The metadata of an incoming message has an id that cannot be stored (inbox, history, dead letters). */
export class InvalidMessageMetadataError extends HopelessInputError {
  constructor(
    readonly messageType: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(
      `${messageType} carries a metadata ${field} that ${reason}. ` +
        `Use ids of 1 to 200 characters without NUL or lone surrogates (a uuid is ideal).`,
    );
  }
}

/** A `ProcessManagerService` call got an argument it cannot use. */
export class InvalidArgumentError extends ProcessManagerError {
  constructor(
    /** e.g. `list()`. */
    readonly operation: string,
    readonly argument: string,
    readonly reason: string,
  ) {
    super(`${operation}: ${argument} ${reason}.`);
  }
}

/** A module option out of its range: boot fails rather than misbehaving later. */
export class InvalidOptionsError extends ProcessManagerError {
  constructor(
    readonly option: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(
      `ProcessManagerModule option ${option} is ${describeValue(value)}; it must be ${expected}. ` +
        `Fix it in ProcessManagerModule.forRoot() / forRootAsync().`,
    );
  }
}
