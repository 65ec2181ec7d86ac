import { CommandHandler } from '@nestjs/cqrs';
import { FakeDownstream } from '../../downstream/fake-downstream.js';
import { FakeService } from '../../downstream/fake-service.js';
import { OrderShipped, ShipmentFailed, ShipOrder } from '../domain/index.js';
import { OrderSimulations } from './order-simulations.js';

/** Fake carrier: ships, or fails the shipment when the order simulates `shipping: 'fail'`. */
@CommandHandler(ShipOrder)
export class ShippingService extends FakeService<ShipOrder> {
  protected readonly command = ShipOrder;

  constructor(
    downstream: FakeDownstream,
    private readonly simulations: OrderSimulations,
  ) {
    super(downstream);
  }

  protected async respond({ orderId }: ShipOrder): Promise<object> {
    const simulate = await this.simulations.of(orderId);
    if (simulate.shipping === 'fail') return new ShipmentFailed(orderId, 'the carrier rejected the parcel');
    return new OrderShipped(orderId, `TRK-${orderId.slice(0, 8).toUpperCase()}`);
  }
}
