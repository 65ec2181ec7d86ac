import { Inject, Injectable } from '@nestjs/common';
import { OnEvent, OrchestratedSaga, ProcessManager, type SagaContext } from 'nestjs-process-manager';
import { type ResolvedSampleOptions, SAMPLE_OPTIONS } from '../sample-options.js';
import {
  ChargePayment,
  InventoryReleased,
  InventoryReserved,
  InventoryUnavailable,
  type OrderItem,
  OrderCancellationCompleted,
  OrderCancelled,
  OrderFailed,
  OrderFulfilled,
  OrderPlaced,
  OrderRejected,
  OrderShipped,
  OrderValidated,
  PaymentCharged,
  PaymentDeclined,
  PaymentRefunded,
  RefundPayment,
  ReleaseInventory,
  ReserveInventory,
  ShipmentFailed,
  ShipOrder,
  ValidateOrder,
} from './domain/index.js';
import { SimulatedCrashes } from './fake-services/simulated-crashes.js';

export const ORDER_FULFILMENT = 'order-fulfilment';

/** What the steps build their commands from: the order, plus what each reply added. */
export interface OrderData {
  orderId: string;
  items: OrderItem[];
  total: number;
  reservationId?: string; // from InventoryReserved
  paymentId?: string; // from PaymentCharged
  trackingNumber?: string; // from OrderShipped
}

/**
 * validate → reserve inventory → charge payment → ship. When a step fails for good, the completed
 * steps are undone in reverse order (refund payment, release inventory); `OrderCancelled` undoes them
 * too. The payment provider gets `paymentTimeout` to answer.
 */
@Injectable()
@ProcessManager({ name: ORDER_FULFILMENT, correlationKey: 'orderId' })
export class OrderFulfilment extends OrchestratedSaga<OrderData> {
  constructor(
    @Inject(SAMPLE_OPTIONS) private readonly options: ResolvedSampleOptions,
    private readonly crashes: SimulatedCrashes,
  ) {
    super();
  }

  @OnEvent(OrderPlaced, { start: true })
  placed(event: OrderPlaced, ctx: SagaContext<OrderData>): void {
    this.begin(ctx, { orderId: event.orderId, items: event.items, total: event.total });
  }

  protected readonly steps = this.define({ cancelOn: OrderCancelled })
    .step('validate', {
      send: (order) => new ValidateOrder(order.orderId, order.items, order.total),
      onSuccess: OrderValidated,
      onFailure: OrderRejected,
    })
    .step('reserve', {
      send: (order) => new ReserveInventory(order.orderId, order.items),
      onSuccess: InventoryReserved,
      onFailure: InventoryUnavailable,
      compensate: {
        send: (order) => new ReleaseInventory(order.orderId, order.reservationId!),
        ack: InventoryReleased,
      },
    })
    .step('charge', {
      send: (order) => new ChargePayment(order.orderId, order.total),
      onSuccess: PaymentCharged,
      onFailure: PaymentDeclined,
      merge: (charged) => ({ paymentId: charged.paymentId }),
      timeout: this.options.paymentTimeout,
      compensate: {
        send: (order) => new RefundPayment(order.orderId, order.paymentId!, order.total),
        ack: PaymentRefunded,
      },
    })
    .step('ship', {
      send: (order) => new ShipOrder(order.orderId, order.items),
      onSuccess: OrderShipped,
      onFailure: ShipmentFailed,
    });

  protected override onCompleted(ctx: SagaContext<OrderData>): void {
    const { orderId, trackingNumber } = ctx.state.data;
    this.crashes.crashIfArmed(orderId);
    ctx.publish(new OrderFulfilled(orderId, trackingNumber!));
  }

  protected override onCompensated(ctx: SagaContext<OrderData>): void {
    const { orderId } = ctx.state.data;
    const { cancellation, failure } = ctx.state;
    if (cancellation !== undefined) ctx.publish(new OrderCancellationCompleted(orderId, cancellation));
    else ctx.publish(new OrderFailed(orderId, failure ?? 'the order could not be fulfilled'));
  }
}
