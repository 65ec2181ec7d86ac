import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { OrderCancellationCompleted, OrderFailed, OrderFulfilled } from './domain/index.js';
import { Order } from './order.entity.js';

type OrderOutcome = OrderFulfilled | OrderFailed | OrderCancellationCompleted;

/** Keeps the order's status in step with the outcome its fulfilment publishes. */
@EventsHandler(OrderFulfilled, OrderFailed, OrderCancellationCompleted)
export class OrderStatusProjector implements IEventHandler<OrderOutcome> {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}

  async handle(event: OrderOutcome): Promise<void> {
    if (event instanceof OrderFulfilled) {
      await this.orders.update(
        { id: event.orderId },
        { status: 'completed', trackingNumber: event.trackingNumber },
      );
    } else if (event instanceof OrderFailed) {
      await this.orders.update({ id: event.orderId }, { status: 'compensated', failureReason: event.reason });
    } else {
      await this.orders.update({ id: event.orderId }, { status: 'cancelled' });
    }
  }
}
