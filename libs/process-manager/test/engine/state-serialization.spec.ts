import { describe, expect, it } from '@jest/globals';
import { StateNotSerializableError } from 'nestjs-process-manager';
import { decide } from '../../src/engine/process-engine.js';
import { environment, existing, metadata, route } from '../support/fixtures/engine.js';
import { OrderPlaced } from '../support/fixtures/orders.js';

function stepWith(mutate: (state: Record<string, unknown>) => void) {
  return decide(
    {
      route: route((_event, ctx) => mutate(ctx.state)),
      event: new OrderPlaced('o-1', 1),
      metadata: metadata('m-1'),
      correlationKey: 'o-1',
      instance: existing({ state: { total: 1 } }),
    },
    environment(),
  );
}

describe('state serialisation', () => {
  const circular = (state: Record<string, unknown>) => {
    state.self = state;
  };

  it.each([
    ['a BigInt', (state: Record<string, unknown>) => void (state.total = 10n)],
    ['a function', (state: Record<string, unknown>) => void (state.callback = () => 1)],
    ['a symbol', (state: Record<string, unknown>) => void (state.tag = Symbol('tag'))],
    ['a circular reference', circular],
  ])('rejects state holding %s with StateNotSerializableError', async (_what, mutate) => {
    const step = stepWith(mutate);
    await expect(step).rejects.toThrow(StateNotSerializableError);
    await expect(step).rejects.toThrow(/"order" 11111111-1111-4111-8111-111111111111/);
  });

  it('rejects state replaced by something that is not an object', async () => {
    const replace = decide(
      {
        route: route((_event, ctx) => {
          (ctx as { state: unknown }).state = 42;
        }),
        event: new OrderPlaced('o-1', 1),
        metadata: metadata('m-1'),
        correlationKey: 'o-1',
        instance: existing(),
      },
      environment(),
    );
    await expect(replace).rejects.toThrow(StateNotSerializableError);
  });

  it('stores the JSON form of serialisable state', async () => {
    const decision = await stepWith((state) => {
      state.when = new Date('2030-01-01T00:00:00.000Z');
      state.nested = { list: [1, 'two', null] };
    });
    expect(decision.instance.state).toEqual({
      total: 1,
      when: '2030-01-01T00:00:00.000Z',
      nested: { list: [1, 'two', null] },
    });
  });
});
