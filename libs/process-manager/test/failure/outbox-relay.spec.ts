import { describe, expect, it, jest } from '@jest/globals';
import type { Provider } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { EventBus } from '@nestjs/cqrs';
import { getMetadata, ProcessManagerService, type ProcessManagerModuleOptions } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { OutboxDispatcher } from '../../src/runtime/outbox.dispatcher.js';
import { OutboxRelay } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { ChargeCard, ORDER_PROVIDERS, OrderPlaced } from '../support/fixtures/orders.js';
import {
  PAYOUT_PROVIDERS,
  PayoutRequested,
  REFUND_PROVIDERS,
  RefundRequested,
  TransferFunds,
} from '../support/fixtures/payouts.js';
import { msBetween, outboxOf } from '../support/fixtures/queries.js';
import { Recorder } from '../support/fixtures/recorder.js';
import { uniqueKey } from '../support/messages.js';
import { countRows } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

describe('outbox relay (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  /** Places orders on an app whose fast path "crashes" after each commit, then stops that app. */
  async function crashAfterCommit(clock: VirtualClock, orders: number) {
    const crashed = jest.spyOn(OutboxDispatcher.prototype, 'dispatch').mockResolvedValue(0);
    const app = await apps.start({ providers: ORDER_PROVIDERS, clock });
    const orderIds = Array.from({ length: orders }, () => uniqueKey('order'));
    orderIds.forEach((orderId) => app.get(EventBus).publish(new OrderPlaced(orderId, 10)));
    await waitFor(
      async () => (await countRows(app, 'pm_outbox')) === orders * 2,
      'the committed outbox rows',
    );
    expect(await countRows(app, 'pm_outbox', 'dispatched_at IS NOT NULL')).toBe(0);
    expect(app.get(Recorder).commands).toEqual([]);
    await apps.stop(app);
    crashed.mockRestore();
    return orderIds;
  }

  const charges = (app: TestingModule) =>
    app.get(Recorder).commands.filter((c) => c.command instanceof ChargeCard);

  it('delivers a row left undispatched by a crash from a new app, exactly once', async () => {
    const clock = new VirtualClock();
    const [orderId] = await crashAfterCommit(clock, 1);
    const app = await apps.start({ providers: ORDER_PROVIDERS, clock });
    const relay = app.get(OutboxRelay);

    // The crashed fast path's lease still holds: nothing is taken before it lapses.
    expect(await relay.tickOnce()).toBe(0);
    clock.advance('31s');
    expect(await relay.tickOnce()).toBe(2);
    expect(await relay.tickOnce()).toBe(0);

    const instance = (await app.get(ProcessManagerService).find('order', orderId!))!;
    const rows = await outboxOf(app, instance.id);
    expect(rows.every((row) => row.dispatched_at !== null)).toBe(true);
    expect(charges(app)).toHaveLength(1);
    const [charge] = charges(app);
    expect(charge!.command).toEqual(new ChargeCard(orderId!, 10));
    expect(charge!.metadata?.messageId).toBe(rows.find((row) => row.type === 'ChargeCard')?.id);
    expect(charge!.metadata?.correlationId).toBe(instance.id);

    clock.advance('1h');
    expect(await relay.tickOnce()).toBe(0);
    expect(charges(app)).toHaveLength(1);
  });

  it('never lets two relays ticking at the same time both send a row', async () => {
    const clock = new VirtualClock();
    const orderIds = await crashAfterCommit(clock, 20);
    const options: ProcessManagerModuleOptions = { outbox: { batchSize: 5 } };
    const both = [
      await apps.start({ providers: ORDER_PROVIDERS, clock, options }),
      await apps.start({ providers: ORDER_PROVIDERS, clock, options }),
    ];
    clock.advance('31s');

    let claimed = 0;
    for (let round = 0; round < 6; round++) {
      const counts = await Promise.all(both.map((app) => app.get(OutboxRelay).tickOnce()));
      claimed += counts[0]! + counts[1]!;
    }

    // Raw handler calls, not deduplicated: each command reached exactly one handler exactly once.
    const calls = both.flatMap(charges);
    expect(calls).toHaveLength(orderIds.length);
    expect(calls.map(({ command }) => (command as ChargeCard).orderId).sort()).toEqual([...orderIds].sort());
    expect(claimed).toBe(orderIds.length * 2);
    expect(await countRows(both[0]!, 'pm_outbox', 'dispatched_at IS NULL')).toBe(0);
  });

  const RETRY = { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 60_000, factor: 2 };

  /** Runs a process whose `TransferFunds` always fails until the dispatch attempts are used up. */
  async function exhaustDispatch(providers: Provider[], start: object, type: string, key: string) {
    const clock = new VirtualClock();
    const app = await apps.start({ providers, clock, options: { retry: RETRY } });
    const processes = app.get(ProcessManagerService);
    app.get(EventBus).publish(start);
    const instance = await waitFor(() => processes.find(type, key), `the ${type}`);
    const transfer = async () =>
      (await outboxOf(app, instance.id)).find((row) => row.type === 'TransferFunds')!;
    const first = await waitFor(async () => (await transfer()).attempts === 1 && transfer(), 'a failed send');
    expect(first).toMatchObject({ last_error: 'Error: bank offline', dispatched_at: null, failed_at: null });
    const firstDelay = msBetween(first.created_at, first.available_at);
    expect(firstDelay).toBeGreaterThanOrEqual(500);
    expect(firstDelay).toBeLessThanOrEqual(1_000);

    const relay = app.get(OutboxRelay);
    expect(await relay.tickOnce()).toBe(0);
    clock.advance(1_000);
    expect(await relay.tickOnce()).toBe(1);
    const second = await transfer();
    expect(second).toMatchObject({ attempts: 2, dispatched_at: null, failed_at: null });
    const secondDelay = msBetween(clock.now(), second.available_at);
    expect(secondDelay).toBeGreaterThanOrEqual(1_000);
    expect(secondDelay).toBeLessThanOrEqual(2_000);

    clock.advance(2_000);
    expect(await relay.tickOnce()).toBe(1);
    expect(await transfer()).toMatchObject({ attempts: 3, dispatched_at: null, failed_at: clock.now() });
    clock.advance('1h');
    expect(await relay.tickOnce()).toBe(0);
    expect(app.get(Recorder).commandsOf(TransferFunds)).toHaveLength(3);
    return { app, processes, instance: (await processes.get(instance.id))! };
  }

  it('retries a failing command with backoff and tells the process when attempts run out', async () => {
    const payoutId = uniqueKey('payout');
    const { app, instance } = await exhaustDispatch(
      PAYOUT_PROVIDERS,
      new PayoutRequested(payoutId),
      'payout',
      payoutId,
    );

    expect(instance).toMatchObject({
      status: 'running',
      stateName: 'manual-review',
      state: { failedCommand: 'TransferFunds', failure: 'Error: bank offline' },
      version: 2,
    });
    const history = await app.get(ProcessManagerService).history(instance.id);
    expect(history.at(-1)).toMatchObject({
      messageType: 'ProcessManager.CommandDispatchFailed',
      outcome: 'handled',
    });
    const [sent] = app.get(Recorder).commands;
    expect(getMetadata(sent!.command)?.correlationId).toBe(instance.id);
  });

  it('fails a process that does not handle CommandDispatchFailed, naming the command', async () => {
    const payoutId = uniqueKey('refund');
    const { instance } = await exhaustDispatch(
      REFUND_PROVIDERS,
      new RefundRequested(payoutId),
      'refund',
      payoutId,
    );

    expect(instance).toMatchObject({ status: 'failed', stateName: 'refunding', version: 2 });
    expect(instance.lastError).toContain('TransferFunds');
    expect(instance.lastError).toContain('bank offline');
  });
});
