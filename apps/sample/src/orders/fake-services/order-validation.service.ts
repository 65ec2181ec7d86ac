import { CommandHandler } from '@nestjs/cqrs';
import { FakeService } from '../../downstream/fake-service.js';
import { OrderRejected, OrderValidated, ValidateOrder } from '../domain/index.js';

export const CREDIT_LIMIT = 10_000;

/** Fake risk check: orders over the credit limit are rejected. */
@CommandHandler(ValidateOrder)
export class OrderValidationService extends FakeService<ValidateOrder> {
  protected readonly command = ValidateOrder;

  protected async respond({ orderId, total }: ValidateOrder): Promise<object> {
    if (total > CREDIT_LIMIT) {
      return new OrderRejected(orderId, `total ${total} is over the credit limit of ${CREDIT_LIMIT}`);
    }
    return new OrderValidated(orderId);
  }
}
