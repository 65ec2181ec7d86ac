import { HopelessInputError } from './input.errors.js';
import { ProcessManagerError } from './process-manager.error.js';

/** Where a delivery was going, as the failure path names it in its errors and log lines. */
export interface DeliveryTarget {
  /** Process type, or `Class.method` of a stateless handler. */
  readonly handler: string;
  readonly messageType: string;
  readonly messageId: string;
  readonly correlationKey: string | undefined;
}

function describeTarget({ handler, messageType, messageId, correlationKey }: DeliveryTarget): string {
  return `${messageType} ${messageId} for "${handler}"${correlationKey === undefined ? '' : ` ${correlationKey}`}`;
}

/**
 * A delivery failed and its failure could not be written either (typically: the database is
 * unreachable), so nothing durable says it must be retried. `deliver()` rejects with it, so that a
 * broker consumer does not ack; events from the EventBus are held in memory and retried instead.
 */
export class DeliveryNotRecordedError extends ProcessManagerError {
  constructor(
    readonly delivery: DeliveryTarget,
    /** What made the delivery fail. */
    override readonly cause: unknown,
    causeText: string,
    /** What the failure store answered when asked to record it. */
    readonly recordError: unknown,
    recordErrorText: string,
  ) {
    super(
      `${describeTarget(delivery)} failed (${causeText}) and the failure could not be recorded ` +
        `(${recordErrorText}). Nothing durable holds it: check the database connection; the sender ` +
        `must deliver it again (a broker consumer: do not ack).`,
    );
  }
}

/**
 * A failed delivery whose failure record could be written only with changes (text the database refuses,
 * keys longer than their columns, a payload that is not JSON): no retry could run it as it came, so it
 * is dead-lettered at once. The stored copy is altered as listed; `cause` is the original error.
 */
export class UnstorableDeliveryError extends HopelessInputError {
  constructor(
    readonly delivery: DeliveryTarget,
    readonly alterations: readonly string[],
    override readonly cause: unknown,
    causeText: string,
  ) {
    super(
      `${describeTarget(delivery)} cannot be stored as it came: ${alterations.join('; ')}. It is ` +
        `dead-lettered at once, with the stored copy altered as listed; fix the sender of the message. ` +
        `Original error: ${causeText}`,
    );
  }
}

/**
 * While the database is unreachable, failed deliveries of EventBus events are held in memory up to
 * `retry.pendingLimit`; past it each further one is dropped with this error (logged and published on
 * the UnhandledExceptionBus) — the EventBus cannot push back on its publisher.
 */
export class PendingLimitReachedError extends ProcessManagerError {
  constructor(
    readonly delivery: DeliveryTarget,
    readonly limit: number,
    override readonly cause: unknown,
    causeText: string,
  ) {
    super(
      `${describeTarget(delivery)} is dropped: ${limit} failed deliveries are already held in memory ` +
        `while the database is unreachable (retry.pendingLimit). Original error: ${causeText}. ` +
        `Raise retry.pendingLimit, or take such events in through the Outbox or ProcessManagerService.deliver() ` +
        `so that their sender keeps them.`,
    );
  }
}
