import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Outbox, type ProcessInstance, ProcessManagerService, type SagaState } from 'nestjs-process-manager';
import { DataSource, Repository } from 'typeorm';
import { ConflictError, NotFoundError } from '../common/domain.errors.js';
import { ProcessStarts } from '../common/process-starts.js';
import type { CreateOrderDto } from './create-order.dto.js';
import { OrderCancelled, OrderPlaced } from './domain/index.js';
import { SimulatedCrashes } from './fake-services/index.js';
import { ORDER_FULFILMENT } from './order-fulfilment.saga.js';
import { Order, type OrderStatus } from './order.entity.js';

/**
 * Where an order is: its published outcome (`completed`, `compensated`: could not be fulfilled and
 * everything done was undone, `cancelled`), else where its fulfilment is (`processing`, `compensating`,
 * `cancelling`), or `failed` when the fulfilment failed without undoing everything (an operator must look).
 */
export type OrderViewStatus = OrderStatus | 'compensating' | 'cancelling' | 'failed';

export interface OrderView {
  orderId: string;
  status: OrderViewStatus;
  processId: string | null;
  /** Named state of the order fulfilment: its step (`charge`), `reserve:compensating`, `completed`, … */
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
    private readonly crashes: SimulatedCrashes,
  ) {}

  /** Records the order and, in the same transaction, the `OrderPlaced` that starts its fulfilment. */
  async place({
    items,
    total,
    simulate = {},
  }: CreateOrderDto): Promise<{ orderId: string; processId: string }> {
    const orderId = randomUUID();
    const plainItems = items.map(({ sku, qty }) => ({ sku, qty }));
    if (simulate.completion === 'crash') this.crashes.arm(orderId);
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

  /**
   * Asks the fulfilment to stop: `OrderCancelled` goes out through the outbox, and the saga undoes what
   * it did once the step in flight has answered. Asking again while it cancels changes nothing.
   */
  async cancel(
    orderId: string,
    reason = 'cancelled by the customer',
  ): Promise<{ orderId: string; processId: string; status: 'cancelling' }> {
    const order = await this.found(orderId);
    const process = await this.processOf(order);
    const status = statusOf(order, process);
    if (process && status === 'cancelling') return { orderId, processId: process.id, status };
    if (!process || status !== 'processing') {
      throw new ConflictError(`Order ${orderId} cannot be cancelled: it is ${status}.`);
    }
    await this.dataSource.transaction((manager) =>
      this.outbox.send(manager, new OrderCancelled(orderId, reason)),
    );
    return { orderId, processId: process.id, status: 'cancelling' };
  }

  async view(orderId: string): Promise<OrderView> {
    const order = await this.found(orderId);
    const process = await this.processOf(order);
    const status = statusOf(order, process);
    const ended = status === 'compensated' || status === 'failed';
    return {
      orderId: order.id,
      status,
      processId: process?.id ?? null,
      stage: process?.stateName ?? null,
      items: order.items,
      total: order.total,
      failureReason: order.failureReason ?? (ended ? (process?.lastError ?? null) : null),
      trackingNumber: order.trackingNumber,
      createdAt: order.createdAt,
    };
  }

  private async found(orderId: string): Promise<Order> {
    const order = await this.orders.findOneBy({ id: orderId });
    if (!order) throw new NotFoundError(`No order with id ${orderId}.`);
    return order;
  }

  private processOf(order: Order): Promise<ProcessInstance | null> {
    return order.processId
      ? this.processes.get(order.processId)
      : this.processes.find(ORDER_FULFILMENT, order.id);
  }
}

/** The published outcome when there is one, else what the fulfilment instance is doing. */
function statusOf(order: Order, process: ProcessInstance | null): OrderViewStatus {
  if (order.status !== 'processing') return order.status;
  const cancelling = (process?.state as Partial<SagaState> | undefined)?.cancellation !== undefined;
  switch (process?.status) {
    case undefined:
    case 'running':
      return cancelling ? 'cancelling' : 'processing';
    case 'compensating':
      return cancelling ? 'cancelling' : 'compensating';
    case 'completed':
      return 'completed'; // the outcome is on its way to the projector
    case 'cancelled':
      return 'cancelled'; // by the saga, or by an operator (without compensation)
    case 'failed':
      return process.stateName === 'compensated' ? 'compensated' : 'failed';
  }
}
