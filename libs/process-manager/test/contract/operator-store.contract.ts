import { describe, expect, it } from '@jest/globals';
import { ConcurrencyConflictError } from '../../src/errors/index.js';
import { MARKERS, markerMessageId } from '../../src/ports/store-rules.js';
import { at, failure, key, next, start } from './decisions.js';
import type { OpenStore } from './store-under-test.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** Operators' repairs: one atomic write each (the change, a new version, a `repaired` history row). */
export function describeOperatorStore(name: string, open: OpenStore): void {
  describe(`OperatorStore contract: ${name}`, () => {
    async function withTimers() {
      const { store, peer } = await open();
      const first = start({
        stateName: 'waiting',
        schedule: [
          { name: 'reminder', dueAt: at(60), messageType: 'Remind', payload: { n: 1 } },
          { dueAt: at(30) },
        ],
      });
      await store.commit(first);
      return { store, peer, first, id: first.instance.id };
    }

    const repairRow = (id: string, version: number, fields: Record<string, unknown>) => ({
      seq: version,
      processId: id,
      messageType: MARKERS.repaired.messageType,
      messageId: markerMessageId('repaired', version),
      outcome: 'repaired',
      commands: [],
      ...fields,
    });

    it('lists the timers of an instance, soonest first', async () => {
      const { store, first, id } = await withTimers();
      const timers = await store.pendingTimers(id);
      expect(timers.map(({ name, dueAt, messageType }) => ({ name, dueAt, messageType }))).toEqual([
        { name: undefined, dueAt: at(30), messageType: 'Remind' },
        { name: 'reminder', dueAt: at(60), messageType: 'Remind' },
      ]);
      expect(timers[1]).toMatchObject({ processId: id, processType: first.instance.type, payload: { n: 1 } });
      expect(await store.pendingTimers(UNKNOWN)).toEqual([]);
      expect(await store.pendingTimers('not-a-uuid')).toEqual([]);
    });

    it('reschedules a named timer: new due time, unleased, a new version and a repair row', async () => {
      const { store, first, id } = await withTimers();
      await store.claimDueTimers(at(100), at(200), 10);

      expect(await store.rescheduleTimer(id, 'reminder', at(500), 'later (by ann)', at(5))).toBe(true);
      const version = first.instance.version + 1;
      expect((await store.pendingTimers(id)).find((t) => t.name === 'reminder')?.dueAt).toEqual(at(500));
      expect(await store.get(id)).toMatchObject({ version, updatedAt: at(5) });
      expect((await store.history(id)).at(-1)).toEqual(
        repairRow(id, version, {
          fromState: 'waiting',
          toState: 'waiting',
          status: 'running',
          at: at(5),
          note: 'later (by ann)',
          state: first.instance.state,
          stateVersion: 1,
        }),
      );
      // unleased: a poller takes it when it falls due
      const due = await store.claimDueTimers(at(500), at(600), 10);
      expect(due.map((t) => t.name)).toContain('reminder');
      await expect(store.commit(next(first.instance))).rejects.toBeInstanceOf(ConcurrencyConflictError);
    });

    it('cancels a named timer, leaving the others', async () => {
      const { store, id } = await withTimers();
      expect(await store.cancelTimer(id, 'reminder', 'not needed', at(5))).toBe(true);
      expect((await store.pendingTimers(id)).map((t) => t.name)).toEqual([undefined]);
      expect((await store.history(id)).at(-1)).toMatchObject({ outcome: 'repaired', note: 'not needed' });
    });

    it('claims a timer now: due at once, leased to the caller, its key known', async () => {
      const { store, peer, first, id } = await withTimers();
      const claimed = await store.claimTimerNow(id, 'reminder', at(65), 'fire now', at(5));
      expect(claimed).toMatchObject({
        processId: id,
        name: 'reminder',
        dueAt: at(5),
        messageType: 'Remind',
        payload: { n: 1 },
        correlationKey: first.instance.correlationKey,
      });
      // leased: no poller takes it, nor a second claim
      expect((await peer.claimDueTimers(at(10), at(70), 10)).map((t) => t.name)).toEqual([]);
      expect(await store.claimTimerNow(id, 'reminder', at(65), 'again', at(6))).toBeUndefined();
      expect(await store.get(id)).toMatchObject({ version: first.instance.version + 1 });
    });

    it('changes nothing for a missing timer, an ended or unknown instance', async () => {
      const { store, first, id } = await withTimers();
      const ended = start({ schedule: [{ name: 'reminder', dueAt: at(60) }] });
      await store.commit(ended);
      await store.commit(next(ended.instance, { status: 'completed' }));
      const before = await store.get(id);

      expect(await store.rescheduleTimer(id, 'nope', at(9), 'x', at(5))).toBe(false);
      expect(await store.cancelTimer(id, 'nope', 'x', at(5))).toBe(false);
      expect(await store.claimTimerNow(id, 'nope', at(9), 'x', at(5))).toBeUndefined();
      expect(await store.rescheduleTimer(ended.instance.id, 'reminder', at(9), 'x', at(5))).toBe(false);
      expect(await store.rescheduleTimer(UNKNOWN, 'reminder', at(9), 'x', at(5))).toBe(false);
      expect(await store.cancelTimer('not-a-uuid', 'reminder', 'x', at(5))).toBe(false);
      expect(await store.get(id)).toEqual(before);
      expect(await store.history(id)).toHaveLength(1);
      expect(first.instance.version).toBe(before?.version);
    });

    it('repairs the state and the named state at the expected version, with a row from the old state', async () => {
      const { store, first, id } = await withTimers();
      const version = first.instance.version;

      expect(await store.repairState(id, version, { state: { total: 7 } }, 'fix total', at(5))).toBe(true);
      expect(await store.repairState(id, version + 1, { stateName: 'shipping' }, 'move', at(6))).toBe(true);
      expect(await store.get(id)).toMatchObject({
        state: { total: 7 },
        stateName: 'shipping',
        version: version + 2,
        updatedAt: at(6),
      });
      const [, edited, moved] = await store.history(id);
      expect(edited).toEqual(
        repairRow(id, version + 1, {
          fromState: 'waiting',
          toState: 'waiting',
          status: 'running',
          at: at(5),
          note: 'fix total',
          state: { total: 7 }, // the state it leaves, for replay
          stateVersion: 1,
        }),
      );
      expect(moved).toMatchObject({
        fromState: 'waiting',
        toState: 'shipping',
        note: 'move',
        state: { total: 7 },
      });
    });

    it('refuses a state repair at a stale version or of an ended instance', async () => {
      const { store, first, id } = await withTimers();
      const ended = start();
      await store.commit(ended);
      await store.commit(next(ended.instance, { status: 'cancelled' }));
      const before = await store.get(id);

      expect(await store.repairState(id, first.instance.version - 1, { state: {} }, 'x', at(5))).toBe(false);
      expect(await store.repairState(ended.instance.id, 2, { state: {} }, 'x', at(5))).toBe(false);
      expect(await store.repairState(UNKNOWN, 1, { state: {} }, 'x', at(5))).toBe(false);
      expect(await store.get(id)).toEqual(before);
    });

    it('lists the outbox rows of an instance not dispatched, pending or failed', async () => {
      const { store } = await open();
      const first = start({ send: [{ type: 'Charge' }, { type: 'Ship' }, { type: 'Mail' }] });
      await store.commit(first);
      const [charge, ship] = first.outgoing.map((message) => message.metadata.messageId);
      await store.markDispatched([charge!], at(1));
      await store.markDispatchFailed(ship!, 'broker down', null, at(2));

      const rows = await store.pendingOutbox(first.instance.id);
      expect(rows.map(({ type, failedAt, lastError }) => ({ type, failedAt, lastError }))).toEqual(
        expect.arrayContaining([
          { type: 'Ship', failedAt: at(2), lastError: 'broker down' },
          { type: 'Mail', failedAt: undefined, lastError: undefined },
        ]),
      );
      expect(rows).toHaveLength(2);
      expect(await store.pendingOutbox(UNKNOWN)).toEqual([]);
    });

    it('lists by business key in any status: the correlation key or an associated value', async () => {
      const { store } = await open();
      const value = key('table');
      const ended = start({ associate: [{ key: 'table', value }] });
      await store.commit(ended);
      await store.commit(next(ended.instance, { status: 'completed', at: at(1) }));
      const live = start({ type: 'bill', key: value, at: at(2) });
      await store.commit(live);
      await store.commit(start({ associate: [{ key: 'table', value: key('other') }] }));

      const { items } = await store.list({ correlationKey: value, limit: 10 });
      expect(items.map((item) => [item.id, item.status])).toEqual([
        [live.instance.id, 'running'],
        [ended.instance.id, 'completed'],
      ]);
      const page = await store.list({ correlationKey: value, limit: 1 });
      expect(page.items.map((item) => item.id)).toEqual([live.instance.id]);
      const rest = await store.list({ correlationKey: value, limit: 1, cursor: page.nextCursor });
      expect(rest.items.map((item) => item.id)).toEqual([ended.instance.id]);
    });

    it('filters and counts open dead letters by handler, message type and error text', async () => {
      const { store } = await open();
      const letters = [
        failure({ status: 'dead', error: 'Card DECLINED', failedAt: at(1) }),
        failure({ status: 'dead', error: 'timeout', failedAt: at(2) }),
        failure({ status: 'dead', messageType: 'Other', error: 'declined', failedAt: at(3) }),
        failure({ status: 'dead', handler: 'shipping', error: 'declined', failedAt: at(4) }),
        failure({ status: 'retrying', error: 'declined', failedAt: at(5) }),
      ];
      for (const letter of letters) await store.recordFailure(letter);

      const filter = { type: 'order', messageType: 'OrderPlaced', errorContains: 'decl' };
      expect(await store.countMatchingDeadLetters(filter)).toBe(1);
      expect((await store.matchingDeadLetters(filter, 10)).map((l) => l.id)).toEqual([letters[0]!.id]);
      expect(await store.countMatchingDeadLetters({ errorContains: 'DECLINED' })).toBe(3);
      expect(await store.countMatchingDeadLetters({})).toBe(4);
      const page = await store.matchingDeadLetters({ type: 'order' }, 2);
      expect(page.map((l) => l.id)).toEqual([letters[0]!.id, letters[1]!.id]);
      const rest = await store.matchingDeadLetters({ type: 'order' }, 2, page.at(-1));
      expect(rest.map((l) => l.id)).toEqual([letters[2]!.id]);
      expect(await store.countMatchingDeadLetters({ type: key() })).toBe(0);
    });
  });
}
