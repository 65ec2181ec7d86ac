import { MessageType } from 'nestjs-process-manager';
import type { OrderItem } from './order-item.js';

@MessageType('OrderPlaced')
export class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly items: OrderItem[],
    readonly total: number,
  ) {}
}

@MessageType('OrderValidated')
export class OrderValidated {
  constructor(readonly orderId: string) {}
}

@MessageType('OrderRejected')
export class OrderRejected {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}

@MessageType('InventoryReserved')
export class InventoryReserved {
  constructor(
    readonly orderId: string,
    readonly reservationId: string,
  ) {}
}

@MessageType('InventoryUnavailable')
export class InventoryUnavailable {
  constructor(
    readonly orderId: string,
    readonly skus: string[],
    readonly reason: string,
  ) {}
}

@MessageType('InventoryReleased')
export class InventoryReleased {
  constructor(
    readonly orderId: string,
    readonly reservationId: string,
  ) {}
}

@MessageType('PaymentCharged')
export class PaymentCharged {
  constructor(
    readonly orderId: string,
    readonly paymentId: string,
    readonly amount: number,
  ) {}
}

@MessageType('PaymentDeclined')
export class PaymentDeclined {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}

@MessageType('PaymentRefunded')
export class PaymentRefunded {
  constructor(
    readonly orderId: string,
    readonly paymentId: string,
  ) {}
}

@MessageType('OrderShipped')
export class OrderShipped {
  constructor(
    readonly orderId: string,
    readonly trackingNumber: string,
  ) {}
}

@MessageType('ShipmentFailed')
export class ShipmentFailed {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}

/** The order was shipped: published by the order fulfilment when it completes. */
@MessageType('OrderFulfilled')
export class OrderFulfilled {
  constructor(
    readonly orderId: string,
    readonly trackingNumber: string,
  ) {}
}

/** The order could not be fulfilled; everything done for it was undone. */
@MessageType('OrderFailed')
export class OrderFailed {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}

/** The customer asked to cancel the order (`POST /orders/:orderId/cancel`); it cancels its fulfilment. */
@MessageType('OrderCancelled')
export class OrderCancelled {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}

/** A cancelled order's fulfilment is over: everything done for it was undone. */
@MessageType('OrderCancellationCompleted')
export class OrderCancellationCompleted {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}
