import { describe, expect, it } from '@jest/globals';
import { stateDiagram } from '../../src/operations/state-diagram.js';
import { routingTableOf } from './fixtures/compiled-saga.js';
import { OrderFulfilment, PricingService } from './fixtures/order-fulfilment.saga.js';
import { type TripOptions, tripBooking } from './fixtures/trip-booking.saga.js';

async function tripDiagram(options: TripOptions): Promise<string[]> {
  const routes = await routingTableOf([tripBooking(options)]);
  return stateDiagram(routes.process('trip-booking')!)
    .split('\n')
    .map((line) => line.trim());
}

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

  it('draws the cancel of an operator beside the cancelOn events', async () => {
    const routes = await routingTableOf([PricingService, OrderFulfilment]);
    const lines = stateDiagram(routes.process('order-fulfilment')!).split('\n');
    expect(lines).toContain('  charge --> charge_compensating : OrderCancelled / cancel()');
  });

  it('draws parallel compensation as one compensating state', async () => {
    const lines = await tripDiagram({ parallelCompensation: true });
    expect(lines).toEqual(
      expect.arrayContaining([
        'flight --> compensating : FlightUnavailable / timeout',
        'compensating --> compensated : all undone',
        'compensating --> compensation_failed : one fails',
      ]),
    );
    expect(lines.some((line) => line.includes('hotel_compensating'))).toBe(false);
  });

  it('draws a failed step undone by compensateFailed, and compensation that goes on after a failure', async () => {
    const lines = await tripDiagram({
      flightCompensateFailed: 'timeout',
      continueOnCompensationFailure: true,
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        'flight --> hotel_compensating : FlightUnavailable',
        'flight --> flight_compensating : timeout',
        'flight_compensating --> hotel_compensating : FlightCancelled',
        'hotel_compensating --> car_compensating : fails, goes on',
        'car_compensating --> compensated : CarCancelled',
        'car_compensating --> compensation_failed : after a failure',
      ]),
    );
  });

  it('notes that a routing slip runs its steps in the order each itinerary says', async () => {
    const lines = await tripDiagram({ routingSlip: true });
    expect(lines).toEqual(
      expect.arrayContaining([
        'note right of car : next on its itinerary from any state',
        'note right of flight : next on its itinerary from any state',
      ]),
    );
  });
});
