import { Injectable } from '@nestjs/common';
import { type ICommand, type IEvent, ofType, Saga, UnhandledExceptionBus } from '@nestjs/cqrs';
import { mapCaused } from 'nestjs-process-manager';
import type { Observable } from 'rxjs';
import { OrderShipped } from '../orders/domain/index.js';
import { SendNotification } from './send-notification.command.js';

/**
 * Choreography with a plain `@nestjs/cqrs` saga: no state, one event in, one command out. `mapCaused`
 * links the command to the event (correlation, causation) and keeps the stream alive if it throws.
 */
@Injectable()
export class OrderNotificationsSaga {
  constructor(private readonly unhandledExceptionBus: UnhandledExceptionBus) {}

  @Saga()
  orderShipped = (events$: Observable<IEvent>): Observable<ICommand> =>
    events$.pipe(
      ofType(OrderShipped),
      mapCaused(
        (event) =>
          new SendNotification(
            'order-shipped',
            event.orderId,
            `Your order is on its way: tracking number ${event.trackingNumber}.`,
          ),
        { unhandledExceptionBus: this.unhandledExceptionBus },
      ),
    );
}
