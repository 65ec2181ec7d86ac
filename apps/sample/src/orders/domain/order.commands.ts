import { MessageType } from 'nestjs-process-manager';
import type { OrderItem } from './order-item.js';

@MessageType('ValidateOrder')
export class ValidateOrder {
  constructor(
    readonly orderId: string,
    readonly items: OrderItem[],
    readonly total: number,
  ) {}
}

@MessageType('ReserveInventory')
export class ReserveInventory {
  constructor(
    readonly orderId: string,
    readonly items: OrderItem[],
  ) {}
}

/** Compensates `ReserveInventory`. */
@MessageType('ReleaseInventory')
export class ReleaseInventory {
  constructor(
    readonly orderId: string,
    readonly reservationId: string,
  ) {}
}

@MessageType('ChargePayment')
export class ChargePayment {
  constructor(
    readonly orderId: string,
    readonly amount: number,
  ) {}
}

/** Compensates `ChargePayment`. */
@MessageType('RefundPayment')
export class RefundPayment {
  constructor(
    readonly orderId: string,
    readonly paymentId: string,
    readonly amount: number,
  ) {}
}

@MessageType('ShipOrder')
export class ShipOrder {
  constructor(
    readonly orderId: string,
    readonly items: OrderItem[],
  ) {}
}
