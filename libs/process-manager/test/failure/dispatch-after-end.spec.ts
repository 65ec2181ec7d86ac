import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  CommandHandler,
  EventBus,
  EventsHandler,
  type ICommandHandler,
  type IEventHandler,
} from '@nestjs/cqrs';
import {
  OnEvent,
  OrchestratedSaga,
  Outbox,
  ProcessCompensated,
  type ProcessContext,
  ProcessDeadLettered,
  ProcessFailed,
  ProcessManager,
  ProcessManagerService,
  type SagaContext,
  type SagaState,
} from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { OutboxRelay } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { uniqueKey } from '../support/messages.js';
import { query } from '../support/sql.js';
import { dataSourceOf } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

/** What the fake services received and whether one of them is down. */
@Injectable()
class Services {
  archiveDown = true;
  releaseDown = true;
  readonly archived: string[] = [];
  readonly released: string[] = [];
  readonly events: object[] = [];
}

class CloseAccount {
  constructor(readonly accountId: string) {}
}
class ArchiveAccount {
  constructor(readonly accountId: string) {}
}

/** Sends its last command in the step that completes it. */
@ProcessManager({ name: 'account-closing', correlationKey: 'accountId' })
class AccountClosing {
  @OnEvent(CloseAccount, { start: true })
  close(event: CloseAccount, ctx: ProcessContext) {
    ctx.send(new ArchiveAccount(event.accountId));
    ctx.complete();
  }
}

@CommandHandler(ArchiveAccount)
class ArchiveHandler implements ICommandHandler<ArchiveAccount> {
  constructor(private readonly services: Services) {}
  async execute(command: ArchiveAccount) {
    if (this.services.archiveDown) throw new Error('archive offline');
    this.services.archived.push(command.accountId);
  }
}

class BookingRequested {
  constructor(readonly bookingId: string) {}
}
class HoldSeat {
  constructor(readonly bookingId: string) {}
}
class SeatHeld {
  constructor(readonly bookingId: string) {}
}
class ReleaseSeat {
  constructor(readonly bookingId: string) {}
}
class TakePayment {
  constructor(readonly bookingId: string) {}
}
class PaymentTaken {
  constructor(readonly bookingId: string) {}
}
class PaymentRefused {
  constructor(
    readonly bookingId: string,
    readonly reason: string,
  ) {}
}

interface Booking {
  bookingId: string;
}

/** A saga whose first step has a fire-and-forget compensation (no `ack`); its payment is always refused. */
@ProcessManager({ name: 'booking', correlationKey: 'bookingId' })
class BookingSaga extends OrchestratedSaga<Booking> {
  @OnEvent(BookingRequested, { start: true })
  requested(event: BookingRequested, ctx: SagaContext<Booking>) {
    this.begin(ctx, { bookingId: event.bookingId });
  }

  protected readonly steps = this.define()
    .step('hold', {
      send: (booking) => new HoldSeat(booking.bookingId),
      onSuccess: SeatHeld,
      compensate: (booking) => new ReleaseSeat(booking.bookingId),
    })
    .step('pay', {
      send: (booking) => new TakePayment(booking.bookingId),
      onSuccess: PaymentTaken,
      onFailure: PaymentRefused,
    });
}

@CommandHandler(HoldSeat)
class HoldSeatHandler implements ICommandHandler<HoldSeat> {
  constructor(private readonly bus: EventBus) {}
  async execute(command: HoldSeat) {
    this.bus.publish(new SeatHeld(command.bookingId));
  }
}

@CommandHandler(TakePayment)
class TakePaymentHandler implements ICommandHandler<TakePayment> {
  constructor(private readonly bus: EventBus) {}
  async execute(command: TakePayment) {
    this.bus.publish(new PaymentRefused(command.bookingId, 'card declined'));
  }
}

@CommandHandler(ReleaseSeat)
class ReleaseSeatHandler implements ICommandHandler<ReleaseSeat> {
  constructor(private readonly services: Services) {}
  async execute(command: ReleaseSeat) {
    if (this.services.releaseDown) throw new Error('seat service offline');
    this.services.released.push(command.bookingId);
  }
}

@EventsHandler(ProcessDeadLettered, ProcessFailed, ProcessCompensated)
class Notices implements IEventHandler {
  constructor(private readonly services: Services) {}
  handle(event: object) {
    this.services.events.push(event);
  }
}

const PROVIDERS = [
  Services,
  Notices,
  AccountClosing,
  ArchiveHandler,
  BookingSaga,
  HoldSeatHandler,
  TakePaymentHandler,
  ReleaseSeatHandler,
];
const RETRY = { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 1_000, factor: 2 };

interface Row {
  attempts: number;
  dispatched_at: Date | null;
  failed_at: Date | null;
}

describe('a message that can never be dispatched, whatever its process’s status (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  async function start() {
    const clock = new VirtualClock();
    const app = await apps.start({ providers: PROVIDERS, clock, options: { retry: RETRY } });
    return { app, clock, processes: app.get(ProcessManagerService), services: app.get(Services) };
  }

  const rowOf = async (app: TestingModule, type: string) =>
    (
      await query<Row>(app, 'SELECT attempts, dispatched_at, failed_at FROM pm_outbox WHERE type = $1', [
        type,
      ])
    )[0];

  /** Lets the relay re-send `type` until its attempts run out. */
  async function exhaust(app: TestingModule, clock: VirtualClock, type: string): Promise<void> {
    for (let attempt = 1; attempt < RETRY.maxAttempts; attempt++) {
      await waitFor(
        async () => (await rowOf(app, type))?.attempts === attempt,
        `failed send ${attempt} of ${type}`,
      );
      clock.advance(RETRY.maxDelayMs);
      expect(await app.get(OutboxRelay).tickOnce()).toBe(1);
    }
    expect(await rowOf(app, type)).toMatchObject({ attempts: RETRY.maxAttempts, failed_at: clock.now() });
  }

  const deadLettered = (services: Services) =>
    services.events.filter((event): event is ProcessDeadLettered => event instanceof ProcessDeadLettered);

  it('dead-letters the last command of a completed process, marks and announces it, and retries it on demand', async () => {
    const { app, clock, processes, services } = await start();
    const accountId = uniqueKey('account');
    app.get(EventBus).publish(new CloseAccount(accountId));
    await exhaust(app, clock, 'ArchiveAccount');

    const [closed] = (await processes.list({ type: 'account-closing' })).items;
    const reason = 'dispatch of ArchiveAccount failed after 3 attempt(s): Error: archive offline';
    expect(closed).toMatchObject({ status: 'completed', lastError: reason });
    const [letter, ...others] = await processes.deadLetters();
    expect(others).toEqual([]);
    expect(letter).toMatchObject({
      handler: 'pm:dispatch:command',
      processId: closed!.id,
      correlationKey: accountId,
      messageType: 'ArchiveAccount',
      payload: { accountId },
      attempts: 3,
      error: reason,
    });
    const [notice] = await waitFor(
      () => deadLettered(services).length === 1 && deadLettered(services),
      'ProcessDeadLettered',
    );
    expect(notice).toMatchObject({
      processId: closed!.id,
      processType: 'account-closing',
      correlationKey: accountId,
      messageType: 'ArchiveAccount',
      error: reason,
    });
    const history = await processes.history(closed!.id);
    expect(history.map((entry) => entry.messageType)).toEqual(['CloseAccount']);

    services.archiveDown = false;
    await processes.retryDeadLetter(letter!.id);
    expect(services.archived).toEqual([accountId]);
    expect(await processes.deadLetters()).toEqual([]);
    expect((await processes.get(closed!.id))?.lastError).toBeUndefined();
    expect((await rowOf(app, 'ArchiveAccount'))?.dispatched_at).not.toBeNull();
  });

  it('parks a retried dead letter again, with the new error, when the command still cannot leave', async () => {
    const { app, clock, processes, services } = await start();
    app.get(EventBus).publish(new CloseAccount(uniqueKey('account')));
    await exhaust(app, clock, 'ArchiveAccount');
    const [letter] = await processes.deadLetters();

    await processes.retryDeadLetter(letter!.id);
    const [again, ...others] = await processes.deadLetters();
    expect(others).toEqual([]);
    expect(again).toMatchObject({ id: letter!.id, messageId: letter!.messageId, attempts: 4 });
    expect(services.archived).toEqual([]);
  });

  it('counts a saga’s fire-and-forget compensation as done only once sent, and asks for intervention when it never leaves', async () => {
    const { app, clock, processes, services } = await start();
    const bookingId = uniqueKey('booking');
    app.get(EventBus).publish(new BookingRequested(bookingId));
    await waitFor(async () => (await rowOf(app, 'ReleaseSeat'))?.attempts === 1, 'the first failed release');

    const releasing = (await processes.find('booking', bookingId))!;
    const steps = () => (releasing.state as SagaState).steps.map(({ name, status }) => [name, status]);
    expect(releasing).toMatchObject({ status: 'compensating', stateName: 'hold:compensating' });
    expect(steps()).toEqual([
      ['hold', 'compensating'],
      ['pay', 'failed'],
    ]);
    expect(services.events.filter((event) => event instanceof ProcessCompensated)).toEqual([]);

    await exhaust(app, clock, 'ReleaseSeat');
    const failed = await waitFor(async () => {
      const instance = await processes.get(releasing.id);
      return instance?.status === 'failed' && instance;
    }, 'the saga failed');
    expect(failed.stateName).toBe('compensation_failed');
    expect((failed.state as SagaState).steps.map(({ status }) => status)).toEqual([
      'compensation_failed',
      'failed',
    ]);
    expect(failed.lastError).toContain('seat service offline');
    const failure = await waitFor(
      () => services.events.find((event): event is ProcessFailed => event instanceof ProcessFailed),
      'ProcessFailed',
    );
    expect(failure).toMatchObject({ processId: releasing.id, requiresIntervention: true });
    expect(services.events.filter((event) => event instanceof ProcessCompensated)).toEqual([]);
    expect(await processes.deadLetters()).toEqual([
      expect.objectContaining({
        handler: 'pm:dispatch:command',
        processId: releasing.id,
        messageType: 'ReleaseSeat',
      }),
    ]);
    await waitFor(() => deadLettered(services).length === 1, 'ProcessDeadLettered');
  });

  it('compensates once a fire-and-forget compensation was sent', async () => {
    const { app, processes, services } = await start();
    services.releaseDown = false;
    const bookingId = uniqueKey('booking');
    app.get(EventBus).publish(new BookingRequested(bookingId));
    const [id] = await waitFor(async () => {
      const { items } = await processes.list({ type: 'booking', status: 'failed' });
      return items.length === 1 && items.map((item) => item.id);
    }, 'the compensated saga');

    expect(services.released).toEqual([bookingId]);
    const history = await processes.history(id!);
    expect(history.slice(-2).map(({ messageType, note }) => [messageType, note])).toEqual([
      [
        'PaymentRefused',
        'pay: running → failed (PaymentRefused: card declined); hold: completed → compensating',
      ],
      ['ProcessManager.SagaCompensationSent', 'hold: compensating → compensated'],
    ]);
    await waitFor(
      () => services.events.some((event) => event instanceof ProcessCompensated),
      'ProcessCompensated',
    );
    expect(await processes.deadLetters()).toEqual([]);
  });

  it('dead-letters a command of the app’s own Outbox that can never leave, with no process to mark', async () => {
    const { app, clock, processes } = await start();
    const accountId = uniqueKey('account');
    await dataSourceOf(app).transaction((manager) =>
      app.get(Outbox).send(manager, new ArchiveAccount(accountId)),
    );
    await exhaust(app, clock, 'ArchiveAccount');

    expect(await processes.deadLetters()).toEqual([
      expect.objectContaining({
        handler: 'pm:dispatch:command',
        processId: undefined,
        messageType: 'ArchiveAccount',
        payload: { accountId },
      }),
    ]);
  });
});
