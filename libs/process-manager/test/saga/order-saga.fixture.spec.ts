import { afterEach, describe, expect, it } from '@jest/globals';
import { ProcessCompensated, ProcessFailed } from 'nestjs-process-manager';
import { ProcessTestFixture } from 'nestjs-process-manager/testing';
import {
  InventoryReserved,
  OrderPlaced,
  OrderValidated,
  PaymentCharged,
  RefundPayment,
  ReleaseInventory,
  ShippingFailed,
} from './fixtures/order-messages.js';
import { OrderFulfilment, PricingService } from './fixtures/order-fulfilment.saga.js';

/** What a user does to unit-test a saga: the testing fixture, no database. */
describe('order saga under ProcessTestFixture (memory store)', () => {
  let fixture: ProcessTestFixture;
  afterEach(async () => {
    await fixture.close();
  });

  it('retries an unacknowledged refund after its timeout, then asks for intervention', async () => {
    fixture = await ProcessTestFixture.create(OrderFulfilment, { providers: [PricingService] });
    await fixture.given(
      new OrderPlaced('o-1', 100),
      new OrderValidated('o-1'),
      new InventoryReserved('o-1', 'r-1'),
      new PaymentCharged('o-1', 'p-1'),
    );

    await fixture.when(new ShippingFailed('o-1', 'no courier'));
    fixture.expectCommands(new RefundPayment('o-1', 'p-1'));
    await fixture.expectStatus('compensating');
    await fixture.expectTimers([{ name: 'saga:step-timeout', dueAt: new Date('2030-01-01T00:01:00.000Z') }]);

    await fixture.advanceTime('1m');
    await fixture.expectState({
      steps: [{}, {}, { name: 'charge', retryAt: '2030-01-01T00:01:05.000Z' }, { status: 'failed' }],
    });
    await fixture.advanceTime('5s');
    fixture.expectCommands(new RefundPayment('o-1', 'p-1'));
    await fixture.advanceTime('1m');

    fixture.expectCommands();
    expect(fixture.commands.some((command) => command instanceof ReleaseInventory)).toBe(false);
    expect(fixture.events.some((event) => event instanceof ProcessCompensated)).toBe(false);
    expect(fixture.events.find((event) => event instanceof ProcessFailed)).toMatchObject({
      requiresIntervention: true,
    });
    await fixture.expectStatus('failed');
    await fixture.expectStateName('compensation_failed');
  });
});
