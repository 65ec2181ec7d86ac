/** Longest description of a thrown non-Error object; its JSON can be as large as the object. */
const MAX_OBJECT_TEXT = 1_000;

/**
 * One line of text for anything a handler, a bus or a driver threw or rejected with: `Name: message`
 * for errors, the JSON of a plain object (not `[object Object]`), the value itself otherwise. Never
 * throws, whatever the value (null prototypes, throwing getters, BigInts, cycles).
 */
export function describeError(error: unknown): string {
  try {
    return describe(error);
  } catch {
    return `(a thrown ${typeof error} that cannot be described)`;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (typeof error === 'string') return error;
  if (typeof error !== 'object' || error === null) {
    return typeof error === 'bigint' ? `${error}n` : String(error as string);
  }
  const { name, message } = error as { name?: unknown; message?: unknown };
  if (typeof message === 'string') return typeof name === 'string' ? `${name}: ${message}` : message;
  const toString = (error as { toString?: unknown }).toString;
  if (typeof toString === 'function' && toString !== Object.prototype.toString) {
    const text: unknown = toString.call(error);
    if (typeof text === 'string') return text;
  }
  return truncate(json(error) ?? Object.prototype.toString.call(error));
}

function json(value: object): string | undefined {
  const ancestors: unknown[] = [];
  try {
    return JSON.stringify(value, function (this: unknown, _key, field: unknown) {
      if (typeof field === 'bigint') return `${field}n`;
      if (typeof field !== 'object' || field === null) return field;
      while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
      if (ancestors.includes(field)) return '[Circular]';
      ancestors.push(field);
      return field;
    });
  } catch {
    return undefined;
  }
}

function truncate(text: string): string {
  return text.length <= MAX_OBJECT_TEXT ? text : `${text.slice(0, MAX_OBJECT_TEXT)}… (${text.length} chars)`;
}
