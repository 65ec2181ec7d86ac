import { describe, expect, it } from '@jest/globals';
import { stateDiagram } from '../../src/operations/state-diagram.js';
import { routingTableOf } from './fixtures/compiled-saga.js';
import { OrderFulfilment, PricingService } from './fixtures/order-fulfilment.saga.js';

describe('saga state diagram', () => {
  it('draws the steps in order and the compensations in reverse', async () => {
    const routes = await routingTableOf([PricingService, OrderFulfilment]);
    const diagram = stateDiagram(routes.process('order-fulfilment')!);
    const lines = diagram.split('\n').map((line) => line.trim());
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toEqual(
      expect.arrayContaining([
        '[*] --> validate : OrderPlaced',
        'validate --> reserve : OrderValidated',
        'reserve --> charge : InventoryReserved',
        'charge --> ship : PaymentCharged',
        'ship --> completed : OrderShipped',
        'validate --> compensated : OrderRejected',
        'charge --> reserve_compensating : PaymentDeclined / timeout',
        'state "charge:compensating" as charge_compensating',
        'charge_compensating --> reserve_compensating : PaymentRefunded',
        'reserve_compensating --> compensated : sent',
        'reserve_compensating --> compensation_failed : fails',
      ]),
    );
  });
});
