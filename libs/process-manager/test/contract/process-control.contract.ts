import { describe, expect, it } from '@jest/globals';
import { ConcurrencyConflictError } from '../../src/errors/index.js';
import { MARKERS, markerMessageId } from '../../src/ports/store-rules.js';
import { at, ids, next, plus, start } from './decisions.js';
import type { OpenStore } from './store-under-test.js';

const FAR = at(100 * 24 * 3600);
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** Writes that operators and recovery make to an instance outside a step. */
export function describeProcessControl(name: string, open: OpenStore): void {
  describe(`ProcessControl contract: ${name}`, () => {
    describe('acknowledgeFailure', () => {
      it('acknowledges a failed instance: a new version and a marker in its history', async () => {
        const { store } = await open();
        const first = start({ stateName: 'charging' });
        const failed = next(first.instance, { status: 'failed', lastError: 'declined', at: at(1) });
        await store.commit(first);
        await store.commit(failed);

        expect(await store.acknowledgeFailure(first.instance.id, at(5))).toBe(true);
        const version = failed.instance.version + 1;
        expect(await store.get(first.instance.id)).toEqual({
          ...failed.instance,
          version,
          updatedAt: at(5),
          acknowledgedAt: at(5),
        });
        expect((await store.history(first.instance.id)).at(-1)).toEqual({
          seq: version,
          processId: first.instance.id,
          messageType: MARKERS.acknowledged.messageType,
          messageId: markerMessageId('acknowledged', version),
          outcome: 'acknowledged',
          fromState: 'charging',
          toState: 'charging',
          status: 'failed',
          commands: [],
          at: at(5),
        });
        await expect(store.commit(next(failed.instance))).rejects.toBeInstanceOf(ConcurrencyConflictError);
      });

      it("writes the operator's note in the marker", async () => {
        const { store } = await open();
        const first = start();
        await store.commit(first);
        await store.commit(next(first.instance, { status: 'failed', lastError: 'declined' }));

        expect(await store.acknowledgeFailure(first.instance.id, at(5), 'ops: refunded by hand')).toBe(true);
        expect((await store.history(first.instance.id)).at(-1)?.note).toBe('ops: refunded by hand');
      });

      it('refuses what is not failed-and-unacknowledged, changing nothing', async () => {
        const { store } = await open();
        const running = start();
        const failed = start();
        await store.commit(running);
        await store.commit(failed);
        await store.commit(next(failed.instance, { status: 'failed', lastError: 'x' }));
        await store.acknowledgeFailure(failed.instance.id, at(1));
        const acknowledged = await store.get(failed.instance.id);

        expect(await store.acknowledgeFailure(failed.instance.id, at(2))).toBe(false);
        expect(await store.acknowledgeFailure(running.instance.id, at(2))).toBe(false);
        expect(await store.acknowledgeFailure(UNKNOWN, at(2))).toBe(false);
        expect(await store.acknowledgeFailure('not-a-uuid', at(2))).toBe(false);
        expect(await store.get(failed.instance.id)).toEqual(acknowledged);
        expect(await store.get(running.instance.id)).toEqual(running.instance);
        expect(await store.history(running.instance.id)).toHaveLength(1);
      });
    });

    describe('cancel', () => {
      it('cancels a live instance: ended, a new version, a marker with the reason, its timers gone', async () => {
        const { store } = await open();
        const first = start({
          stateName: 'shipping',
          schedule: [{ name: 'a', dueAt: at(60) }, { dueAt: at(70) }],
        });
        await store.commit(first);
        const other = start({ schedule: [{ dueAt: at(60) }] });
        await store.commit(other);

        expect(await store.cancel(first.instance.id, 'customer called', at(5))).toBe(true);
        const version = first.instance.version + 1;
        expect(await store.get(first.instance.id)).toEqual({
          ...first.instance,
          status: 'cancelled',
          version,
          updatedAt: at(5),
          completedAt: at(5),
        });
        expect((await store.history(first.instance.id)).at(-1)).toEqual({
          seq: version,
          processId: first.instance.id,
          messageType: MARKERS.cancelled.messageType,
          messageId: markerMessageId('cancelled', version),
          outcome: 'cancelled',
          fromState: 'shipping',
          toState: 'shipping',
          status: 'cancelled',
          commands: [],
          at: at(5),
          note: 'customer called',
        });
        const timers = await store.claimDueTimers(FAR, FAR, 10);
        expect(timers.map((timer) => timer.processId)).toEqual([other.instance.id]);
        await expect(store.commit(next(first.instance))).rejects.toBeInstanceOf(ConcurrencyConflictError);
      });

      it('cancels a compensating instance; a marker without a reason has no note', async () => {
        const { store } = await open();
        const first = start();
        const compensating = next(first.instance, { status: 'compensating' });
        await store.commit(first);
        await store.commit(compensating);

        expect(await store.cancel(first.instance.id, undefined, at(5))).toBe(true);
        expect((await store.get(first.instance.id))?.status).toBe('cancelled');
        expect((await store.history(first.instance.id)).at(-1)?.note).toBeUndefined();
      });

      it('refuses an instance that is not live, changing nothing', async () => {
        const { store } = await open();
        const ended = { completed: start(), failed: start() };
        for (const [status, decision] of Object.entries(ended)) {
          await store.commit(decision);
          await store.commit(next(decision.instance, { status: status as 'completed', lastError: 'x' }));
        }
        const cancelled = start();
        await store.commit(cancelled);
        await store.cancel(cancelled.instance.id, undefined, at(1));

        for (const decision of [ended.completed, ended.failed, cancelled]) {
          const before = await store.get(decision.instance.id);
          expect(await store.cancel(decision.instance.id, 'again', at(2))).toBe(false);
          expect(await store.get(decision.instance.id)).toEqual(before);
        }
        expect(await store.cancel(UNKNOWN, undefined, at(2))).toBe(false);
        expect(await store.cancel('not-a-uuid', undefined, at(2))).toBe(false);
      });
    });

    describe('recordRetry', () => {
      it("records an operator's retry: a new version and a marker with the note", async () => {
        const { store } = await open();
        const first = start({ stateName: 'charging' });
        await store.commit(first);

        expect(await store.recordRetry(first.instance.id, 'ops: retried', at(5))).toBe(true);
        const version = first.instance.version + 1;
        expect(await store.get(first.instance.id)).toEqual({ ...first.instance, version, updatedAt: at(5) });
        expect((await store.history(first.instance.id)).at(-1)).toEqual({
          seq: version,
          processId: first.instance.id,
          messageType: MARKERS.retried.messageType,
          messageId: markerMessageId('retried', version),
          outcome: 'retried',
          fromState: 'charging',
          toState: 'charging',
          status: 'running',
          commands: [],
          at: at(5),
          note: 'ops: retried',
        });
        await expect(store.commit(next(first.instance))).rejects.toBeInstanceOf(ConcurrencyConflictError);
        expect(await store.recordRetry(UNKNOWN, 'x', at(5))).toBe(false);
        expect(await store.recordRetry('not-a-uuid', 'x', at(5))).toBe(false);
      });
    });

    describe('resendLastStep', () => {
      it('makes the commands of the last handled step due again, and only those', async () => {
        const { store } = await open();
        const first = start({ send: [{ type: 'ReserveStock' }, { kind: 'event', type: 'OrderPlaced' }] });
        const second = next(first.instance, {
          at: at(1),
          send: [{ type: 'ChargeCard' }, { type: 'NotifyCustomer' }, { kind: 'event', type: 'Charged' }],
        });
        const ignored = next(second.instance, { at: at(2), outcome: 'ignored' });
        const other = start({ send: [{ type: 'ChargeCard' }] });
        for (const decision of [first, second, ignored, other]) await store.commit(decision);
        const everything = [...first.outgoing, ...second.outgoing, ...other.outgoing];
        await store.markDispatched(ids(everything), at(3));
        const [charge, notify] = ids(second.outgoing);
        await store.markDispatchFailed(notify!, 'no handler', null, at(3));

        expect(await store.resendLastStep(first.instance.id, at(10))).toBe(2);
        expect(await store.claimOutbox(plus(at(10), -1), FAR, 10)).toEqual([]);
        expect(ids(await store.claimOutbox(at(10), FAR, 10)).sort()).toEqual([charge, notify].sort());
      });

      it('resends nothing for an instance without a handled step that sent commands', async () => {
        const { store } = await open();
        const quiet = start({ send: [{ kind: 'event' }] });
        await store.commit(quiet);

        expect(await store.resendLastStep(quiet.instance.id, at(10))).toBe(0);
        expect(await store.resendLastStep(UNKNOWN, at(10))).toBe(0);
        expect(await store.resendLastStep('not-a-uuid', at(10))).toBe(0);
      });
    });
  });
}
