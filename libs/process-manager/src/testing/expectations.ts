import { AssertionError, deepStrictEqual } from 'node:assert';

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

/** Throws an `AssertionError` whose message shows expected against actual as a diff. */
export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  try {
    deepStrictEqual(actual, expected);
  } catch (error) {
    if (!(error instanceof AssertionError)) throw error;
    throw new AssertionError({
      message: `${what} differ:\n${error.message}`,
      actual,
      expected,
      operator: 'deepStrictEqual',
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
