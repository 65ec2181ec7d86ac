import { describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { OnEvent, type ProcessContext, ProcessManager } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { OutboxDispatcher } from '../../src/runtime/outbox.dispatcher.js';
import { OutboxRelay } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { uniqueKey } from '../support/messages.js';
import { countRows, query } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

class ShipmentBooked {
  constructor(readonly shipmentId: string) {}
}
class BookCourier {
  constructor(readonly shipmentId: string) {}
}

/** The courier service: hangs for the shipments in `hanging` (or for the next call) until `release()`. */
@Injectable()
class Courier {
  readonly hanging = new Set<string>();
  hangNext = false;
  readonly called: string[] = [];
  readonly booked: string[] = [];
  private readonly waiting: (() => void)[] = [];

  release(): void {
    this.hanging.clear();
    this.waiting.splice(0).forEach((resolve) => resolve());
  }

  async book(shipmentId: string): Promise<void> {
    this.called.push(shipmentId);
    if (this.hangNext) this.hanging.add(shipmentId);
    this.hangNext = false;
    if (this.hanging.has(shipmentId)) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.booked.push(shipmentId);
  }
}

@ProcessManager({ name: 'shipment', correlationKey: 'shipmentId' })
class ShipmentProcess {
  @OnEvent(ShipmentBooked, { start: true })
  booked(event: ShipmentBooked, ctx: ProcessContext) {
    ctx.send(new BookCourier(event.shipmentId));
  }
}

@CommandHandler(BookCourier)
class BookCourierHandler implements ICommandHandler<BookCourier> {
  constructor(private readonly courier: Courier) {}
  execute(command: BookCourier) {
    return this.courier.book(command.shipmentId);
  }
}

const PROVIDERS = [Courier, ShipmentProcess, BookCourierHandler];
const RETRY = { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 1_000, factor: 2 };

interface Row {
  dispatched_at: Date | null;
  attempts: number;
  last_error: string | null;
}

describe('a dispatch whose receiver hangs (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  const rowOf = async (app: TestingModule, shipmentId: string) =>
    (
      await query<Row>(
        app,
        `SELECT dispatched_at, attempts, last_error FROM pm_outbox WHERE type = 'BookCourier' AND payload->>'shipmentId' = $1`,
        [shipmentId],
      )
    )[0];

  /** Commits one shipment step per id on an app whose fast path "crashes" after each commit, then stops it. */
  async function crashAfterCommit(clock: VirtualClock, shipmentIds: string[]): Promise<void> {
    const crashed = jest.spyOn(OutboxDispatcher.prototype, 'dispatch').mockResolvedValue(0);
    const app = await apps.start({ providers: PROVIDERS, clock });
    for (const shipmentId of shipmentIds) {
      app.get(EventBus).publish(new ShipmentBooked(shipmentId));
      await waitFor(() => rowOf(app, shipmentId), `the row of ${shipmentId}`);
      clock.advance(1); // claimed oldest first: the first id's rows come first
    }
    await apps.stop(app);
    crashed.mockRestore();
  }

  it('times a hung command out and retries it through the relay, while other instances’ commands go through', async () => {
    const clock = new VirtualClock();
    const app = await apps.start({
      providers: PROVIDERS,
      clock,
      options: { retry: RETRY, outbox: { dispatchTimeoutMs: 200 } },
    });
    const courier = app.get(Courier);
    const [hung, other] = [uniqueKey('shipment'), uniqueKey('shipment')];
    courier.hanging.add(hung);

    app.get(EventBus).publish(new ShipmentBooked(hung));
    await waitFor(() => courier.called.includes(hung), 'the hung handler called');
    app.get(EventBus).publish(new ShipmentBooked(other));
    await waitFor(() => courier.booked.includes(other), 'the other shipment’s courier booked');
    const timedOut = await waitFor(async () => {
      const row = await rowOf(app, hung);
      return row?.attempts === 1 && row;
    }, 'the timed-out dispatch recorded');
    expect(timedOut).toMatchObject({ dispatched_at: null });
    expect(timedOut.last_error).toMatch(
      /^DispatchTimeoutError: Dispatch of command BookCourier .* within 200 ms/,
    );

    courier.hanging.clear(); // the service is back; the first call still hangs, it is simply abandoned
    clock.advance(RETRY.maxDelayMs);
    expect(await app.get(OutboxRelay).tickOnce()).toBe(1);
    expect(await rowOf(app, hung)).toMatchObject({ attempts: 1, dispatched_at: expect.any(Date) });
    expect(courier.booked).toEqual([other, hung]);
    courier.release();
  });

  it('relays other instances’ rows while one row’s receiver hangs', async () => {
    const clock = new VirtualClock();
    const ids = Array.from({ length: 5 }, () => uniqueKey('shipment'));
    await crashAfterCommit(clock, ids);
    const options = { outbox: { dispatchTimeoutMs: 3_600_000 } };
    const app = await apps.start({ providers: PROVIDERS, clock, options });
    const courier = app.get(Courier);
    courier.hangNext = true; // whichever row the relay sends first

    clock.advance('1m');
    const tick = app.get(OutboxRelay).tickOnce();
    await waitFor(() => courier.booked.length === 4, 'the other four couriers booked while the first hangs');
    const [hung] = courier.called;
    expect(courier.booked).toEqual(expect.arrayContaining(ids.filter((id) => id !== hung)));
    await waitFor(
      async () => (await countRows(app, 'pm_outbox', 'dispatched_at IS NULL')) <= 2,
      'their rows marked',
    );
    expect((await rowOf(app, hung!))?.dispatched_at).toBeNull();

    courier.release();
    expect(await tick).toBe(10);
    expect(await countRows(app, 'pm_outbox', 'dispatched_at IS NULL')).toBe(0);
  });

  it('shuts down in bounded time while a dispatch hangs, leaving its row to the relay of the next app', async () => {
    const clock = new VirtualClock();
    const id = uniqueKey('shipment');
    await crashAfterCommit(clock, [id]);
    const options = { shutdownTimeoutMs: 300, outbox: { dispatchTimeoutMs: 3_600_000 } };
    const hung = await apps.start({ providers: PROVIDERS, clock, options });
    hung.get(Courier).hanging.add(id);
    clock.advance('1m');
    const tick = hung.get(OutboxRelay).tickOnce();
    await waitFor(() => hung.get(Courier).called.length === 1, 'the hung handler called');

    await apps.stop(hung); // returns although the handler never does
    expect(await tick).toBe(2);

    const next = await apps.start({ providers: PROVIDERS, clock, options });
    // Abandoned, not failed: no attempt counted, the row simply waits for its lease to lapse.
    expect(await rowOf(next, id)).toMatchObject({ attempts: 0, dispatched_at: null });
    const left = await countRows(next, 'pm_outbox', 'dispatched_at IS NULL'); // with ProcessStarted if sent unmarked
    clock.advance('2m');
    expect(await next.get(OutboxRelay).tickOnce()).toBe(left);
    expect(next.get(Courier).booked).toEqual([id]);
    hung.get(Courier).release();
  });
});
