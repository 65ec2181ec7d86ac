import { CommandHandler } from '@nestjs/cqrs';
import { FakeDownstream } from '../../downstream/fake-downstream.js';
import { FakeService } from '../../downstream/fake-service.js';
import {
  ChargePayment,
  PaymentCharged,
  PaymentDeclined,
  PaymentRefunded,
  RefundPayment,
} from '../domain/index.js';
import { OrderSimulations } from './order-simulations.js';

/** Fake payment provider: charges, declines (`payment: 'decline'`) or never answers (`payment: 'timeout'`). */
@CommandHandler(ChargePayment)
export class ChargePaymentService extends FakeService<ChargePayment> {
  protected readonly command = ChargePayment;

  constructor(
    downstream: FakeDownstream,
    private readonly simulations: OrderSimulations,
  ) {
    super(downstream);
  }

  protected async respond({ orderId, amount }: ChargePayment): Promise<object | undefined> {
    const simulate = await this.simulations.of(orderId);
    if (simulate.payment === 'timeout') return undefined;
    if (simulate.payment === 'decline') return new PaymentDeclined(orderId, 'card declined by the issuer');
    return new PaymentCharged(orderId, `pay-${orderId.slice(0, 8)}`, amount);
  }
}

/** Fake payment provider: refunds a charge (compensation of `ChargePayment`). */
@CommandHandler(RefundPayment)
export class RefundPaymentService extends FakeService<RefundPayment> {
  protected readonly command = RefundPayment;

  protected async respond({ orderId, paymentId }: RefundPayment): Promise<object> {
    return new PaymentRefunded(orderId, paymentId);
  }
}
