/**
 * What the README's examples use without showing it: the app around them. Every export here is
 * imported into a README block that uses the name without declaring or importing it (see
 * generate.ts). The Quick start's own messages are not here: the README shows them.
 */
import { type CanActivate, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Outbox, ProcessManagerService } from 'nestjs-process-manager';

export { describe, expect, it } from '@jest/globals';

// The Quick start's command handlers (app.module.ts lists them).
@Injectable()
export class ChargeCardHandler {}
@Injectable()
export class ShipOrderHandler {}

// Concepts: a stateless handler, choreography and the app's outbox.
export class InvoicePaid {
  constructor(readonly invoiceId: string) {}
}
export class SendReceipt {
  constructor(readonly invoiceId: string) {}
}
export class InvoiceIssued {
  constructor(readonly invoiceId: string) {}
}
export class NotifyCustomer {
  constructor(readonly orderId: string) {}
}
export declare const dataSource: DataSource;
export declare const outbox: Outbox;
export declare const invoice: { id: string };

// Sagas.
export interface OrderData {
  orderId: string;
  total: number;
  reservationId?: string;
  paymentId?: string;
}
@Injectable()
export class PricingService {
  withFees(total: number): number {
    return total;
  }
}
class OrderMessage {
  constructor(readonly orderId: string) {}
}
export class ValidateOrder extends OrderMessage {}
export class OrderValidated extends OrderMessage {}
export class OrderRejected extends OrderMessage {}
export class OrderCancelled extends OrderMessage {}
export class ReserveInventory extends OrderMessage {}
export class InventoryReserved extends OrderMessage {}
export class InventoryUnavailable extends OrderMessage {}
export class ReleaseInventory {
  constructor(
    readonly orderId: string,
    readonly reservationId: string,
  ) {}
}
export class ChargePayment {
  constructor(
    readonly orderId: string,
    readonly amount: number,
  ) {}
}
export class PaymentCharged extends OrderMessage {}
export class PaymentDeclined extends OrderMessage {}
export class RefundPayment {
  constructor(
    readonly orderId: string,
    readonly paymentId: string,
  ) {}
}
export class PaymentRefunded extends OrderMessage {}
export class ShippingFailed extends OrderMessage {}

// Operations.
export declare const pm: ProcessManagerService;
export declare const processId: string;
export declare const deadLetterId: string;
export declare const cursor: string | undefined;

// The dashboard.
export interface AuthenticatedRequest {
  user: { email: string; roles: string[] };
}
@Injectable()
export class AdminGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}
