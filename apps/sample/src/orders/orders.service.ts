import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Outbox, ProcessManagerService } from 'nestjs-process-manager';
import { DataSource, Repository } from 'typeorm';
import { NotFoundError } from '../common/domain.errors.js';
import { ProcessStarts } from '../common/process-starts.js';
import type { CreateOrderDto } from './create-order.dto.js';
import { OrderPlaced } from './domain/index.js';
import { ORDER_FULFILMENT } from './order-fulfilment.process.js';
import { Order } from './order.entity.js';

export interface OrderView {
  orderId: string;
  status: Order['status'] | 'cancelled';
  processId: string | null;
  /** Named state of the order fulfilment, e.g. `charging-payment`. */
  stage: string | null;
  items: Order['items'];
  total: number;
  failureReason: string | null;
  trackingNumber: string | null;
  createdAt: Date;
}

@Injectable()
export class OrdersService {
  constructor(
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly processStarts: ProcessStarts,
    private readonly processes: ProcessManagerService,
  ) {}

  /** Records the order and, in the same transaction, the `OrderPlaced` that starts its fulfilment. */
  async place({
    items,
    total,
    simulate = {},
  }: CreateOrderDto): Promise<{ orderId: string; processId: string }> {
    const orderId = randomUUID();
    const plainItems = items.map(({ sku, qty }) => ({ sku, qty }));
    const processId = await this.processStarts.start(ORDER_FULFILMENT, orderId, () =>
      this.dataSource.transaction(async (manager) => {
        await manager.insert(Order, {
          id: orderId,
          items: plainItems,
          total,
          simulate: { ...simulate },
          status: 'processing',
        });
        await this.outbox.send(manager, new OrderPlaced(orderId, plainItems, total));
      }),
    );
    await this.orders.update({ id: orderId }, { processId });
    return { orderId, processId };
  }

  async view(orderId: string): Promise<OrderView> {
    const order = await this.orders.findOneBy({ id: orderId });
    if (!order) throw new NotFoundError(`No order with id ${orderId}.`);
    const process = order.processId
      ? await this.processes.get(order.processId)
      : await this.processes.find(ORDER_FULFILMENT, orderId);
    return {
      orderId: order.id,
      status: order.status === 'processing' && process?.status === 'cancelled' ? 'cancelled' : order.status,
      processId: process?.id ?? null,
      stage: process?.stateName ?? null,
      items: order.items,
      total: order.total,
      failureReason: order.failureReason,
      trackingNumber: order.trackingNumber,
      createdAt: order.createdAt,
    };
  }
}
