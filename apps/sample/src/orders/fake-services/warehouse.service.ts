import { CommandHandler } from '@nestjs/cqrs';
import { FakeDownstream } from '../../downstream/fake-downstream.js';
import { FakeService } from '../../downstream/fake-service.js';
import {
  InventoryReleased,
  InventoryReserved,
  InventoryUnavailable,
  ReleaseInventory,
  ReserveInventory,
} from '../domain/index.js';
import { OrderSimulations } from './order-simulations.js';

/** Fake warehouse: reserves stock unless the order simulates `inventory: 'unavailable'`. */
@CommandHandler(ReserveInventory)
export class ReserveInventoryService extends FakeService<ReserveInventory> {
  protected readonly command = ReserveInventory;

  constructor(
    downstream: FakeDownstream,
    private readonly simulations: OrderSimulations,
  ) {
    super(downstream);
  }

  protected async respond({ orderId, items }: ReserveInventory): Promise<object> {
    const simulate = await this.simulations.of(orderId);
    if (simulate.inventory === 'unavailable') {
      const skus = items.map((item) => item.sku);
      return new InventoryUnavailable(orderId, skus, `out of stock: ${skus.join(', ')}`);
    }
    return new InventoryReserved(orderId, `res-${orderId.slice(0, 8)}`);
  }
}

/** Fake warehouse: releases a reservation (compensation of `ReserveInventory`). */
@CommandHandler(ReleaseInventory)
export class ReleaseInventoryService extends FakeService<ReleaseInventory> {
  protected readonly command = ReleaseInventory;

  protected async respond({ orderId, reservationId }: ReleaseInventory): Promise<object> {
    return new InventoryReleased(orderId, reservationId);
  }
}
