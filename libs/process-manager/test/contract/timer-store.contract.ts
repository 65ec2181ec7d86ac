import { describe, expect, it } from '@jest/globals';
import type { Decision } from '../../src/engine/decision.js';
import type { ProcessStore } from '../../src/ports/process-store.js';
import type { TimerRecord } from '../../src/ports/records.js';
import { at, next, plus, start } from './decisions.js';
import type { OpenStore } from './store-under-test.js';

const FAR = at(100 * 24 * 3600);

/** The instance's pending timers, as a poller would claim them now (a lease of no time changes nothing). */
async function pending(store: ProcessStore, decision: Decision): Promise<TimerRecord[]> {
  const timers = await store.claimDueTimers(FAR, FAR, 500);
  return timers
    .filter((timer) => timer.processId === decision.instance.id)
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
}

const record = (decision: Decision, index = 0): TimerRecord => {
  const { id, name, dueAt, messageType, payload } = decision.timers.scheduled[index]!;
  return {
    id,
    processId: decision.instance.id,
    processType: decision.instance.type,
    name,
    dueAt,
    messageType,
    payload,
    correlationKey: decision.instance.correlationKey,
  };
};

/** Timers: scheduled, replaced and cancelled by steps; claimed by pollers. */
export function describeTimerStore(name: string, open: OpenStore): void {
  describe(`TimerStore contract: ${name}`, () => {
    it('offers a scheduled timer when it is due, not before', async () => {
      const { store } = await open();
      const first = start({
        schedule: [{ name: 'remind', dueAt: at(60), messageType: 'RemindCustomer', payload: { n: 1 } }],
      });
      await store.commit(first);

      expect(await store.claimDueTimers(plus(at(60), -1), FAR, 10)).toEqual([]);
      expect(await store.claimDueTimers(at(60), FAR, 10)).toEqual([record(first)]);
    });

    it('claims the timers due first, up to the limit', async () => {
      const { store } = await open();
      const first = start({ schedule: [{ dueAt: at(30) }, { name: 'b', dueAt: at(10) }] });
      const other = start({ schedule: [{ name: 'b', dueAt: at(20) }] });
      await store.commit(first);
      await store.commit(other);

      for (const expected of [record(first, 1), record(other), record(first, 0)]) {
        expect(await store.claimDueTimers(at(60), FAR, 1)).toEqual([expected]);
      }
      expect(await store.claimDueTimers(at(60), FAR, 1)).toEqual([]);
    });

    it('replaces a timer scheduled again under its name, lease and all', async () => {
      const { store } = await open();
      const first = start({ schedule: [{ name: 'remind', dueAt: at(60), payload: { n: 1 } }] });
      await store.commit(first);
      await store.claimDueTimers(at(60), FAR, 10);
      const second = next(first.instance, {
        at: at(61),
        schedule: [{ name: 'remind', dueAt: at(90), payload: { n: 2 } }],
      });
      await store.commit(second);

      expect(await store.claimDueTimers(at(90), FAR, 10)).toEqual([record(second)]);
    });

    it('keeps every unnamed timer', async () => {
      const { store } = await open();
      const first = start({ schedule: [{ dueAt: at(60) }] });
      await store.commit(first);
      const second = next(first.instance, { schedule: [{ dueAt: at(60) }] });
      await store.commit(second);

      expect(await pending(store, first)).toHaveLength(2);
    });

    it('cancels a timer by name, and only that one', async () => {
      const { store } = await open();
      const first = start({
        schedule: [{ name: 'a', dueAt: at(10) }, { name: 'b', dueAt: at(20) }, { dueAt: at(30) }],
      });
      await store.commit(first);
      const other = start({ schedule: [{ name: 'a', dueAt: at(40) }] });
      await store.commit(other);
      await store.commit(next(first.instance, { cancel: ['a', 'never-scheduled'] }));

      expect(await pending(store, first)).toEqual([record(first, 1), record(first, 2)]);
      expect(await pending(store, other)).toEqual([record(other)]);
    });

    it('removes a fired timer with the step that handled it', async () => {
      const { store } = await open();
      const first = start({ schedule: [{ name: 'remind', dueAt: at(10) }, { dueAt: at(20) }] });
      await store.commit(first);
      const [fired] = await store.claimDueTimers(at(10), FAR, 10);
      await store.commit(next(first.instance, { messageId: fired!.id, messageType: fired!.messageType }));

      expect(await pending(store, first)).toEqual([record(first, 1)]);
      expect((await store.history(first.instance.id)).at(-1)?.messageId).toBe(fired!.id);
    });

    it('keeps the new timer when the fired one schedules itself again under its name', async () => {
      const { store } = await open();
      const first = start({ schedule: [{ name: 'tick', dueAt: at(10) }] });
      await store.commit(first);
      const [fired] = await store.claimDueTimers(at(10), FAR, 10);
      const second = next(first.instance, {
        messageId: fired!.id,
        at: at(10),
        schedule: [{ name: 'tick', dueAt: at(20) }],
      });
      await store.commit(second);

      expect(await pending(store, first)).toEqual([record(second)]);
    });

    it('cancels every timer of an instance that ends', async () => {
      const { store } = await open();
      const first = start({ schedule: [{ name: 'a', dueAt: at(10) }, { dueAt: at(20) }] });
      await store.commit(first);
      const other = start({ schedule: [{ dueAt: at(20) }] });
      await store.commit(other);
      await store.commit(next(first.instance, { status: 'completed' }));

      expect(await pending(store, first)).toEqual([]);
      expect(await pending(store, other)).toEqual([record(other)]);
    });

    it('does not claim a claimed timer again until its lease lapses', async () => {
      const { store } = await open();
      const first = start({ schedule: [{ name: 'remind', dueAt: at(10) }] });
      await store.commit(first);
      const leaseUntil = at(70);

      expect(await store.claimDueTimers(at(10), leaseUntil, 10)).toEqual([record(first)]);
      expect(await store.claimDueTimers(at(11), leaseUntil, 10)).toEqual([]);
      expect(await store.claimDueTimers(plus(leaseUntil, -1), FAR, 10)).toEqual([]);
      expect(await store.claimDueTimers(leaseUntil, FAR, 10)).toEqual([record(first)]);
    });

    it('claims only timers whose (process type, message type) this app routes', async () => {
      const { store } = await open();
      const order = start({
        type: 'order',
        schedule: [
          { dueAt: at(1), messageType: 'Remind' },
          { dueAt: at(2), messageType: 'Expire' },
        ],
      });
      const invoice = start({ type: 'invoice', schedule: [{ dueAt: at(3), messageType: 'Remind' }] });
      await store.commit(order);
      await store.commit(invoice);
      const scope = {
        processTypes: ['order'],
        routes: [{ handler: 'order', messageType: 'Remind' }],
        messageTypes: [],
      };

      expect(await store.claimDueTimers(at(60), FAR, 10, scope)).toEqual([record(order, 0)]);
      expect(await store.claimDueTimers(at(60), FAR, 10)).toHaveLength(2);
    });

    it('extends the leases of timers this claimer still holds, and only those', async () => {
      const { store } = await open();
      const first = start({ schedule: [{ dueAt: at(1) }, { dueAt: at(2) }] });
      await store.commit(first);
      const [held, lost] = first.timers.scheduled.map((timer) => timer.id);
      await store.claimDueTimers(at(10), at(70), 10);
      await store.extendTimerLeases(
        [
          { id: held!, until: at(70) },
          { id: lost!, until: at(69) },
        ],
        at(130),
      );

      expect(await store.claimDueTimers(at(70), FAR, 10)).toEqual([record(first, 1)]);
      expect(await store.claimDueTimers(at(130), FAR, 10)).toEqual([record(first, 0)]);
    });

    it('deletes a timer by id', async () => {
      const { store } = await open();
      const first = start({ schedule: [{ name: 'a', dueAt: at(10) }, { dueAt: at(20) }] });
      await store.commit(first);
      await store.deleteTimer(first.timers.scheduled[0]!.id);

      expect(await pending(store, first)).toEqual([record(first, 1)]);
    });

    it('never gives one timer to two concurrent pollers', async () => {
      const { store, peer } = await open();
      const firsts = Array.from({ length: 20 }, (_, index) =>
        start({ schedule: [{ dueAt: at(index) }, { name: 'n', dueAt: at(index) }] }),
      );
      for (const decision of firsts) await store.commit(decision);

      const [mine, theirs] = await Promise.all([
        store.claimDueTimers(at(60), FAR, 30),
        peer.claimDueTimers(at(60), FAR, 30),
      ]);
      const claimed = [...mine, ...theirs].map((timer) => timer.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed).toHaveLength(40);
    });

    (open.rowLocks ? it : it.skip)(
      'skips a timer another poller holds, without waiting (SKIP LOCKED)',
      async () => {
        const { store, holdRowLock } = await open();
        const first = start({ schedule: [{ dueAt: at(10) }, { dueAt: at(20) }] });
        await store.commit(first);
        const release = await holdRowLock!('pm_timer', first.timers.scheduled[0]!.id);
        try {
          expect(await store.claimDueTimers(at(60), FAR, 10)).toEqual([record(first, 1)]);
        } finally {
          await release();
        }
        expect(await store.claimDueTimers(at(60), FAR, 10)).toEqual([record(first, 0)]);
      },
    );
  });
}
