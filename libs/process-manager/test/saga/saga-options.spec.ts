import { describe, expect, it } from '@jest/globals';
import { InvalidSagaItineraryError, ProcessCancelRequested, type SagaState } from 'nestjs-process-manager';
import { SagaStepTimedOut } from '../../src/saga/saga-timers.js';
import { compiledSaga, outgoingTypes } from './fixtures/compiled-saga.js';
import {
  CarBooked,
  CarCancelled,
  CarCancelFailed,
  CarUnavailable,
  FlightBooked,
  FlightCancelled,
  FlightUnavailable,
  HotelBooked,
  HotelCancelled,
  HotelCancelFailed,
  type TripOptions,
  TripRequested,
  tripBooking,
} from './fixtures/trip-booking.saga.js';

const KEY = 'o-1';

/** The trip saga with `options`, its car and hotel booked and the flight requested. */
async function tripAtFlight(options: TripOptions = {}) {
  const saga = await compiledSaga('trip-booking', [tripBooking(options)]);
  await saga.deliver(new TripRequested(KEY));
  await saga.deliver(new CarBooked(KEY, 'car-1'));
  await saga.deliver(new HotelBooked(KEY, 'hotel-1'));
  return saga;
}

type Saga = Awaited<ReturnType<typeof tripAtFlight>>;

/** Delivers each message and returns the commands (not library events) they sent, in order. */
async function commandsOf(saga: Saga, ...messages: object[]): Promise<string[]> {
  const sent: string[] = [];
  for (const message of messages) {
    const decision = await saga.deliver(message);
    sent.push(...outgoingTypes(decision).filter((type) => !type.startsWith('ProcessManager.')));
  }
  return sent;
}

function statuses(saga: Saga): Record<string, string> {
  const state = saga.instance!.state as SagaState;
  return Object.fromEntries(state.steps.map(({ name, status }) => [name, status]));
}

describe('saga options (pure engine)', () => {
  describe('continueOnCompensationFailure', () => {
    it('stops at the compensation that failed by default', async () => {
      const saga = await tripAtFlight();
      const sent = await commandsOf(
        saga,
        new FlightUnavailable(KEY, 'sold out'),
        new HotelCancelFailed(KEY, 'hotel closed'),
      );

      expect(sent).toEqual(['CancelHotel']);
      expect(statuses(saga)).toEqual({ car: 'completed', hotel: 'compensation_failed', flight: 'failed' });
      expect(saga.instance).toMatchObject({ status: 'failed', stateName: 'compensation_failed' });
    });

    it('goes on undoing the steps before it; the failure keeps the original error, the compensation error beside it', async () => {
      const saga = await tripAtFlight({ continueOnCompensationFailure: true });
      const sent = await commandsOf(
        saga,
        new FlightUnavailable(KEY, 'sold out'),
        new HotelCancelFailed(KEY, 'hotel closed'),
      );
      expect(sent).toEqual(['CancelHotel', 'CancelCar']);
      expect(saga.instance).toMatchObject({ status: 'compensating', stateName: 'car:compensating' });

      const ended = await saga.deliver(new CarCancelled(KEY));
      const reason =
        'flight failed: FlightUnavailable: sold out; compensation of hotel failed: HotelCancelFailed: hotel closed';
      expect(statuses(saga)).toEqual({ car: 'compensated', hotel: 'compensation_failed', flight: 'failed' });
      expect(ended.instance).toMatchObject({
        status: 'failed',
        stateName: 'compensation_failed',
        lastError: reason,
      });
      expect(outgoingTypes(ended)).toEqual(['ProcessManager.ProcessFailed']);
      expect(ended.outgoing[0]!.payload).toMatchObject({ reason, requiresIntervention: true });
      expect((saga.instance!.state as SagaState).failure).toBe('flight failed: FlightUnavailable: sold out');
    });

    it('lists every compensation that failed, in the order they ran', async () => {
      const saga = await tripAtFlight({ continueOnCompensationFailure: true });
      await commandsOf(
        saga,
        new FlightUnavailable(KEY, 'sold out'),
        new HotelCancelFailed(KEY, 'hotel closed'),
        new CarCancelFailed(KEY, 'garage closed'),
      );
      expect(saga.instance).toMatchObject({
        status: 'failed',
        lastError:
          'flight failed: FlightUnavailable: sold out; compensation of hotel failed: HotelCancelFailed: hotel closed; ' +
          'compensation of car failed: CarCancelFailed: garage closed',
      });
    });
  });

  describe('compensateFailed', () => {
    it("'timeout' undoes a step whose last attempt timed out, first", async () => {
      const saga = await tripAtFlight({ flightCompensateFailed: 'timeout' });
      const sent = await commandsOf(
        saga,
        new SagaStepTimedOut('flight', 'action', 1),
        new FlightCancelled(KEY),
        new HotelCancelled(KEY),
        new CarCancelled(KEY),
      );

      expect(sent).toEqual(['CancelFlight', 'CancelHotel', 'CancelCar']);
      expect(statuses(saga)).toEqual({ car: 'compensated', hotel: 'compensated', flight: 'compensated' });
      expect(saga.instance).toMatchObject({
        status: 'failed',
        stateName: 'compensated',
        lastError: 'flight failed: no reply within 30000 ms',
      });
    });

    it("'timeout' leaves a step that answered with a failure alone", async () => {
      const saga = await tripAtFlight({ flightCompensateFailed: 'timeout' });
      const sent = await commandsOf(saga, new FlightUnavailable(KEY, 'sold out'), new HotelCancelled(KEY));

      expect(sent).toEqual(['CancelHotel', 'CancelCar']);
      expect(statuses(saga)).toMatchObject({ flight: 'failed' });
    });

    it("'always' undoes the failed step even after a failure reply", async () => {
      const saga = await tripAtFlight({ flightCompensateFailed: 'always' });
      const sent = await commandsOf(
        saga,
        new FlightUnavailable(KEY, 'sold out'),
        new FlightCancelled(KEY),
        new HotelCancelled(KEY),
      );

      expect(sent).toEqual(['CancelFlight', 'CancelHotel', 'CancelCar']);
    });

    it('without it, a timed-out step is not compensated', async () => {
      const saga = await tripAtFlight();
      const sent = await commandsOf(saga, new SagaStepTimedOut('flight', 'action', 1));

      expect(sent).toEqual(['CancelHotel']);
      expect(statuses(saga)).toMatchObject({ flight: 'failed' });
    });
  });

  describe('parallelCompensation', () => {
    it('sends every compensation at once, last first, and ends once each is acknowledged', async () => {
      const saga = await tripAtFlight({ parallelCompensation: true });
      const undoing = await saga.deliver(new FlightUnavailable(KEY, 'sold out'));

      expect(outgoingTypes(undoing)).toEqual(['CancelHotel', 'CancelCar']);
      expect(undoing.instance).toMatchObject({ status: 'compensating', stateName: 'compensating' });
      expect(statuses(saga)).toEqual({ car: 'compensating', hotel: 'compensating', flight: 'failed' });
      // Each compensation in flight has a timer of its own.
      expect(undoing.timers.scheduled.map(({ name }) => name)).toEqual(['saga:step-timeout:hotel']);

      const carUndone = await saga.deliver(new CarCancelled(KEY));
      expect(outgoingTypes(carUndone)).toEqual([]);
      expect(carUndone.instance).toMatchObject({ status: 'compensating' });
      expect(statuses(saga)).toMatchObject({ car: 'compensated', hotel: 'compensating' });

      const ended = await saga.deliver(new HotelCancelled(KEY));
      expect(ended.timers.cancelled).toContain('saga:step-timeout:hotel');
      expect(outgoingTypes(ended)).toEqual([
        'ProcessManager.ProcessCompensated',
        'ProcessManager.ProcessFailed',
      ]);
      expect(ended.instance).toMatchObject({ status: 'failed', stateName: 'compensated' });
    });

    it('waits for the others when one compensation fails, then asks for intervention', async () => {
      const saga = await tripAtFlight({ parallelCompensation: true });
      await saga.deliver(new FlightUnavailable(KEY, 'sold out'));
      const hotelFailed = await saga.deliver(new HotelCancelFailed(KEY, 'hotel closed'));
      expect(hotelFailed.instance).toMatchObject({ status: 'compensating' });

      const ended = await saga.deliver(new CarCancelled(KEY));
      expect(statuses(saga)).toEqual({ car: 'compensated', hotel: 'compensation_failed', flight: 'failed' });
      expect(ended.instance).toMatchObject({
        status: 'failed',
        stateName: 'compensation_failed',
        lastError:
          'flight failed: FlightUnavailable: sold out; compensation of hotel failed: HotelCancelFailed: hotel closed',
      });
      expect(ended.outgoing[0]!.payload).toMatchObject({ requiresIntervention: true });
    });

    it('times out one compensation on its own timer', async () => {
      const saga = await tripAtFlight({ parallelCompensation: true });
      await saga.deliver(new FlightUnavailable(KEY, 'sold out'));
      await saga.deliver(new SagaStepTimedOut('hotel', 'compensation', 1));

      expect(statuses(saga)).toMatchObject({ car: 'compensating', hotel: 'compensation_failed' });
    });
  });

  describe('itinerary (routing slip)', () => {
    it('runs the chosen steps in the chosen order and undoes what ran, in reverse', async () => {
      const saga = await compiledSaga('trip-booking', [tripBooking({ routingSlip: true })]);
      const begun = await saga.deliver(new TripRequested(KEY, ['flight', 'car']));
      expect(outgoingTypes(begun)[0]).toBe('BookFlight');
      expect(begun.history.note).toBe('itinerary: flight → car; flight: pending → running');
      expect(saga.instance!.state).toMatchObject({ itinerary: ['flight', 'car'] });

      const sent = await commandsOf(
        saga,
        new FlightBooked(KEY, 'fl-1'),
        new CarUnavailable(KEY, 'none left'),
        new FlightCancelled(KEY),
      );
      expect(sent).toEqual(['BookCar', 'CancelFlight']);
      expect(statuses(saga)).toEqual({ flight: 'compensated', car: 'failed' });
      expect(saga.instance).toMatchObject({ status: 'failed', stateName: 'compensated' });
    });

    it('completes after the last step of its itinerary', async () => {
      const saga = await compiledSaga('trip-booking', [tripBooking({ routingSlip: true })]);
      const sent = await commandsOf(saga, new TripRequested(KEY, ['hotel']), new HotelBooked(KEY, 'h-1'));

      expect(sent).toEqual(['BookHotel']);
      expect(saga.instance).toMatchObject({ status: 'completed', stateName: 'completed' });
    });

    it('rejects a step the saga does not declare', async () => {
      const saga = await compiledSaga('trip-booking', [tripBooking({ routingSlip: true })]);

      await expect(saga.deliver(new TripRequested(KEY, ['car', 'train']))).rejects.toThrow(
        InvalidSagaItineraryError,
      );
      await expect(saga.deliver(new TripRequested(KEY, ['car', 'car']))).rejects.toThrow(
        'Saga TripBooking: itinerary [car, car] names a step twice: list each step at most once',
      );
      await expect(saga.deliver(new TripRequested(KEY, ['car', 'train']))).rejects.toThrow(
        "Saga TripBooking: itinerary [car, train] names 'train', not a step of the saga; choose among car, hotel, flight",
      );
    });

    it('is refused when the saga is not declared a routing slip', async () => {
      const saga = await compiledSaga('trip-booking', [tripBooking({ routingSlip: false })]);

      await expect(saga.deliver(new TripRequested(KEY, ['car']))).rejects.toThrow(
        'Saga TripBooking: itinerary [car] cannot be chosen: declare the saga a routing slip with this.define({ routingSlip: true })',
      );
    });
  });

  describe('an operator cancel (ProcessCancelRequested)', () => {
    it('takes the cancelOn path: waits for the step in flight, then undoes everything done, last first', async () => {
      const saga = await tripAtFlight();
      const requested = await saga.deliver(new ProcessCancelRequested('customer called', 'ops'));
      expect(requested.history.note).toBe(
        'cancel requested (cancel(): customer called (by ops)): compensation starts when flight answers',
      );

      const sent = await commandsOf(
        saga,
        new FlightBooked(KEY, 'fl-1'),
        new FlightCancelled(KEY),
        new HotelCancelled(KEY),
        new CarCancelled(KEY),
      );
      expect(sent).toEqual(['CancelFlight', 'CancelHotel', 'CancelCar']);
      expect(saga.instance).toMatchObject({ status: 'cancelled', stateName: 'cancelled' });
    });

    it('changes nothing while the saga compensates already', async () => {
      const saga = await tripAtFlight();
      await saga.deliver(new FlightUnavailable(KEY, 'sold out'));
      const requested = await saga.deliver(new ProcessCancelRequested('too late'));

      expect(requested.history.note).toBe(
        'cancel (cancel(): too late) ignored: the saga is already compensating',
      );
      expect(outgoingTypes(requested)).toEqual([]);
      expect(requested.instance).toMatchObject({ status: 'compensating', stateName: 'hotel:compensating' });
    });
  });
});
