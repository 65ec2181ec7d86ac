import { AssertionError } from 'node:assert';
import { isDeepStrictEqual } from 'node:util';

/** Plain JSON view of a message or state, as it would be stored. */
export function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** The part of `actual` that `expected` talks about: objects compared on expected's keys, deeply. */
export function project(actual: unknown, expected: unknown): unknown {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return actual.map((item, index) => (index < expected.length ? project(item, expected[index]) : item));
  }
  if (isObject(expected) && isObject(actual)) {
    return Object.fromEntries(Object.keys(expected).map((key) => [key, project(actual[key], expected[key])]));
  }
  return actual;
}

/**
 * Throws an `AssertionError` carrying `actual` and `expected`: test runners (Jest, Vitest, node:test)
 * print the diff from those, once; the message says what was compared.
 */
export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (isDeepStrictEqual(actual, expected)) return;
  // No `operator`: for 'deepStrictEqual' node appends its own diff to the message, and runners add theirs.
  throw new AssertionError({ message: `${what} differ`, actual, expected });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
