import { describe, expect, it } from '@jest/globals';
import type { Decision } from '../../src/engine/decision.js';
import type { ProcessInstance } from '../../src/kernel/process-instance.js';
import type { ProcessStore } from '../../src/ports/process-store.js';
import { DISPATCH_LEASE_MS } from '../../src/ports/store-rules.js';
import { at, failure, ids, key, next, plus, start } from './decisions.js';
import type { OpenStore } from './store-under-test.js';

const FAR = at(100 * 24 * 3600);
/** Idle cutoff that every step in these tests is older than. */
const IDLE = at(3600);
/** Overdue cutoff before anything in these tests is due: all pending work counts as pending. */
const NOTHING_OVERDUE = at(-3600);

/** Commits the decisions in order and returns the last committed instance. */
async function commitAll(store: ProcessStore, ...decisions: Decision[]): Promise<ProcessInstance> {
  for (const decision of decisions) await store.commit(decision);
  return decisions.at(-1)!.instance;
}

/** Every page of `list`, following the cursor. */
async function allPages(store: ProcessStore, query: Parameters<ProcessStore['list']>[0]) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ ...query, cursor });
    pages.push(page.items.map((item) => item.id));
    cursor = page.nextCursor;
  } while (cursor !== undefined && pages.length < 20);
  return pages;
}

const stalledIds = async (
  store: ProcessStore,
  idleSince = IDLE,
  limit = 100,
  overdueSince = NOTHING_OVERDUE,
) => (await store.findStalled(idleSince, overdueSince, limit)).map((instance) => instance.id);

/** The read side: operations and recovery. */
export function describeProcessQueries(name: string, open: OpenStore): void {
  describe(`ProcessQueries contract: ${name}`, () => {
    it('gets an instance by id as committed; nothing for an unknown id or one that is no uuid', async () => {
      const { store } = await open();
      const first = start({ stateName: 'placed', state: { total: 42, lines: [{ sku: 'a' }] } });
      const ended = next(first.instance, { at: at(9), status: 'failed', lastError: 'declined' });
      await commitAll(store, first, ended);

      expect(await store.get(first.instance.id)).toEqual(ended.instance);
      expect(await store.get('00000000-0000-4000-8000-000000000000')).toBeNull();
      expect(await store.get('not-a-uuid')).toBeNull();
    });

    it('gets several instances by id in one read, leaving out unknown ids and ids that are no uuid', async () => {
      const { store } = await open();
      const first = start({ state: { n: 1 } });
      const moved = next(first.instance, { at: at(5), stateName: 'moved' });
      const other = start({ state: { n: 2 } });
      await commitAll(store, first, moved, other);

      const found = await store.getMany([
        other.instance.id,
        '00000000-0000-4000-8000-000000000000',
        'not-a-uuid',
        first.instance.id,
      ]);
      const byId = (a: ProcessInstance, b: ProcessInstance) => a.id.localeCompare(b.id);
      expect(found.sort(byId)).toEqual([moved.instance, other.instance].sort(byId));
      expect(await store.getMany([])).toEqual([]);
    });

    it('finds the instance that holds a (type, key), never an ended one', async () => {
      const { store } = await open();
      const first = start();
      await store.commit(first);
      const { correlationKey } = first.instance;

      expect(await store.find('order', correlationKey)).toEqual(first.instance);
      expect(await store.find('invoice', correlationKey)).toBeNull();
      await store.commit(next(first.instance, { status: 'completed' }));
      expect(await store.find('order', correlationKey)).toBeNull();
      const successor = start({ key: correlationKey, at: at(5) });
      await store.commit(successor);
      expect(await store.find('order', correlationKey)).toEqual(successor.instance);
    });

    it('finds a failed instance until it is acknowledged', async () => {
      const { store } = await open();
      const first = start();
      await commitAll(store, first, next(first.instance, { status: 'failed', lastError: 'declined' }));
      const { correlationKey } = first.instance;

      expect((await store.find('order', correlationKey))?.id).toBe(first.instance.id);
      await store.acknowledgeFailure(first.instance.id, at(5));
      expect(await store.find('order', correlationKey)).toBeNull();
    });

    describe('list', () => {
      it('lists newest first (by start, then id), filtered by type and status', async () => {
        const { store } = await open();
        const sameStart = ['00000000-0000-4000-8000-00000000000a', 'ffffffff-0000-4000-8000-00000000000b'];
        const [a, b] = sameStart.map((id) => start({ id, at: at(5) }));
        const old = start({ at: at(1) });
        const newest = start({ at: at(9) });
        const invoice = start({ type: 'invoice', at: at(7) });
        await commitAll(store, a!, old, b!, newest, invoice);
        await store.commit(next(old.instance, { status: 'completed', at: at(20) }));
        await store.commit(next(a!.instance, { status: 'compensating', at: at(21) }));

        const listed = async (query: Parameters<ProcessStore['list']>[0]) =>
          (await store.list(query)).items.map((item) => item.id);
        const [idA, idB] = [a!.instance.id, b!.instance.id];
        expect(await listed({})).toEqual([
          newest.instance.id,
          invoice.instance.id,
          idB,
          idA,
          old.instance.id,
        ]);
        expect(await listed({ type: 'order' })).toEqual([newest.instance.id, idB, idA, old.instance.id]);
        expect(await listed({ status: 'completed' })).toEqual([old.instance.id]);
        expect(await listed({ type: 'order', status: ['compensating', 'completed'] })).toEqual([
          idA,
          old.instance.id,
        ]);
        expect(await listed({ type: 'shipment' })).toEqual([]);
        expect((await store.list({})).items[0]).toEqual(newest.instance);
      });

      it('filters by state name, by correlation key (in any status) and by last change', async () => {
        const { store } = await open();
        const first = start({ at: at(0), stateName: 'paid' });
        const successor = start({ at: at(5), key: first.instance.correlationKey, stateName: 'placed' });
        const other = start({ at: at(1), stateName: 'paid' });
        await commitAll(
          store,
          first,
          next(first.instance, { status: 'completed', at: at(2) }),
          successor,
          other,
        );

        const listed = async (query: Parameters<ProcessStore['list']>[0]) =>
          (await store.list(query)).items.map((item) => item.id);
        expect(await listed({ stateName: 'paid' })).toEqual([other.instance.id, first.instance.id]);
        expect(await listed({ correlationKey: first.instance.correlationKey })).toEqual([
          successor.instance.id,
          first.instance.id,
        ]);
        expect(await listed({ updatedBefore: at(2) })).toEqual([other.instance.id]);
        expect(await listed({ updatedBefore: plus(at(2), 1), stateName: 'paid' })).toEqual([
          other.instance.id,
          first.instance.id,
        ]);
      });

      it('pages with a cursor: every instance once, in order, and no cursor after the last page', async () => {
        const { store } = await open();
        const decisions = Array.from({ length: 7 }, (_, index) => start({ at: at(index % 3) }));
        await commitAll(store, ...decisions, start({ type: 'invoice', at: at(1) }));

        const pages = await allPages(store, { type: 'order', limit: 3 });
        expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
        expect(pages.flat()).toEqual((await store.list({ type: 'order', limit: 10 })).items.map((i) => i.id));
        expect(new Set(pages.flat())).toEqual(new Set(decisions.map((d) => d.instance.id)));
        expect((await store.list({ type: 'order', limit: 7 })).nextCursor).toBeUndefined();
        expect((await store.list({ type: 'order', limit: 6 })).nextCursor).toEqual(expect.any(String));
      });
    });

    it('keeps the history of an instance in step order, as each step recorded it', async () => {
      const { store } = await open();
      const first = start({ stateName: 'placed', send: [{ type: 'ReserveStock', payload: { sku: 'a' } }] });
      const ignored = next(first.instance, { at: at(1), outcome: 'ignored', note: 'not in state paid' });
      const failed = next(ignored.instance, { at: at(2), status: 'failed', lastError: 'declined' });
      await commitAll(store, first, ignored, failed);

      expect(await store.history(first.instance.id)).toEqual(
        [first, ignored, failed].map((decision) => ({
          ...decision.history,
          seq: decision.instance.version,
          processId: first.instance.id,
        })),
      );
      expect(await store.history('00000000-0000-4000-8000-000000000000')).toEqual([]);
      expect(await store.history('not-a-uuid')).toEqual([]);
    });

    it('counts the instances that hold their key per type and status, and the stalled among them', async () => {
      const { store } = await open();
      const stalled = start();
      await commitAll(store, stalled, next(stalled.instance, { outcome: 'stalled' }), start());
      await store.commit(start({ type: 'invoice' }));
      const compensating = start();
      await commitAll(store, compensating, next(compensating.instance, { status: 'compensating' }));
      for (const acknowledged of [false, true]) {
        const failed = start();
        await commitAll(store, failed, next(failed.instance, { status: 'failed', lastError: 'x' }));
        if (acknowledged) await store.acknowledgeFailure(failed.instance.id, at(1));
      }
      const completed = start();
      await commitAll(store, completed, next(completed.instance, { status: 'completed' }));

      const counts = await store.countActive();
      const byTypeAndStatus = (a: { type: string; status: string }, b: typeof a) =>
        a.type.localeCompare(b.type) || a.status.localeCompare(b.status);
      expect(counts.sort(byTypeAndStatus)).toEqual([
        { type: 'invoice', status: 'running', count: 1, stalled: 0 },
        { type: 'order', status: 'compensating', count: 1, stalled: 0 },
        { type: 'order', status: 'failed', count: 1, stalled: 0 },
        { type: 'order', status: 'running', count: 2, stalled: 1 },
      ]);
    });

    it('counts live instances per type and named state, leaving out ended ones and those without a state', async () => {
      const { store } = await open();
      for (const stateName of ['open', 'open', 'frozen']) {
        const one = start();
        await commitAll(store, one, next(one.instance, { stateName }));
      }
      const compensating = start({ type: 'invoice' });
      await commitAll(
        store,
        compensating,
        next(compensating.instance, { status: 'compensating', stateName: 'open' }),
      );
      const ended = start();
      await commitAll(store, ended, next(ended.instance, { status: 'completed', stateName: 'frozen' }));
      const failed = start();
      await commitAll(
        store,
        failed,
        next(failed.instance, { status: 'failed', lastError: 'x', stateName: 'open' }),
      );
      await store.commit(start());

      const counts = await store.countLiveByState();
      const order = (a: { type: string; stateName: string }, b: typeof a) =>
        a.type.localeCompare(b.type) || a.stateName.localeCompare(b.stateName);
      expect(counts.sort(order)).toEqual([
        { type: 'invoice', stateName: 'open', count: 1 },
        { type: 'order', stateName: 'frozen', count: 1 },
        { type: 'order', stateName: 'open', count: 2 },
      ]);
    });

    it('keeps the version each state was written with', async () => {
      const { store } = await open();
      const first = start();
      const upgraded = next({ ...first.instance, stateVersion: 3 }, { state: { migrated: true } });
      await commitAll(store, first, upgraded);

      expect((await store.get(first.instance.id))?.stateVersion).toBe(3);
      expect((await store.history(first.instance.id)).map((entry) => entry.stateVersion)).toEqual([1, 3]);
    });

    it('finds overdue work that no claim of this scope takes, counted per kind and type', async () => {
      const { store } = await open();
      const order = start({
        type: 'order',
        schedule: [
          { dueAt: at(1), messageType: 'Remind' },
          { dueAt: at(2), messageType: 'Expire' },
          { dueAt: FAR, messageType: 'Expire' },
        ],
      });
      const invoice = start({
        type: 'invoice',
        send: [{ type: 'ShipOrder' }],
        schedule: [{ dueAt: at(1), messageType: 'Remind' }],
      });
      await commitAll(store, order, invoice);
      await store.recordFailure(
        failure({ handler: 'Ledger.onPaid', messageType: 'Paid', nextAttemptAt: at(1) }),
      );
      await store.recordFailure(
        failure({ handler: 'order', messageType: 'OrderPlaced', nextAttemptAt: at(1) }),
      );
      const scope = {
        processTypes: ['order'],
        routes: [
          { handler: 'order', messageType: 'Remind' },
          { handler: 'order', messageType: 'OrderPlaced' },
        ],
        messageTypes: ['ShipOrder'],
      };

      const found = await store.findUnclaimable(IDLE, scope, 100);
      const byKindAndType = (a: { kind: string; messageType: string }, b: typeof a) =>
        a.kind.localeCompare(b.kind) || a.messageType.localeCompare(b.messageType);
      expect(found.sort(byKindAndType)).toEqual(
        [
          { kind: 'outbox', handler: 'invoice', messageType: 'ShipOrder', count: 1 },
          { kind: 'retry', handler: 'Ledger.onPaid', messageType: 'Paid', count: 1 },
          { kind: 'timer', handler: 'order', messageType: 'Expire', count: 1 },
          { kind: 'timer', handler: 'invoice', messageType: 'Remind', count: 1 },
        ].sort(byKindAndType),
      );
      expect(await store.findUnclaimable(at(0), scope, 100)).toEqual([]);
    });

    describe('findStalled', () => {
      it('finds live instances idle since the cutoff, least recently updated first, up to the limit', async () => {
        const { store } = await open();
        const running = start({ at: at(20) });
        const first = start({ at: at(0) });
        const compensating = next(first.instance, { status: 'compensating', at: at(10) });
        const busy = start({ at: plus(IDLE, 1) });
        await commitAll(store, running, first, compensating, busy);

        expect(await stalledIds(store)).toEqual([first.instance.id, running.instance.id]);
        expect(await stalledIds(store, IDLE, 1)).toEqual([first.instance.id]);
        expect(await stalledIds(store, at(20))).toEqual([first.instance.id, running.instance.id]);
        expect(await stalledIds(store, plus(at(20), -1))).toEqual([first.instance.id]);
        expect((await store.findStalled(IDLE, NOTHING_OVERDUE, 10))[0]).toEqual(compensating.instance);
      });

      it('skips ended instances', async () => {
        const { store } = await open();
        for (const status of ['completed', 'failed'] as const) {
          const first = start();
          await commitAll(store, first, next(first.instance, { status, lastError: 'x' }));
        }
        const cancelled = start();
        await store.commit(cancelled);
        await store.cancel(cancelled.instance.id, undefined, at(1));

        expect(await stalledIds(store)).toEqual([]);
      });

      it('skips an instance already reported as stalled, until a later step', async () => {
        const { store } = await open();
        const first = start();
        const reported = next(first.instance, { outcome: 'stalled', at: at(5), send: [{ kind: 'event' }] });
        await commitAll(store, first, reported);
        await store.markDispatched(ids(reported.outgoing), at(5));

        expect(await stalledIds(store)).toEqual([]);
        await store.commit(next(reported.instance, { at: at(6) }));
        expect(await stalledIds(store)).toEqual([first.instance.id]);
      });

      it('skips an instance with a pending timer', async () => {
        const { store } = await open();
        const first = start({ schedule: [{ name: 'remind', dueAt: FAR }] });
        await store.commit(first);

        expect(await stalledIds(store)).toEqual([]);
        await store.deleteTimer(first.timers.scheduled[0]!.id);
        expect(await stalledIds(store)).toEqual([first.instance.id]);
      });

      it('skips an instance with an undispatched outbox row, not with a dispatched or parked one', async () => {
        const { store } = await open();
        const first = start({ send: [{}, {}] });
        await store.commit(first);
        const [sent, parked] = ids(first.outgoing);

        expect(await stalledIds(store)).toEqual([]);
        await store.markDispatched([sent!], at(1));
        await store.markDispatchFailed(parked!, 'no handler', plus(at(1), DISPATCH_LEASE_MS), at(1));
        expect(await stalledIds(store)).toEqual([]);
        await store.markDispatchFailed(parked!, 'no handler', null, at(2));
        expect(await stalledIds(store)).toEqual([first.instance.id]);
      });

      it('skips an instance with a retrying failure, not with a dead one', async () => {
        const { store } = await open();
        const first = start();
        await store.commit(first);
        const retrying = failure({ processId: first.instance.id, handler: 'order' });
        await store.recordFailure(retrying);

        expect(await stalledIds(store)).toEqual([]);
        await store.recordFailure({ ...retrying, status: 'dead', attempts: 2, nextAttemptAt: undefined });
        expect(await stalledIds(store)).toEqual([first.instance.id]);
      });

      it('does not count work overdue since the cutoff as pending (claimed and never done, or taken by nobody)', async () => {
        const { store } = await open();
        const timer = start({ schedule: [{ dueAt: at(10) }] });
        const outbox = start({ send: [{}] });
        const retry = start();
        await commitAll(store, timer, outbox, retry);
        await store.recordFailure(failure({ processId: retry.instance.id, nextAttemptAt: at(20) }));
        const outboxDue = plus(at(0), DISPATCH_LEASE_MS);

        expect(await stalledIds(store, IDLE, 100, at(9))).toEqual([]);
        expect(await stalledIds(store, IDLE, 100, at(10))).toEqual([timer.instance.id]);
        expect((await stalledIds(store, IDLE, 100, at(20))).sort()).toEqual(
          [timer.instance.id, retry.instance.id].sort(),
        );
        expect(await stalledIds(store, IDLE, 100, plus(outboxDue, -1))).toHaveLength(2);
        expect(await stalledIds(store, IDLE, 100, outboxDue)).toHaveLength(3);
      });

      it("counts only the instance's own pending work", async () => {
        const { store } = await open();
        const idle = start({ key: key() });
        const other = start({ send: [{}], schedule: [{ dueAt: FAR }] });
        await commitAll(store, idle, other);
        await store.recordFailure(failure({ processId: other.instance.id }));

        expect(await stalledIds(store)).toEqual([idle.instance.id]);
      });
    });
  });
}
