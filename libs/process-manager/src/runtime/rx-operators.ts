import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { UnhandledExceptionBus } from '@nestjs/cqrs';
import { catchError, defer, EMPTY, from, mergeMap, type OperatorFunction } from 'rxjs';
import { getMetadata, withMetadata } from '../kernel/message-metadata.js';

const logger = new Logger('ProcessManagerSaga');

export interface MapCausedOptions {
  /** Where a throwing `project` is reported besides the log (inject it in the saga's provider). */
  unhandledExceptionBus?: UnhandledExceptionBus;
}

/**
 * For `@Saga()` streams: maps each event to the command(s) it causes. Every command gets a fresh
 * messageId, the event's correlationId and the event's messageId as causationId, so a trace stays
 * connected across stateless hops. A `project` that throws is reported and skipped: the stream, unlike
 * a plain `map`, stays alive for the next events.
 *
 * ```ts
 * @Saga() notify = (events$: Observable<IEvent>) =>
 *   events$.pipe(ofType(OrderShipped), mapCaused((event) => new SendShippingNotice(event.orderId)));
 * ```
 */
export function mapCaused<E extends object, C extends object>(
  project: (event: E) => C | C[] | undefined | null,
  options: MapCausedOptions = {},
): OperatorFunction<E, C> {
  return mergeMap((event: E) =>
    defer(() => {
      const cause = getMetadata(event);
      const produced = [project(event) ?? []].flat() as C[];
      return from(
        produced.map((command) =>
          withMetadata(command, {
            messageId: randomUUID(),
            correlationId: cause?.correlationId ?? cause?.messageId,
            causationId: cause?.messageId,
            occurredAt: new Date(),
          }),
        ),
      );
    }).pipe(
      catchError((error: unknown) => {
        logger.error(
          `Saga step failed for ${event.constructor.name}; the stream continues: ${String(error)}`,
          error instanceof Error ? error.stack : undefined,
        );
        options.unhandledExceptionBus?.publish({ cause: event, exception: error });
        return EMPTY;
      }),
    ),
  );
}
