import { describe, expect, it } from '@jest/globals';
import { BookFlight, CancelHotel } from './fixtures/trip-booking.saga.js';
import { statuses, useTripSaga } from './fixtures/trip-app.js';

describe('trip saga: compensation options and routing slips (PostgreSQL)', () => {
  const start = useTripSaga();

  it('continueOnCompensationFailure undoes the rest after a compensation fails, keeping the original error', async () => {
    const trip = await start({ continueOnCompensationFailure: true });
    trip.desk.script(BookFlight, 'fail');
    trip.desk.script(CancelHotel, 'fail');
    const requested = await trip.request();
    const ended = await trip.untilEnded(requested.id);

    expect(trip.desk.received).toEqual(['BookCar', 'BookHotel', 'BookFlight', 'CancelHotel', 'CancelCar']);
    expect(statuses(ended)).toEqual({ car: 'compensated', hotel: 'compensation_failed', flight: 'failed' });
    expect(ended).toMatchObject({
      status: 'failed',
      stateName: 'compensation_failed',
      lastError:
        'flight failed: FlightUnavailable: sold out; compensation of hotel failed: HotelCancelFailed: hotel closed',
    });
  });

  it("compensateFailed: 'timeout' undoes a step that timed out, first", async () => {
    const trip = await start({ flightCompensateFailed: 'timeout' });
    trip.desk.script(BookFlight, 'silent');
    const requested = await trip.request();
    await trip.until(requested.id, 'the flight requested', (i) => statuses(i).flight === 'running');

    await trip.advance('30s');
    const ended = await trip.untilEnded(requested.id);

    expect(trip.desk.received).toEqual([
      'BookCar',
      'BookHotel',
      'BookFlight',
      'CancelFlight',
      'CancelHotel',
      'CancelCar',
    ]);
    expect(statuses(ended)).toEqual({ car: 'compensated', hotel: 'compensated', flight: 'compensated' });
    expect(ended).toMatchObject({ status: 'failed', lastError: 'flight failed: no reply within 30000 ms' });
  });

  it('parallelCompensation sends every compensation at once and ends when each is acknowledged', async () => {
    const trip = await start({ parallelCompensation: true });
    trip.desk.script(BookFlight, 'fail');
    const requested = await trip.request();
    const ended = await trip.untilEnded(requested.id);

    expect(trip.desk.received.slice(0, 3)).toEqual(['BookCar', 'BookHotel', 'BookFlight']);
    expect(trip.desk.received.slice(3).sort()).toEqual(['CancelCar', 'CancelHotel']);
    expect(statuses(ended)).toEqual({ car: 'compensated', hotel: 'compensated', flight: 'failed' });
    expect(ended).toMatchObject({ status: 'failed', stateName: 'compensated' });
    const history = await trip.processes.history(requested.id);
    const undoing = history.find((entry) => entry.messageType === 'FlightUnavailable');
    expect(undoing?.note).toBe(
      'flight: running → failed (FlightUnavailable: sold out); hotel: completed → compensating; car: completed → compensating',
    );
  });

  it('a routing slip runs its itinerary and undoes only what ran, in reverse', async () => {
    const trip = await start({ routingSlip: true });
    trip.desk.script(BookFlight, 'fail');
    const requested = await trip.request(['hotel', 'car', 'flight']);
    const ended = await trip.untilEnded(requested.id);

    expect(trip.desk.received).toEqual(['BookHotel', 'BookCar', 'BookFlight', 'CancelCar', 'CancelHotel']);
    expect(ended.state.itinerary).toEqual(['hotel', 'car', 'flight']);
    expect(statuses(ended)).toEqual({ hotel: 'compensated', car: 'compensated', flight: 'failed' });
    const history = await trip.processes.history(requested.id);
    expect(history[0]).toMatchObject({
      messageType: 'TripRequested',
      toState: 'hotel',
      note: 'itinerary: hotel → car → flight; hotel: pending → running',
    });
  });

  it('a routing slip that leaves a step out never runs or undoes it', async () => {
    const trip = await start({ routingSlip: true });
    trip.desk.script(BookFlight, 'fail');
    const requested = await trip.request(['flight', 'car']);
    const ended = await trip.untilEnded(requested.id);

    expect(trip.desk.received).toEqual(['BookFlight']);
    expect(statuses(ended)).toEqual({ flight: 'failed', car: 'pending' });
    expect(ended).toMatchObject({ status: 'failed', stateName: 'compensated' });
  });
});
