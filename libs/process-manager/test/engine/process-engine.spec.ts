import { describe, expect, it, jest } from '@jest/globals';
import { decide } from '../../src/engine/process-engine.js';
import { getMetadata, ProcessCompleted, ProcessFailed, ProcessStarted } from 'nestjs-process-manager';
import { environment, existing, metadata, NOW, route } from '../support/fixtures/engine.js';
import { ChargeCard, OrderPlaced, PaymentReceived } from '../support/fixtures/orders.js';

const placed = new OrderPlaced('o-1', 42);

describe('decide()', () => {
  it('creates an instance from a start event and announces it', async () => {
    const start = route((event, ctx) => {
      ctx.state.total = (event as OrderPlaced).total;
      ctx.send(new ChargeCard('o-1', 42));
    });
    const decision = await decide(
      { route: start, event: placed, metadata: metadata('m-1'), correlationKey: 'o-1', instance: null },
      environment(),
    );

    expect(decision).toMatchObject({ isNew: true, expectedVersion: 0, inbox: { messageId: 'm-1' } });
    expect(decision.instance).toMatchObject({
      type: 'order',
      correlationKey: 'o-1',
      status: 'running',
      state: { total: 42 },
      version: 1,
      startedAt: NOW,
    });
    expect(decision.outgoing.map(({ kind, type }) => ({ kind, type }))).toEqual([
      { kind: 'command', type: 'ChargeCard' },
      { kind: 'event', type: 'ProcessStarted' },
    ]);
    expect(decision.outgoing[1]!.message).toBeInstanceOf(ProcessStarted);
    expect(decision.outgoing[1]!.payload).toEqual({
      processId: decision.instance.id,
      processType: 'order',
      correlationKey: 'o-1',
    });
  });

  it('links every outgoing message to the instance and the incoming event', async () => {
    const start = route((_event, ctx) => ctx.send(new ChargeCard('o-1', 42)));
    const { instance, outgoing } = await decide(
      { route: start, event: placed, metadata: metadata('m-1'), correlationKey: 'o-1', instance: null },
      environment(),
    );

    for (const message of outgoing) {
      expect(message.metadata).toMatchObject({
        correlationId: instance.id,
        causationId: 'm-1',
        occurredAt: NOW,
      });
      expect(getMetadata(message.message)).toEqual(message.metadata);
    }
    expect(new Set(outgoing.map((m) => m.metadata.messageId)).size).toBe(outgoing.length);
  });

  it('gives outgoing messages ids that depend only on instance, incoming message and position', async () => {
    const step = route((_event, ctx) => {
      ctx.send(new ChargeCard('o-1', 1));
      ctx.send(new ChargeCard('o-1', 2));
    });
    const run = (messageId: string) =>
      decide(
        {
          route: step,
          event: placed,
          metadata: metadata(messageId),
          correlationKey: 'o-1',
          instance: existing(),
        },
        environment(),
      );
    const ids = async (messageId: string) => (await run(messageId)).outgoing.map((m) => m.metadata.messageId);

    const first = await ids('m-1');
    expect(await ids('m-1')).toEqual(first);
    expect(await ids('m-2')).not.toEqual(first);
    expect(first[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(first[0]).not.toBe(first[1]);
  });

  it('runs a handler only in its from states and moves the instance to its to state', async () => {
    const paid = route(() => undefined, {
      messageType: 'PaymentReceived',
      start: false,
      from: ['awaiting-payment'],
      to: 'paid',
    });
    const decision = await decide(
      {
        route: paid,
        event: new PaymentReceived('o-1'),
        metadata: metadata('m-2'),
        correlationKey: 'o-1',
        instance: existing({ stateName: 'awaiting-payment' }),
      },
      environment(),
    );

    expect(decision).toMatchObject({
      isNew: false,
      expectedVersion: 3,
      instance: { stateName: 'paid', version: 4 },
    });
    expect(decision.history).toMatchObject({
      messageType: 'PaymentReceived',
      messageId: 'm-2',
      outcome: 'handled',
      fromState: 'awaiting-payment',
      toState: 'paid',
      status: 'running',
    });
  });

  it('records an event in a state the handler does not accept as ignored, without running it', async () => {
    const handler = jest.fn((_event: object, ctx: { state: Record<string, unknown> }) => {
      ctx.state.touched = true;
    });
    const paid = route(handler, { start: false, from: ['awaiting-payment'], to: 'paid' });
    const before = existing({ stateName: 'shipped', state: { total: 42 } });
    const decision = await decide(
      {
        route: paid,
        event: new PaymentReceived('o-1'),
        metadata: metadata('m-3'),
        correlationKey: 'o-1',
        instance: before,
      },
      environment(),
    );

    expect(handler).not.toHaveBeenCalled();
    expect(decision.history).toMatchObject({ outcome: 'ignored', fromState: 'shipped', toState: 'shipped' });
    expect(decision.history.note).toContain('awaiting-payment');
    expect(decision.instance).toMatchObject({
      stateName: 'shipped',
      state: { total: 42 },
      status: 'running',
    });
    expect(decision.outgoing).toEqual([]);
    expect(decision.inbox).toEqual({ messageId: 'm-3' });
  });

  it('ignores events for an instance that has ended', async () => {
    const handler = jest.fn();
    const decision = await decide(
      {
        route: route(handler, { start: false }),
        event: placed,
        metadata: metadata('m-4'),
        correlationKey: 'o-1',
        instance: existing({ status: 'completed' }),
      },
      environment(),
    );

    expect(handler).not.toHaveBeenCalled();
    expect(decision.history).toMatchObject({ outcome: 'ignored', status: 'completed' });
  });

  it('completes: announces ProcessCompleted and cancels every pending timer', async () => {
    const done = route((_event, ctx) => {
      ctx.schedule(new OrderPlaced('o-1', 42), { after: '1h' }, 'reminder');
      ctx.complete();
    });
    const decision = await decide(
      { route: done, event: placed, metadata: metadata('m-5'), correlationKey: 'o-1', instance: existing() },
      environment(),
    );

    expect(decision.instance).toMatchObject({ status: 'completed', completedAt: NOW });
    expect(decision.outgoing.map((m) => m.message)).toEqual([expect.any(ProcessCompleted)]);
    expect(decision.timers).toMatchObject({ cancelAll: true, scheduled: [] });
    expect(decision.history.status).toBe('completed');
  });

  it('fails: announces ProcessFailed with the reason and keeps it as lastError', async () => {
    const failing = route((_event, ctx) => ctx.fail(new Error('card expired')));
    const decision = await decide(
      {
        route: failing,
        event: placed,
        metadata: metadata('m-6'),
        correlationKey: 'o-1',
        instance: existing(),
      },
      environment(),
    );

    expect(decision.instance).toMatchObject({ status: 'failed', lastError: 'card expired' });
    const [failed] = decision.outgoing.map((m) => m.message);
    expect(failed).toBeInstanceOf(ProcessFailed);
    expect(failed).toMatchObject({ processId: existing().id, reason: 'card expired' });
    expect(decision.history).toMatchObject({ status: 'failed', error: 'card expired' });
    expect(decision.timers.cancelAll).toBe(true);
  });
});
