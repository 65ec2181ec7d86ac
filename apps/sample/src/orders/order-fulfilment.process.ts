import { Inject, Injectable } from '@nestjs/common';
import { OnEvent, type ProcessContext, ProcessManager } from 'nestjs-process-manager';
import { type ResolvedSampleOptions, SAMPLE_OPTIONS } from '../sample-options.js';
import {
  ChargePayment,
  InventoryReleased,
  InventoryReserved,
  InventoryUnavailable,
  type OrderItem,
  OrderFailed,
  OrderFulfilled,
  OrderPlaced,
  OrderRejected,
  OrderShipped,
  OrderValidated,
  PaymentCharged,
  PaymentDeclined,
  PaymentRefunded,
  PaymentTimedOut,
  RefundPayment,
  ReleaseInventory,
  ReserveInventory,
  ShipmentFailed,
  ShipOrder,
  ValidateOrder,
} from './domain/index.js';

export const ORDER_FULFILMENT = 'order-fulfilment';
const PAYMENT_TIMEOUT = 'payment-timeout';

export interface OrderFulfilmentState {
  orderId: string;
  items: OrderItem[];
  total: number;
  reservationId?: string;
  paymentId?: string;
  trackingNumber?: string;
  /** Why the order is being compensated. */
  failure?: string;
}

type Ctx = ProcessContext<OrderFulfilmentState>;

/**
 * validate → reserve inventory → charge payment → ship. A failure after a step undoes the steps
 * before it in reverse order (refund payment, release inventory) and then fails the order.
 * The payment provider gets `paymentTimeout` to answer.
 */
@Injectable()
@ProcessManager({ name: ORDER_FULFILMENT, correlationKey: 'orderId' })
export class OrderFulfilment {
  private readonly paymentTimeout: number | string;

  constructor(@Inject(SAMPLE_OPTIONS) options: ResolvedSampleOptions) {
    this.paymentTimeout = options.paymentTimeout;
  }

  @OnEvent(OrderPlaced, { start: true, to: 'validating' })
  placed(event: OrderPlaced, ctx: Ctx): void {
    ctx.state = { orderId: event.orderId, items: event.items, total: event.total };
    ctx.send(new ValidateOrder(event.orderId, event.items, event.total));
  }

  @OnEvent(OrderValidated, { from: 'validating', to: 'reserving-inventory' })
  validated(event: OrderValidated, ctx: Ctx): void {
    ctx.send(new ReserveInventory(event.orderId, ctx.state.items));
  }

  @OnEvent(OrderRejected, { from: 'validating', to: 'rejected' })
  rejected(event: OrderRejected, ctx: Ctx): void {
    this.failOrder(ctx, `Order rejected: ${event.reason}`);
  }

  @OnEvent(InventoryReserved, { from: 'reserving-inventory', to: 'charging-payment' })
  reserved(event: InventoryReserved, ctx: Ctx): void {
    ctx.state.reservationId = event.reservationId;
    ctx.send(new ChargePayment(event.orderId, ctx.state.total));
    ctx.schedule(
      new PaymentTimedOut(event.orderId, this.paymentTimeout),
      { after: this.paymentTimeout },
      PAYMENT_TIMEOUT,
    );
  }

  @OnEvent(InventoryUnavailable, { from: 'reserving-inventory', to: 'out-of-stock' })
  unavailable(event: InventoryUnavailable, ctx: Ctx): void {
    this.failOrder(ctx, `Out of stock: ${event.skus.join(', ')}`);
  }

  @OnEvent(PaymentCharged, { from: 'charging-payment', to: 'shipping' })
  charged(event: PaymentCharged, ctx: Ctx): void {
    ctx.cancelSchedule(PAYMENT_TIMEOUT);
    ctx.state.paymentId = event.paymentId;
    ctx.send(new ShipOrder(event.orderId, ctx.state.items));
  }

  @OnEvent(PaymentDeclined, { from: 'charging-payment', to: 'releasing-inventory' })
  declined(event: PaymentDeclined, ctx: Ctx): void {
    ctx.cancelSchedule(PAYMENT_TIMEOUT);
    this.compensateReservation(ctx, `Payment declined: ${event.reason}`);
  }

  @OnEvent(PaymentTimedOut, { from: 'charging-payment', to: 'releasing-inventory' })
  paymentTimedOut(event: PaymentTimedOut, ctx: Ctx): void {
    this.compensateReservation(ctx, `No answer from the payment provider within ${String(event.after)}`);
  }

  @OnEvent(OrderShipped, { from: 'shipping', to: 'completed' })
  shipped(event: OrderShipped, ctx: Ctx): void {
    ctx.state.trackingNumber = event.trackingNumber;
    ctx.publish(new OrderFulfilled(event.orderId, event.trackingNumber));
    ctx.complete();
  }

  @OnEvent(ShipmentFailed, { from: 'shipping', to: 'refunding-payment' })
  shipmentFailed(event: ShipmentFailed, ctx: Ctx): void {
    ctx.state.failure = `Shipping failed: ${event.reason}`;
    ctx.send(new RefundPayment(event.orderId, ctx.state.paymentId!, ctx.state.total));
  }

  @OnEvent(PaymentRefunded, { from: 'refunding-payment', to: 'releasing-inventory' })
  refunded(event: PaymentRefunded, ctx: Ctx): void {
    ctx.send(new ReleaseInventory(event.orderId, ctx.state.reservationId!));
  }

  @OnEvent(InventoryReleased, { from: 'releasing-inventory', to: 'compensated' })
  released(_event: InventoryReleased, ctx: Ctx): void {
    this.failOrder(ctx, ctx.state.failure ?? 'Order could not be fulfilled');
  }

  private compensateReservation(ctx: Ctx, failure: string): void {
    ctx.state.failure = failure;
    ctx.send(new ReleaseInventory(ctx.state.orderId, ctx.state.reservationId!));
  }

  private failOrder(ctx: Ctx, reason: string): void {
    ctx.publish(new OrderFailed(ctx.state.orderId, reason));
    ctx.fail(reason);
  }
}
