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

  it.each<[string, (state: Record<string, unknown>) => void, string]>([
    ['a Map', (state) => void (state.lines = new Map()), 'state.lines is a Map'],
    ['a Date', (state) => void (state.when = new Date(0)), 'state.when is a Date'],
    ['NaN', (state) => void (state.total = Number.NaN), 'state.total is NaN'],
    ['Infinity', (state) => void (state.total = Number.POSITIVE_INFINITY), 'state.total is Infinity'],
    [
      'a class instance',
      (state) => void (state.total = new OrderPlaced('o-1', 1)),
      'state.total is an OrderPlaced instance',
    ],
    ['a NUL character', (state) => void (state.note = 'a\u0000b'), 'state.note contains a NUL character'],
    ['a lone surrogate', (state) => void (state.note = 'a\ud800'), 'state.note contains a lone surrogate'],
  ])(
    'refuses state that JSON or PostgreSQL would change (%s), naming the path',
    async (_what, mutate, path) => {
      await expect(stepWith(mutate)).rejects.toThrow(StateNotSerializableError);
      await expect(stepWith(mutate)).rejects.toThrow(path);
    },
  );

  it('stores plain state as it is, leaving out undefined properties', async () => {
    const decision = await stepWith((state) => {
      state.nested = { list: [1, 'two', null, { deep: true }] };
      state.gone = undefined;
    });
    expect(decision.instance.state).toStrictEqual({
      total: 1,
      nested: { list: [1, 'two', null, { deep: true }] },
    });
  });
});
