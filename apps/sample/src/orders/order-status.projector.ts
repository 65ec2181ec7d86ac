import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { OrderFailed, OrderFulfilled } from './domain/index.js';
import { Order } from './order.entity.js';

/** Keeps the order's status in step with what its fulfilment publishes. */
@EventsHandler(OrderFulfilled, OrderFailed)
export class OrderStatusProjector implements IEventHandler<OrderFulfilled | OrderFailed> {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}

  async handle(event: OrderFulfilled | OrderFailed): Promise<void> {
    if (event instanceof OrderFulfilled) {
      await this.orders.update(
        { id: event.orderId },
        { status: 'completed', trackingNumber: event.trackingNumber },
      );
    } else {
      await this.orders.update({ id: event.orderId }, { status: 'failed', failureReason: event.reason });
    }
  }
}
