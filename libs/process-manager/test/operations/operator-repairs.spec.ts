import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import {
  InvalidArgumentError,
  InvalidProcessStatusError,
  OnEvent,
  type ProcessContext,
  ProcessManager,
  ProcessManagerService,
  ProcessNotFoundError,
  RepairReasonRequiredError,
  TimerNotFoundError,
} from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { DataSource } from 'typeorm';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';

class TabOpened {
  constructor(
    readonly tabId: string,
    readonly table = 'T1',
  ) {}
}
class ItemAdded {
  constructor(readonly tabId: string) {}
}
class TabClosed {
  constructor(readonly tabId: string) {}
}
class PaymentFailed {
  constructor(readonly tabId: string) {}
}
class Remind {
  constructor(readonly tabId: string) {}
}

interface Tab {
  items: number;
  note: string;
  reminded?: boolean;
}

@Injectable()
class Faults {
  broken = false;
}

@ProcessManager({
  name: 'tab',
  correlationKey: 'tabId',
  initialState: (): Tab => ({ items: 0, note: '' }),
})
class TabProcess {
  constructor(private readonly faults: Faults) {}

  @OnEvent(TabOpened, { start: true, to: 'open' })
  opened(event: TabOpened, ctx: ProcessContext<Tab>) {
    ctx.associate('table', event.table);
    ctx.schedule(new Remind(event.tabId), { after: '1h' }, 'reminder');
  }

  @OnEvent(ItemAdded)
  added(_event: ItemAdded, ctx: ProcessContext<Tab>) {
    ctx.state.items += 1;
  }

  @OnEvent(Remind)
  remind(_event: Remind, ctx: ProcessContext<Tab>) {
    ctx.state.reminded = true;
  }

  @OnEvent(PaymentFailed)
  paymentFailed() {
    if (this.faults.broken) throw new Error('card gateway down');
  }

  @OnEvent(TabClosed, { to: 'closed' })
  closed(_event: TabClosed, ctx: ProcessContext<Tab>) {
    ctx.complete();
  }
}

const AUDIT = { actor: 'ann', reason: 'ticket OPS-7' };

describe('operator repairs on PostgreSQL, racing deliveries of another app', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  /** Two apps on one database: the operator's and one that delivers the events meanwhile. */
  async function start() {
    const clock = new VirtualClock();
    const boot = () =>
      createApp({
        url: db.url,
        providers: [Faults, TabProcess],
        clock,
        options: { retry: { maxAttempts: 1 } },
      });
    const [operator, other] = [await boot(), await boot()];
    const processes = operator.get(ProcessManagerService);
    const elsewhere = other.get(ProcessManagerService);
    const open = async (tabId = uniqueKey('tab')) => {
      await processes.deliver(new TabOpened(tabId));
      return { tabId, id: (await processes.find('tab', tabId))!.id };
    };
    return { operator, other, clock, processes, elsewhere, open };
  }

  /** The seqs of the repair's row and of the racing event's row; both must be there. */
  async function bothApplied(processes: ProcessManagerService, id: string, messageType: string) {
    const history = await processes.history(id);
    const repair = history.filter((entry) => entry.outcome === 'repaired');
    const event = history.filter((entry) => entry.messageType === messageType && entry.outcome === 'handled');
    expect({ repairs: repair.length, events: event.length }).toEqual({ repairs: 1, events: 1 });
    return { repair: repair[0]!, event: event[0]! };
  }

  it('editState and a concurrent event: both applied in some order, the diff in history', async () => {
    const { processes, elsewhere, open } = await start();
    for (let round = 0; round < 4; round++) {
      const { tabId, id } = await open();
      await Promise.all([
        processes.editState(id, { items: 100, note: 'fixed by hand' }, AUDIT),
        elsewhere.deliver(new ItemAdded(tabId)),
      ]);
      const { repair, event } = await bothApplied(processes, id, 'ItemAdded');
      const state = (await processes.get(id))!.state;
      expect(state).toEqual({ items: repair.seq > event.seq ? 100 : 101, note: 'fixed by hand' });
      const before = repair.seq > event.seq ? 1 : 0;
      expect(repair.note).toBe(
        `State edited: ticket OPS-7 (by ann); diff: ` +
          JSON.stringify([
            { path: 'items', from: before, to: 100 },
            { path: 'note', from: '', to: 'fixed by hand' },
          ]),
      );
    }
  });

  it('forceTransition and a concurrent event: the named state forced, the event counted', async () => {
    const { processes, elsewhere, open } = await start();
    for (let round = 0; round < 4; round++) {
      const { tabId, id } = await open();
      await Promise.all([
        processes.forceTransition(id, 'paying', AUDIT),
        elsewhere.deliver(new ItemAdded(tabId)),
      ]);
      const { repair } = await bothApplied(processes, id, 'ItemAdded');
      expect(await processes.get(id)).toMatchObject({ stateName: 'paying', state: { items: 1 } });
      expect(repair).toMatchObject({
        fromState: 'open',
        toState: 'paying',
        note: 'Forced from open to paying: ticket OPS-7 (by ann)',
      });
    }
  });

  it('rescheduleTimer and cancelTimer race an event; the timer list shows the outcome', async () => {
    const { processes, elsewhere, open, clock } = await start();
    const later = new Date(clock.now().getTime() + 3 * 3600_000);
    const moved = await open();
    const [timer] = await processes.timers(moved.id);
    expect(timer).toMatchObject({ name: 'reminder', messageType: 'Remind', payload: { tabId: moved.tabId } });
    await Promise.all([
      processes.rescheduleTimer(moved.id, 'reminder', later, AUDIT),
      elsewhere.deliver(new ItemAdded(moved.tabId)),
    ]);
    expect((await processes.timers(moved.id)).map((t) => [t.name, t.dueAt])).toEqual([['reminder', later]]);
    const { repair } = await bothApplied(processes, moved.id, 'ItemAdded');
    expect(repair.note).toBe(`Timer reminder rescheduled to ${later.toISOString()}: ticket OPS-7 (by ann)`);

    const cancelled = await open();
    await Promise.all([
      processes.cancelTimer(cancelled.id, 'reminder', AUDIT),
      elsewhere.deliver(new ItemAdded(cancelled.tabId)),
    ]);
    expect(await processes.timers(cancelled.id)).toEqual([]);
    expect((await processes.get(cancelled.id))!.state).toEqual({ items: 1, note: '' });
    expect((await bothApplied(processes, cancelled.id, 'ItemAdded')).repair.note).toBe(
      'Timer reminder cancelled: ticket OPS-7 (by ann)',
    );
  });

  it('fireTimer delivers the timer now through its own path, once, beside a concurrent event', async () => {
    const { processes, elsewhere, open } = await start();
    const { tabId, id } = await open();
    await Promise.all([processes.fireTimer(id, 'reminder', AUDIT), elsewhere.deliver(new ItemAdded(tabId))]);
    expect((await processes.get(id))!.state).toEqual({ items: 1, note: '', reminded: true });
    expect(await processes.timers(id)).toEqual([]);
    const history = await processes.history(id);
    expect(history.filter((entry) => entry.messageType === 'Remind')).toHaveLength(1);
    expect(history.find((entry) => entry.outcome === 'repaired')?.note).toBe(
      'Timer reminder fired now: ticket OPS-7 (by ann)',
    );
    // fired and gone: a second fire names the missing timer
    await expect(processes.fireTimer(id, 'reminder', AUDIT)).rejects.toBeInstanceOf(TimerNotFoundError);
  });

  it('names what is wrong: no reason, an ended or unknown instance, a missing timer, a bad state', async () => {
    const { processes, open } = await start();
    const { id } = await open();
    const ended = await open();
    await processes.deliver(new TabClosed(ended.tabId));
    const unknown = '00000000-0000-4000-8000-000000000000';

    await expect(processes.editState(id, { items: 1 }, { reason: ' ' })).rejects.toBeInstanceOf(
      RepairReasonRequiredError,
    );
    await expect(processes.forceTransition(id, 'x', undefined as never)).rejects.toBeInstanceOf(
      RepairReasonRequiredError,
    );
    await expect(processes.editState(ended.id, {}, AUDIT)).rejects.toBeInstanceOf(InvalidProcessStatusError);
    await expect(processes.forceTransition(ended.id, 'open', AUDIT)).rejects.toBeInstanceOf(
      InvalidProcessStatusError,
    );
    await expect(processes.editState(unknown, {}, AUDIT)).rejects.toBeInstanceOf(ProcessNotFoundError);
    await expect(processes.timers(unknown)).rejects.toBeInstanceOf(ProcessNotFoundError);
    await expect(processes.rescheduleTimer(id, 'nope', new Date(), AUDIT)).rejects.toBeInstanceOf(
      TimerNotFoundError,
    );
    await expect(processes.cancelTimer(ended.id, 'reminder', AUDIT)).rejects.toBeInstanceOf(
      InvalidProcessStatusError,
    );
    await expect(processes.fireTimer(unknown, 'reminder')).rejects.toBeInstanceOf(ProcessNotFoundError);
    await expect(processes.editState(id, { when: new Date() } as object, AUDIT)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(processes.rescheduleTimer(id, 'reminder', new Date('soon'))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(await processes.timers(ended.id)).toEqual([]);
    // nothing was written by the refused calls
    expect((await processes.history(id)).map((entry) => entry.outcome)).toEqual(['handled']);
  });

  it('retryDeadLetters re-runs what the filter matches, counted first, each retry in its history', async () => {
    const { operator, processes, open } = await start();
    const faults = operator.get(Faults);
    const tabs = [await open(), await open(), await open()];
    faults.broken = true;
    for (const { tabId } of tabs) await processes.deliver(new PaymentFailed(tabId));
    await processes.deliver(new ItemAdded('no-such-tab'));
    faults.broken = false;

    const filter = { type: 'tab', messageType: 'PaymentFailed', errorContains: 'GATEWAY' };
    expect(await processes.countDeadLetters(filter)).toBe(3);
    expect(await processes.countDeadLetters({ errorContains: 'nothing like it' })).toBe(0);
    expect(await processes.retryDeadLetters(filter, { actor: 'ann', reason: 'gateway back' })).toEqual({
      retried: 3,
    });
    expect(await processes.countDeadLetters(filter)).toBe(0);
    for (const { id } of tabs) {
      const history = await processes.history(id);
      expect(history.find((entry) => entry.outcome === 'retried')?.note).toBe(
        'Retry of 1 dead letter (PaymentFailed): gateway back (by ann)',
      );
      expect(history.at(-1)).toMatchObject({ messageType: 'PaymentFailed', outcome: 'handled' });
    }
  });

  it('lists by business key in any status: correlation key or associated value, through the indexes', async () => {
    const { processes, open, operator } = await start();
    const table = uniqueKey('table');
    const first = uniqueKey('tab');
    await processes.deliver(new TabOpened(first, table));
    await processes.deliver(new TabClosed(first));
    const second = await open();
    const third = uniqueKey('tab');
    await processes.deliver(new TabOpened(third, table));

    const byValue = await processes.list({ correlationKey: table, state: false });
    expect(byValue.items.map((item) => item.correlationKey).sort()).toEqual([first, third].sort());
    const byKey = await processes.list({ correlationKey: first });
    expect(byKey.items.map((item) => [item.correlationKey, item.status])).toEqual([[first, 'completed']]);
    expect((await processes.list({ correlationKey: second.tabId })).items).toHaveLength(1);

    const dataSource = operator.get(DataSource);
    await dataSource.query('SET enable_seqscan = off');
    const plan = (await dataSource.query(
      `EXPLAIN SELECT * FROM pm_process p
       WHERE p.id IN (SELECT k.id FROM pm_process k WHERE k.correlation_key = $1
                      UNION SELECT a.process_id FROM pm_association a WHERE a.value = $1)
       ORDER BY p.started_at DESC, p.id DESC LIMIT 51`,
      [table],
    )) as { 'QUERY PLAN': string }[];
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).toContain('pm_association_value_only_idx');
    expect(text).toContain('pm_process_correlation_key_idx');
  });
});
