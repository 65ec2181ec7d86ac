import { describe, expect, it } from '@jest/globals';
import { MAX_JSON_DEPTH, toPlainJson } from '../../src/kernel/plain-json.js';

class Money {
  constructor(readonly amount: number) {}
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

describe('toPlainJson()', () => {
  it('copies plain JSON intact: what JSON.parse(JSON.stringify()) gives, in a fresh object', () => {
    const value = {
      text: 'tab\there, newline\n, bell\u0007, emoji 😀',
      numbers: [0, 1.5, -2, 2 ** 53 + 1, 1e308, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER],
      flags: [true, false, null],
      nested: { list: [{ deep: ['x'] }], empty: {}, none: [] },
      constructor: 'a key like any other',
    };
    const { json, refused } = toPlainJson(value, 'state');
    expect(refused).toBeUndefined();
    expect(json).toEqual(JSON.parse(JSON.stringify(value)));
    expect(json).not.toBe(value);
    expect((json as typeof value).nested).not.toBe(value.nested);
  });

  it('keeps __proto__ as an own key and never sets the prototype of the copy', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as object;
    const { json } = toPlainJson(value, 'state');
    expect(Object.keys(json as object)).toEqual(['__proto__', 'ok']);
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(json)).toBe('{"__proto__":{"polluted":true},"ok":1}');
  });

  it('leaves out properties whose value is undefined, as JSON does, and turns -0 into 0', () => {
    const { json } = toPlainJson({ gone: undefined, zero: -0, list: [-0] }, 'state');
    expect(json).toEqual({ zero: 0, list: [0] });
    expect(Object.is((json as { zero: number }).zero, 0)).toBe(true);
    expect(Object.keys(json as object)).toEqual(['zero', 'list']);
  });

  it('accepts objects without prototype', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(toPlainJson({ bare }, 'state').json).toEqual({ bare: { a: 1 } });
  });

  it.each<[string, unknown, string]>([
    ['a Map', { lines: new Map([['a', 1]]) }, 'state.lines is a Map'],
    ['a Set', { tags: new Set(['a']) }, 'state.tags is a Set'],
    ['a Date', { when: new Date(0) }, 'state.when is a Date (store date.toISOString())'],
    ['a class instance', { total: new Money(5) }, 'state.total is a Money instance'],
    ['a binary array', { bytes: new Uint8Array(2) }, 'state.bytes is a binary array'],
    ['an Array subclass', { list: new (class Items extends Array {})() }, 'state.list is an Items instance'],
    ['NaN', { ratio: Number.NaN }, 'state.ratio is NaN'],
    ['Infinity', { limit: Number.POSITIVE_INFINITY }, 'state.limit is Infinity'],
    ['-Infinity', { limit: Number.NEGATIVE_INFINITY }, 'state.limit is -Infinity'],
    ['a BigInt', { grams: 10n }, 'state.grams is a BigInt'],
    ['a function', { callback: () => 1 }, 'state.callback is a function'],
    ['a symbol value', { tag: Symbol('tag') }, 'state.tag is a symbol'],
    ['undefined in an array', { list: [1, undefined] }, 'state.list[1] is undefined (JSON would store null)'],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    ['a hole in an array', { list: [1, , 3] }, 'state.list[1] is undefined'],
    ['a NUL character', { name: 'a\u0000b' }, 'state.name contains a NUL character (U+0000)'],
    ['a lone high surrogate', { name: 'a\ud800b' }, 'state.name contains a lone surrogate'],
    ['a lone low surrogate', { name: '\udc00' }, 'state.name contains a lone surrogate'],
    ['a NUL in a key', { ['k\u0000']: 1 }, 'state["k\\u0000"] is a key that contains a NUL character'],
    [
      'a lone surrogate in a key',
      { ['\ud83d']: 1 },
      'state["\\ud83d"] is a key that contains a lone surrogate',
    ],
    ['a symbol key', { [Symbol('hidden')]: 1 }, 'state has the symbol key Symbol(hidden)'],
    ['a value deep inside', { a: [{ b: { 'c d': [0, 1n] } }] }, 'state.a[0].b["c d"][1] is a BigInt'],
  ])('refuses %s, naming its path', (_what, value, message) => {
    const { refused } = toPlainJson(value, 'state');
    expect(refused?.toString()).toContain(message);
  });

  it('refuses a class instance at the top, unless it is a message (its fields are the payload)', () => {
    expect(toPlainJson(new Money(5), 'state').refused?.toString()).toContain('state is a Money instance');
    expect(toPlainJson(new Money(5), 'Money', true).json).toEqual({ amount: 5 });
    expect(toPlainJson(new Money(Number.NaN), 'Money', true).refused?.toString()).toBe(
      'Money.amount is NaN (JSON has no NaN)',
    );
  });

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses more, without overflowing the stack`, () => {
    expect(toPlainJson(nested(MAX_JSON_DEPTH - 1), 'state').refused).toBeUndefined();
    const { refused } = toPlainJson(nested(2_000), 'state');
    expect(refused?.toString()).toMatch(
      /^state\.a\.a\.a\.a\.a\.a…\(\d+ more levels\)….*nests deeper than 1000 levels$/,
    );
  });

  it('tells a cycle from depth and names both ends of it', () => {
    const state: Record<string, unknown> = { order: { lines: [] as unknown[] } };
    (state.order as { lines: unknown[] }).lines.push(state.order);
    expect(toPlainJson(state, 'state').refused?.toString()).toBe(
      'state.order.lines[0] is a circular reference (to state.order)',
    );
  });

  it('copies a value it has seen twice (not a cycle) twice', () => {
    const shared = { n: 1 };
    expect(toPlainJson({ a: shared, b: shared }, 'state').json).toEqual({ a: { n: 1 }, b: { n: 1 } });
  });

  it('handles a 5 MB string', () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    expect((toPlainJson({ big }, 'state').json as { big: string }).big).toHaveLength(big.length);
  });
});
