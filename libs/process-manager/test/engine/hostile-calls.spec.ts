import { describe, expect, it } from '@jest/globals';
import {
  HopelessInputError,
  InvalidContextCallError,
  InvalidCorrelationValueError,
  InvalidDurationError,
  InvalidMessageMetadataError,
  MessageNotSerializableError,
  type ProcessContext,
} from 'nestjs-process-manager';
import { checkMetadata, correlate, decide } from '../../src/engine/process-engine.js';
import { environment, existing, metadata, route } from '../support/fixtures/engine.js';
import { ChargeCard, OrderPlaced } from '../support/fixtures/orders.js';

type Handler = (ctx: ProcessContext<Record<string, unknown>>) => void;

function step(handler: Handler) {
  return decide(
    {
      route: route((_event, ctx) => handler(ctx)),
      event: new OrderPlaced('o-1', 1),
      metadata: metadata('m-1'),
      correlationKey: 'o-1',
      instance: existing(),
    },
    environment(),
  );
}

async function refusal(handler: Handler): Promise<Error> {
  const error = await step(handler).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Error)) throw new Error('the step was not refused');
  return error;
}

const timer = new OrderPlaced('o-1', 1);
const long = 'x'.repeat(201);

describe('ProcessContext calls the store could never keep', () => {
  it.each<[string, Handler, string]>([
    [
      'an invalid Date',
      (ctx) => ctx.schedule(timer, { at: new Date('invalid') }),
      'the due time is an invalid Date',
    ],
    [
      'a string for at',
      (ctx) => ctx.schedule(timer, { at: 'tomorrow' as never }),
      '{ at: "tomorrow" }: the due time is not a Date',
    ],
    [
      'a year past 9999',
      (ctx) => ctx.schedule(timer, { at: new Date('+010000-01-01T00:00:00Z') }),
      'outside the years 1 to 9999',
    ],
    ['no when', (ctx) => ctx.schedule(timer, {} as never), "pass { after: '30s' } or { at: date }"],
    [
      'a timer name with NUL',
      (ctx) => ctx.schedule(timer, { after: 1 }, 'a\u0000'),
      'contains a NUL character',
    ],
    [
      'a timer name over 200 characters',
      (ctx) => ctx.schedule(timer, { after: 1 }, long),
      'is longer than 200 characters',
    ],
    [
      'a cancelled name that is no string',
      (ctx) => ctx.cancelSchedule(7 as never),
      'the name 7, which is not a string',
    ],
    [
      'a state name with a lone surrogate',
      (ctx) => ctx.transitionTo('paid\ud800'),
      'contains a lone surrogate',
    ],
    ['an empty state name', (ctx) => ctx.transitionTo(''), 'is empty'],
    [
      'a fail reason with NUL',
      (ctx) => ctx.fail('card\u0000declined'),
      'fail() with a reason that contains a NUL',
    ],
    [
      'a plain-object command',
      (ctx) => ctx.send({ orderId: 'o-1' }),
      'a plain object: pass an instance of a message class',
    ],
    ['null as an event', (ctx) => ctx.publish(null as never), 'publish() with null'],
  ])('refuses %s with InvalidContextCallError at the call', async (_what, handler, message) => {
    const error = await refusal(handler);
    expect(error).toBeInstanceOf(InvalidContextCallError);
    expect(error).toBeInstanceOf(HopelessInputError);
    expect(error.message).toContain('"order" called ctx.');
    expect(error.message).toContain(message);
  });

  it('refuses a delay that ends outside the calendar (1e20 ms) with InvalidDurationError', async () => {
    const error = await refusal((ctx) => ctx.schedule(timer, { after: 1e20 }));
    expect(error).toBeInstanceOf(InvalidDurationError);
    expect(error).toBeInstanceOf(HopelessInputError);
  });

  it.each<[string, Handler, string]>([
    [
      'a BigInt in a command',
      (ctx) => ctx.send(new ChargeCard('o-1', 10n as never)),
      'ChargeCard.amount is a BigInt',
    ],
    [
      'a Date in a command',
      (ctx) => ctx.send(new ChargeCard('o-1', new Date() as never)),
      'ChargeCard.amount is a Date',
    ],
    ['NaN in an event', (ctx) => ctx.publish(new OrderPlaced('o-1', Number.NaN)), 'OrderPlaced.total is NaN'],
    [
      'a NUL in a command',
      (ctx) => ctx.send(new ChargeCard('o\u0000', 1)),
      'ChargeCard.orderId contains a NUL',
    ],
    [
      'a Map in a timer',
      (ctx) => ctx.schedule(new OrderPlaced('o-1', new Map() as never), { after: 5 }),
      'OrderPlaced.total is a Map',
    ],
  ])('refuses %s with MessageNotSerializableError naming the path', async (_what, handler, path) => {
    const error = await refusal(handler);
    expect(error).toBeInstanceOf(MessageNotSerializableError);
    expect(error).toBeInstanceOf(HopelessInputError);
    expect(error.message).toContain('sent by process "order"');
    expect(error.message).toContain(path);
  });

  it('keeps well-formed messages, names and associations as they were given', async () => {
    const decision = await step((ctx) => {
      ctx.send(new ChargeCard('o-1 😀 \u0007', 2 ** 53 + 1));
      ctx.schedule(timer, { at: new Date('0001-01-01T00:00:00Z') }, 'reminder');
      ctx.associate('paymentRef', 42 as never);
      ctx.transitionTo('charging');
    });
    expect(decision.outgoing[0]!.payload).toEqual({ orderId: 'o-1 😀 \u0007', amount: 2 ** 53 + 1 });
    expect(decision.timers.scheduled[0]).toMatchObject({
      name: 'reminder',
      payload: { orderId: 'o-1', total: 1 },
    });
    expect(decision.associations).toEqual([{ key: 'paymentRef', value: '42' }]);
    expect(decision.instance.stateName).toBe('charging');
  });

  it('refuses an association value that is not a string or a finite number', async () => {
    const error = await refusal((ctx) => ctx.associate('paymentRef', { id: 1 } as never));
    expect(error).toBeInstanceOf(InvalidCorrelationValueError);
    expect(error.message).toContain('is an object');
  });
});

describe('correlation values', () => {
  const byOrderId = route(() => undefined);

  it.each<[string, unknown, string]>([
    ['an object', { id: 1 }, 'is an object'],
    ['an array', ['o-1'], 'is an array'],
    ['a boolean', true, 'is the boolean true'],
    ['NaN', Number.NaN, 'is NaN'],
    ['Infinity', Number.POSITIVE_INFINITY, 'is Infinity'],
    ['a BigInt', 10n, 'is the BigInt 10n'],
    ['a lone surrogate', 'o-\ud800', 'contains a lone surrogate'],
    ['a NUL', 'o-\u0000', 'contains a NUL character'],
    ['401 characters', 'k'.repeat(401), 'is longer than 400 characters'],
  ])('refuses %s with a hopeless InvalidCorrelationValueError', (_what, value, reason) => {
    const call = () => correlate(byOrderId, { orderId: value });
    expect(call).toThrow(InvalidCorrelationValueError);
    expect(call).toThrow(HopelessInputError);
    expect(call).toThrow(`The correlation value of OrderPlaced for "order" (orderId) ${reason}`);
  });

  it('accepts 400 characters, counted as PostgreSQL counts them (code points)', () => {
    expect(correlate(byOrderId, { orderId: '😀'.repeat(400) })).toBe('😀'.repeat(400));
    expect(correlate(byOrderId, { orderId: -0 })).toBe('0');
    expect(correlate(byOrderId, { orderId: 1.5 })).toBe('1.5');
  });
});

describe('checkMetadata()', () => {
  it.each<[string, object, string]>([
    ['a messageId over 200 characters', { messageId: 'm'.repeat(201) }, 'messageId that ("mmm'],
    ['a messageId with NUL', { messageId: 'm\u0000' }, 'messageId that ("m\\u0000") contains a NUL'],
    ['a messageId that is a number', { messageId: 42 }, 'messageId that (42) is not a string'],
    ['a causationId with a lone surrogate', { messageId: 'm-1', causationId: '\udfff' }, 'causationId that'],
  ])('refuses %s with a hopeless InvalidMessageMetadataError', (_what, meta, message) => {
    const call = () => checkMetadata('OrderPlaced', { occurredAt: new Date(), ...meta } as never);
    expect(call).toThrow(InvalidMessageMetadataError);
    expect(call).toThrow(HopelessInputError);
    expect(call).toThrow(message);
  });

  it('accepts ordinary ids', () => {
    expect(() =>
      checkMetadata('OrderPlaced', { messageId: 'm'.repeat(200), occurredAt: new Date() }),
    ).not.toThrow();
  });
});
