import { describe, expect, it } from '@jest/globals';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ProcessDefinitionExplorer } from '../../src/definition/process-definition.explorer.js';
import { ProcessMetadataAccessor } from '../../src/definition/process-metadata.accessor.js';
import { RoutingTable } from '../../src/definition/routing-table.js';
import { MessageTypeRegistry } from '../../src/messaging/message-type.registry.js';
import { stateDiagram } from '../../src/operations/state-diagram.js';
import { OrderFulfilment, PricingService } from './fixtures/order-fulfilment.saga.js';

describe('saga state diagram', () => {
  it('draws the steps in order and the compensations in reverse', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DiscoveryModule],
      providers: [
        ProcessDefinitionExplorer,
        ProcessMetadataAccessor,
        MessageTypeRegistry,
        RoutingTable,
        PricingService,
        OrderFulfilment,
      ],
    }).compile();
    await moduleRef.init();
    const diagram = stateDiagram(moduleRef.get(RoutingTable).process('order-fulfilment')!);
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
    await moduleRef.close();
  });
});
