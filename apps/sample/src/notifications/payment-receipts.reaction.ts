import { Injectable } from '@nestjs/common';
import { OnEvent } from 'nestjs-process-manager';
import { PaymentCharged } from '../orders/domain/index.js';
import { SendNotification } from './send-notification.command.js';

/**
 * Choreography with a stateless `@OnEvent`: outside a `@ProcessManager` class the handler keeps no
 * state and returns the command to send; the library links it to the event (correlation, causation).
 */
@Injectable()
export class PaymentReceipts {
  @OnEvent(PaymentCharged)
  sendReceipt(event: PaymentCharged): SendNotification {
    return new SendNotification(
      'payment-receipt',
      event.orderId,
      `Payment ${event.paymentId} received: ${event.amount.toFixed(2)}.`,
    );
  }
}
