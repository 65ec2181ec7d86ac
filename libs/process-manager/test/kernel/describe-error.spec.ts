import { describe, expect, it } from '@jest/globals';
import { describeError } from '../../src/kernel/describe-error.js';

class PaymentError extends Error {
  override name = 'PaymentError';
}

describe('describeError()', () => {
  it.each<[string, unknown, string]>([
    ['an Error', new PaymentError('card declined'), 'PaymentError: card declined'],
    ['a string', 'timeout', 'timeout'],
    ['a plain object', { code: 'E42', retryable: false }, '{"code":"E42","retryable":false}'],
    ['an error-like object', { name: 'AxiosError', message: 'socket hang up' }, 'AxiosError: socket hang up'],
    ['an object with a message only', { message: 'boom' }, 'boom'],
    ['an object with its own toString', { toString: () => 'custom' }, 'custom'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['a number', 42, '42'],
    ['a BigInt', 10n, '10n'],
    ['a symbol', Symbol('why'), 'Symbol(why)'],
    ['an object holding a BigInt', { amount: 10n }, '{"amount":"10n"}'],
  ])('describes %s', (_what, error, text) => {
    expect(describeError(error)).toBe(text);
  });

  it('never throws: null prototypes, cycles, throwing getters', () => {
    const bare = Object.assign(Object.create(null) as object, { code: 1 });
    expect(describeError(bare)).toBe('{"code":1}');
    const cycle: Record<string, unknown> = { code: 'E1' };
    cycle.self = cycle;
    expect(describeError(cycle)).toBe('{"code":"E1","self":"[Circular]"}');
    const hostile = {
      get message(): string {
        throw new Error('no');
      },
    };
    expect(typeof describeError(hostile)).toBe('string');
    const unprintable = Object.create(null) as object;
    Object.defineProperty(unprintable, 'x', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(describeError(unprintable)).toBe('[object Object]');
  });

  it('cuts a huge object', () => {
    const text = describeError({ blob: 'x'.repeat(10_000) });
    expect(text.length).toBeLessThan(1_100);
    expect(text).toMatch(/… \(\d+ chars\)$/);
  });
});
